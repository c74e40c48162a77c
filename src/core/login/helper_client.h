/* The module's side of the control API (docs/control-api.md; what both
 * ends agree on is in proto/control_api.h): one request to one listener,
 * the Unix socket or one https replica of a fleet. Which replica is
 * login/helper_fleet.h's choice. */
#ifndef DT_HELPER_CLIENT_H
#define DT_HELPER_CLIENT_H

#include <stdint.h>

#include "base/err.h"
#include "base/http.h"
#include "proto/reqsign.h"

/* Where a request goes: the Unix socket of `http` (base NULL, key NULL),
 * or one https replica (base "https://HOST[:PORT]"), every request to it
 * signed with `key` over the method, the path with its query and the
 * body exactly as sent (proto/reqsign.h). TLS is verified as `http` is
 * set up (ca_file); there is no peer check over TCP. */
struct dt_helper_link {
	struct dt_http *http;
	const char *base;
	const struct dt_host_key *key;
	const char *host; /* the name this host registers (messages only) */
	/* Set after a failed call when another replica of the same service may
	 * serve where this one could not: no connection, a TLS failure, no
	 * answer in time, a 5xx other than "full" (503 store_down among
	 * them), a 401 or 403 of the signature check. Never for a refusal
	 * (429, "full"), for an answer about the session, or for Ctrl-C. */
	int elsewhere;
	int host_refused; /* ... and that failure was a 401 or 403 (sign_refusal.h) */
};

struct dt_helper_registration {
	const char *state;
	unsigned number;
	const char *user, *service, *host, *rhost;
	const char *authorize_url;
	const char *requester; /* requester.h: whose quota of pending sessions */
	/* requester.h: the requester without the account, for the helper's
	 * max_pending_per_address */
	const char *requester_address;
	/* sudo's command, safe text of at most DT_CONTROL_COMMAND_MAX bytes
	 * (proto/command_text.h), or NULL: not sent */
	const char *command;
	unsigned ttl; /* at least DT_CONTROL_TTL_MIN */
};

/* Why the helper turned a registration down (its error_code), when
 * dt_helper_register fails with DT_ERR_DENIED because of a limit. */
enum dt_helper_refusal {
	DT_HELPER_REFUSED_NONE,	     /* not a limit (or no answer at all) */
	DT_HELPER_REFUSED_REQUESTER, /* 429 requester_full */
	DT_HELPER_REFUSED_ADDRESS,   /* 429 address_full */
	DT_HELPER_REFUSED_HOST, /* 429 host_full: this host's max_pending_per_host at a fleet */
	DT_HELPER_REFUSED_FULL, /* 503 full: max_pending on the whole helper */
};

struct dt_helper_session {
	char id[64];
	/* The helper's instance when it registered the session: a later
	 * "unknown session" from the same instance means the session ended,
	 * from another that the helper restarted and forgot it. */
	char instance[64];
	char *short_url;
	unsigned expires_in;
	/* Set when registering failed on one of the helper's limits. */
	enum dt_helper_refusal refused;
};

enum dt_wait_status {
	DT_WAIT_PENDING,
	DT_WAIT_APPROVED,
	DT_WAIT_REFUSED,
	DT_WAIT_EXPIRED,
	/* The same helper instance no longer knows the session: it ended
	 * (refused, cancelled, expired or its code released) and its outcome
	 * was forgotten. Never returned for a restarted helper: that is an
	 * error (DT_ERR_UNAVAIL). */
	DT_WAIT_GONE,
};

struct dt_wait_result {
	enum dt_wait_status status;
	char *code;	 /* DT_WAIT_APPROVED: the authorization code (a secret) */
	char reason[32]; /* DT_WAIT_REFUSED: denied, wrong_number, cancelled */
	int lost;	 /* set with DT_ERR_UNAVAIL: another helper instance answered */
};

/* Registers a session. Errors: DT_ERR_DENIED, with out->refused saying
 * which, when a limit of the helper turns the login down: 429 (this
 * requester's or this address's quota) and 503 "full" (max_pending: a
 * state other people can bring about, so a refusal, never a way to
 * failmode or a recovery code); DT_ERR_DENIED too for a listener that
 * fails the peer check (http.h). DT_ERR_UNAVAIL when the helper cannot
 * serve (any other answer, a 503 without error_code "full", an answer
 * without instance, no connection). A 409 (the state is registered
 * already: this login, stored by a replica that answered too late) is
 * DT_ERR_DENIED. Signed: a 401 or 403 is DT_ERR_DENIED with
 * ln->host_refused set (the service refuses this host: a fault of
 * configuration that fails closed, sign_refusal.h), its message naming
 * the error_code and what the administrator should do. */
int dt_helper_register(struct dt_helper_link *ln, const struct dt_helper_registration *reg,
		       int64_t deadline_ms, struct dt_helper_session *out, struct dt_err *err);

/* One long-poll on session s (as dt_helper_register filled it). A 404
 * naming s's instance is DT_WAIT_GONE; a 404 naming another instance or
 * none is an error, DT_ERR_UNAVAIL (the helper restarted), with out->lost
 * set. */
int dt_helper_wait(struct dt_helper_link *ln, const struct dt_helper_session *s, unsigned timeout_s,
		   int64_t deadline_ms, struct dt_wait_result *out, struct dt_err *err);

/* Best effort: a failure is only logged by the caller. */
int dt_helper_cancel(struct dt_helper_link *ln, const char *id, int64_t deadline_ms,
		     struct dt_err *err);

/* What `dingtalk-ctl doctor` asks each replica: a signed wait on an id
 * no session has, which changes nothing. A 404 naming an instance proves
 * the connection, TLS, the key and the clock; the instance is copied
 * into `instance` (64 bytes). Errors as dt_helper_wait's. */
int dt_helper_probe(struct dt_helper_link *ln, int64_t deadline_ms, char instance[64],
		    struct dt_err *err);

void dt_helper_session_free(struct dt_helper_session *s);
void dt_wait_result_free(struct dt_wait_result *r);

#endif
