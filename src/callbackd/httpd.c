/* Shared libmicrohttpd set-up and request body handling. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "httpd.h"

struct mhd_log_ctx {
	const struct dt_log *log;
};

/* MHD's own messages, one line each, through our sink. */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	const struct dt_log *log = cls;
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	dt_logf(log, LOG_WARNING, "http: %s", line);
}

struct MHD_Daemon *cbd_mhd_start(const struct cbd_mhd_params *p, struct dt_err *err)
{
	struct MHD_OptionItem opts[12];
	struct MHD_Daemon *d;
	unsigned flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | p->extra_flags;
	size_t n = 0;

	if (p->deadlines != NULL) {
		/* The deadlines see each completed request first, then pass
		 * it on to the listener's own callback. */
		cbd_deadlines_wrap_completed(p->deadlines, p->completed, p->cls);
		opts[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
					    (intptr_t)cbd_deadlines_on_completed, p->deadlines};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
						    (intptr_t)cbd_deadlines_notify, p->deadlines};
	} else {
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
						    (intptr_t)p->completed, p->cls};
	}
	if (p->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
						    (void *)(uintptr_t)p->tls_cert};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
						    (void *)(uintptr_t)p->tls_key};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
						    (void *)(uintptr_t)CBD_TLS_PRIORITIES};
	}
	if (p->uri_log != NULL)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
						    (intptr_t)p->uri_log, p->cls};
	if (p->per_ip_limit > 0)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
						    (intptr_t)p->per_ip_limit, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	d = MHD_start_daemon(flags, 0, NULL, NULL, p->handler, p->cls, MHD_OPTION_EXTERNAL_LOGGER,
			     mhd_logger, p->log, MHD_OPTION_LISTEN_SOCKET, p->listen_fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, p->timeout_s,
			     MHD_OPTION_CONNECTION_LIMIT, p->connection_limit,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, p->memory_limit, MHD_OPTION_ARRAY,
			     opts, MHD_OPTION_END);
	if (d == NULL)
		dt_err_set(err, DT_ERR_INTERNAL, "%s listener: cannot start the HTTP server",
			   p->name);
	return d;
}

int cbd_body_too_long(struct MHD_Connection *conn, size_t limit)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (cl == NULL)
		return 0;
	n = strtoull(cl, &end, 10);
	return *end != '\0' || n > limit;
}

int cbd_body_append(struct cbd_body *b, const char *data, size_t size)
{
	if (size > b->limit - b->len)
		return -1;
	if (b->data == NULL) {
		/* One allocation of the bound: no realloc leaves copies behind. */
		b->data = malloc(b->limit + 1);
		if (b->data == NULL)
			return -1;
	}
	memcpy(b->data + b->len, data, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 0;
}

void cbd_body_clear(struct cbd_body *b)
{
	if (b->data != NULL) {
		OPENSSL_cleanse(b->data, b->limit + 1);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
}

int cbd_content_type_is(struct MHD_Connection *conn, const char *type)
{
	const char *ct =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen(type);

	if (ct == NULL || strncasecmp(ct, type, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}
