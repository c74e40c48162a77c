/* The load generator's HTTP side: many requests at once on one thread
 * (libcurl's multi interface), to a replica's control listener (plain
 * HTTP on loopback, or its Unix socket) or its public listener. Signed
 * requests carry proto/reqsign.h's headers over the exact method, path
 * and body sent. Connections are kept and reused, as a module's libcurl
 * would not (it makes one per login): the generator must not be what
 * limits the rate. */
#ifndef FLEET_HTTP_H
#define FLEET_HTTP_H

#include <stddef.h>

#include "proto/reqsign.h"

/* What came back. `error` is NULL, or libcurl's message when no answer
 * arrived (then status is 0). Times are bench_now_us(). */
struct fleet_resp {
	long status;
	const char *body; /* NUL-terminated, at most FLEET_BODY_MAX bytes kept */
	size_t len;
	double sent_us, done_us;
	const char *error;
	/* The first Set-Cookie's name=value (the helper's clean URL cookie),
	 * "" when none. */
	const char *set_cookie;
};

#define FLEET_BODY_MAX 65536

typedef void (*fleet_done_fn)(void *ctx, int tag, const struct fleet_resp *resp);

/* One request. `base` is "http(s)://HOST:PORT" or "unix:/path" (then the
 * Host is localhost). `key` NULL: unsigned (the Unix socket, the phone's
 * side). `timeout_ms`: the whole exchange. */
struct fleet_call {
	const char *base;
	const char *method;
	const char *path; /* with its query, sent as is */
	const char *body; /* NULL: none */
	const char *content_type;
	const struct dt_host_key *key;
	long timeout_ms;
	const char *cookie; /* NULL, or the Cookie header's value */
};

struct fleet_http;

/* `ca_file`: NULL, or the PEM bundle that https:// bases are verified
 * against (a TLS-terminating proxy in front of a replica). `no_reuse`:
 * every request on a new connection, as modules, one login each, make
 * them. */
struct fleet_http *fleet_http_new(const char *ca_file, int no_reuse);
void fleet_http_free(struct fleet_http *h);

/* Starts `call`; `done(ctx, tag, resp)` runs from fleet_http_step once it
 * ends, whatever the outcome. 0, or -1 (nothing started, message on
 * stderr). */
int fleet_http_send(struct fleet_http *h, const struct fleet_call *call, fleet_done_fn done,
		    void *ctx, int tag);

/* Moves every transfer on, runs the callbacks of those that ended, then
 * waits up to `wait_ms` for the next socket event. */
void fleet_http_step(struct fleet_http *h, int wait_ms);

/* Requests started and not yet ended. */
unsigned fleet_http_active(const struct fleet_http *h);

#endif
