/* libmicrohttpd plumbing shared by the public and the control listener:
 * starting a daemon with our limits, bounded request bodies, logging. */
#ifndef CBD_HTTPD_H
#define CBD_HTTPD_H

#include <stddef.h>
#include <microhttpd.h>

#include "base/err.h"
#include "deadline.h"
#include "base/log.h"

struct cbd_mhd_params {
	int listen_fd;
	unsigned extra_flags; /* e.g. MHD_ALLOW_SUSPEND_RESUME */
	unsigned connection_limit;
	unsigned per_ip_limit; /* connections at once from one address; 0: no limit */
	unsigned timeout_s;    /* idle time before MHD drops a connection */
	/* NULL, or deadlines each request must meet (deadline.h); they must
	 * outlive the daemon. */
	struct cbd_deadlines *deadlines;
	size_t memory_limit;
	MHD_AccessHandlerCallback handler;
	MHD_RequestCompletedCallback completed;
	void *cls;
	const struct dt_log *log;
	const char *name; /* "public" or "control", for messages */
	/* TLS (both PEM texts, or neither): they must outlive the daemon */
	const char *tls_cert, *tls_key;
	/* NULL, or MHD_OPTION_URI_LOG_CALLBACK's function (the raw request
	 * target, with its query): its result is the request's first con_cls */
	void *(*uri_log)(void *cls, const char *uri, struct MHD_Connection *conn);
};

/* TLS 1.2 and 1.3 only, in GnuTLS's priority syntax (libmicrohttpd's TLS
 * is GnuTLS). */
#define CBD_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct MHD_Daemon *cbd_mhd_start(const struct cbd_mhd_params *p, struct dt_err *err);

/* A request body collected up to a bound. */
struct cbd_body {
	char *data;
	size_t len, limit;
};

/* Declared Content-Length larger than the limit? */
int cbd_body_too_long(struct MHD_Connection *conn, size_t limit);

/* Appends a chunk; -1 once the bound is passed (the connection is then
 * dropped: MHD cannot answer in the middle of an upload). */
int cbd_body_append(struct cbd_body *b, const char *data, size_t size);

/* Wipes and frees the body (it may carry tokens). */
void cbd_body_clear(struct cbd_body *b);

/* Content-Type's media type equals `type` (parameters ignored). */
int cbd_content_type_is(struct MHD_Connection *conn, const char *type);

#endif
