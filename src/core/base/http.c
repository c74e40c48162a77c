#include "config.h"

#include "base/http.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/http_backend.h"
#include "base/http_unix.h"
#include "base/peer.h"

int dt_http_init(struct dt_http *h, const struct dt_http_opts *opts, struct dt_err *err)
{
	const struct dt_http_backend *tcp;

	memset(h, 0, sizeof(*h));
	h->opts = *opts;
	h->peer_seen = -1;
	if (h->opts.peer_name == NULL)
		h->opts.peer_name = "server";
	if (h->opts.connect_timeout_ms <= 0)
		h->opts.connect_timeout_ms = 5000;
	if (opts->unix_socket != NULL) {
		if (opts->peer_user != NULL) {
			if (dt_peer_user_uid("helper_user", opts->peer_user, &h->peer_uid, err) < 0)
				return -1;
			h->peer_uid_set = 1;
		}
		return 0; /* http_unix.c: nothing to load, nothing to keep */
	}
	tcp = dt_http_backend_get(err);
	if (tcp == NULL)
		return -1;
	if (tcp->warm(err) < 0 || tcp->init(h, err) < 0)
		return -1;
	h->tcp = tcp;
	return 0;
}

void dt_http_cleanup(struct dt_http *h)
{
	const struct dt_http_backend *tcp = h->tcp;

	if (tcp != NULL)
		tcp->cleanup(h);
	h->tcp = NULL;
}

int dt_http_preload(struct dt_err *err)
{
	const struct dt_http_backend *tcp = dt_http_backend_get(err);

	return tcp == NULL ? -1 : tcp->warm(err);
}

void dt_http_response_free(struct dt_http_response *resp)
{
	if (resp->body != NULL) {
		OPENSSL_cleanse(resp->body, resp->len);
		free(resp->body);
	}
	memset(resp, 0, sizeof(*resp));
}

/* The URL without its query, which may carry tokens. */
static void url_without_query(const char *url, char *out, size_t size)
{
	size_t n = strcspn(url, "?#");

	if (n >= size)
		n = size - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

int dt_http_request(struct dt_http *h, const char *method, const char *url,
		    const char *const *headers, const char *body, int64_t deadline_ms,
		    struct dt_http_response *resp, struct dt_err *err)
{
	const struct dt_http_backend *tcp = h->tcp;
	int rc;

	memset(resp, 0, sizeof(*resp));
	h->transient = 0;
	h->unsent = 0;
	h->timed_out = 0;
	h->peer_refused = 0;
	url_without_query(url, h->shown, sizeof(h->shown));
	if (deadline_ms - dt_now_ms() <= 0)
		return dt_err_set(err, DT_ERR_TIMEOUT, "%s %s: the login's deadline has passed",
				  h->opts.peer_name, h->shown);
	if (h->opts.unix_socket != NULL)
		rc = dt_http_unix_request(h, method, url, headers, body, deadline_ms, resp, err);
	else if (tcp != NULL)
		rc = tcp->request(h, method, url, headers, body, deadline_ms, resp, err);
	else
		rc = dt_err_set(err, DT_ERR_INTERNAL, "%s: no HTTP handle", h->opts.peer_name);
	if (rc < 0) {
		dt_http_response_free(resp);
		if (dt_now_ms() >= deadline_ms && err->kind == DT_ERR_UNAVAIL)
			err->kind = DT_ERR_TIMEOUT;
		return -1;
	}
	if (resp->body == NULL) {
		resp->body = calloc(1, 1);
		if (resp->body == NULL)
			return dt_err_oom(err);
	}
	return 0;
}
