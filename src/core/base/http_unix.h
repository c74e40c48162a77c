/* HTTP/1.1 to the local helper over its Unix socket, without libcurl: one
 * connection per request ("Connection: close"), the peer's uid checked
 * before a byte is sent, the answer bounded in size and read within the
 * deadline, Ctrl-C noticed within a second. The helper answers with a
 * Content-Length; an answer that ends with the connection is read to its
 * end, and a chunked one is refused (the helper never sends one). */
#ifndef DT_HTTP_UNIX_H
#define DT_HTTP_UNIX_H

#include "base/http.h"

/* dt_http_request's contract (http.h) for h->opts.unix_socket; `url` is
 * http://HOST/PATH, HOST only sent as the Host header. */
int dt_http_unix_request(struct dt_http *h, const char *method, const char *url,
			 const char *const *headers, const char *body, int64_t deadline_ms,
			 struct dt_http_response *resp, struct dt_err *err);

#endif
