/* Who carries a request over TCP (DingTalk, a fleet's callback service):
 * libcurl, behind this table. Programs link it (http_backend_linked.c);
 * the PAM module loads it only when a login needs DingTalk
 * (src/pam/net_loader.c), because libcurl and the thirty libraries under
 * it cost every PAM application that loads the module about 4 ms, even
 * for users the module never asks about. The helper's Unix socket never
 * needs it (http_unix.c). */
#ifndef DT_HTTP_BACKEND_H
#define DT_HTTP_BACKEND_H

#include "base/http.h"

/* Raised whenever the table or struct dt_http changes shape: a module
 * and a library from different builds refuse each other. */
#define DT_HTTP_BACKEND_ABI 3

struct dt_http_backend {
	int abi;
	/* Where the table was built: both sides must agree exactly, or the
	 * module refuses the library (an upgrade between the module's load and
	 * the library's, or a file left behind by another install). */
	const char *version;  /* PACKAGE_VERSION */
	size_t http_size;     /* sizeof(struct dt_http) */
	size_t opts_size;     /* sizeof(struct dt_http_opts) */
	size_t response_size; /* sizeof(struct dt_http_response) */
	size_t err_size;      /* sizeof(struct dt_err) */
	/* Once per process before the first handle: libcurl's and OpenSSL's
	 * global set-up. Safe to call again. */
	int (*warm)(struct dt_err *err);
	int (*init)(struct dt_http *h, struct dt_err *err);
	void (*cleanup)(struct dt_http *h);
	/* dt_http_request's contract (http.h) for a URL over TCP. */
	int (*request)(struct dt_http *h, const char *method, const char *url,
		       const char *const *headers, const char *body, int64_t deadline_ms,
		       struct dt_http_response *resp, struct dt_err *err);
};

/* The libcurl table (http_curl.c). */
extern const struct dt_http_backend dt_http_curl_backend;

/* The table to use, found or loaded on first use; NULL with err set when
 * it cannot be (a broken installation: DT_ERR_CONFIG). Thread-safe. */
const struct dt_http_backend *dt_http_backend_get(struct dt_err *err);

/* Whether the table can be found where it must be, without loading it
 * (a few stat calls): the module checks this before a login, so that a
 * missing or untrusted library refuses at once, before failmode could
 * take it for an outage. 0, or -1 with err set (DT_ERR_CONFIG). */
int dt_http_backend_check(struct dt_err *err);

#endif
