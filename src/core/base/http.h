/* One HTTP client kept for one login: timeouts inside the login's
 * deadline, bounded response bodies, no redirects. Over TCP (DingTalk, a
 * fleet's service) it is libcurl (http_curl.c): keep-alive and TLS
 * session reuse across its calls, TLS 1.2+ with verification always on.
 * Over the helper's Unix socket it is a small client of our own
 * (http_unix.c), so that a login shows its QR without loading libcurl. */
#ifndef DT_HTTP_H
#define DT_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* No DingTalk or helper answer we use comes near this. */
#define DT_HTTP_MAX_BODY (256 * 1024)

struct dt_http_opts {
	const char *ca_file;	 /* NULL: the system store; else the only CAs trusted */
	const char *proxy;	 /* NULL: none (proxy environment variables ignored) */
	const char *unix_socket; /* talk HTTP over this Unix socket instead of TCP */
	/* unix_socket only: who may be listening there. Before anything is
	 * sent on a connection, its peer (SO_PEERCRED) must be uid 0 or this
	 * user (a name, or a numeric uid); NULL: uid 0 only. Anyone else
	 * (a local user who got hold of the path) is refused. */
	const char *peer_user;
	const char *peer_name;	 /* for error messages: "DingTalk", "the helper" */
	long connect_timeout_ms; /* capped by the deadline */
	/* Checked about once a second during a transfer; non-zero aborts it
	 * with DT_ERR_INTERRUPTED. NULL: never. */
	int (*interrupted)(void);
};

struct dt_http_backend;

struct dt_http {
	const struct dt_http_backend *tcp; /* NULL over a Unix socket */
	void *curl;
	struct dt_http_opts opts;
	char errbuf[256];
	/* Set after dt_http_init by users that need them (kept out of
	 * dt_http_opts so its initializers stay as they are): */
	long request_timeout_ms; /* one request's total; 0: up to the deadline */
	int proxy_env;		 /* opts.proxy NULL: honour http(s)_proxy, no_proxy */
	/* A new connection for every request. curl sends a request again on
	 * its own when a reused connection turns out closed; a signed
	 * request sent twice repeats its nonce, which the service refuses as
	 * a replay. */
	int fresh_connection;
	/* After a failed dt_http_request: whether trying again may help (a
	 * refused connection, a reset, a truncated answer) and whether the
	 * request certainly never reached the server (no connection). */
	int transient;
	int unsent;
	/* ... and whether it ran out of time (to connect, or in all), even
	 * before the deadline given: a bound of curl's own. */
	int timed_out;
	/* The peer check (opts.peer_user): the uid besides 0 that may serve
	 * the socket, and after a refusal, the uid that was there. */
	uid_t peer_uid;
	int peer_uid_set;
	int peer_refused;
	long peer_seen; /* -1: the peer's credentials could not be read */
	/* The request's URL without its query (which may carry tokens), for
	 * messages: set by dt_http_request for whichever client carries it. */
	char shown[256];
};

struct dt_http_response {
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	/* The answer's Date header in seconds since the epoch, 0 if it had
	 * none (or none that parses): the server's clock, for messages that
	 * say how far this host's clock is from it. */
	int64_t date_s;
};

/* Resolves opts.peer_user: an unknown user is DT_ERR_CONFIG. Over TCP,
 * loads libcurl's side first (dt_http_preload). */
int dt_http_init(struct dt_http *h, const struct dt_http_opts *opts, struct dt_err *err);

/* Loads and sets up what a request over TCP needs (libcurl, OpenSSL's
 * TLS), so that a later dt_http_init over TCP costs only its handle.
 * Called while a login waits for the phone; thread-safe, idempotent. A
 * failure (DT_ERR_CONFIG when the library cannot be loaded, a broken
 * installation) is reported again by dt_http_init. */
int dt_http_preload(struct dt_err *err);
void dt_http_cleanup(struct dt_http *h);

/* Sends a request and waits for the whole answer, never past `deadline_ms`
 * (dt_now_ms clock). `body` is sent as JSON when non-NULL. `headers` is a
 * NULL-terminated list of "Name: value" lines or NULL. A transport failure
 * or a timeout is DT_ERR_UNAVAIL (DT_ERR_TIMEOUT when the deadline was the
 * cause). A Unix socket peer that fails the peer check is DT_ERR_DENIED,
 * a refusal and not an outage, since whoever holds the socket path must
 * not choose failmode's answer (nothing was sent; peer_refused is set,
 * never transient); any HTTP status is a success here: the caller reads
 * it. */
int dt_http_request(struct dt_http *h, const char *method, const char *url,
		    const char *const *headers, const char *body, int64_t deadline_ms,
		    struct dt_http_response *resp, struct dt_err *err);

void dt_http_response_free(struct dt_http_response *resp);

#endif
