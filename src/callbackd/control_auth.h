/* Who may talk to the control API. On the Unix socket: a peer of uid 0 or
 * of the helper's own uid (SO_PEERCRED). On the TCP listener of a fleet:
 * a request signed by a key of host_keys (proto/reqsign.h, verify.h),
 * checked once per request after its whole body arrived and before any of
 * it is parsed; the key's host is then the request's owner
 * (control_routes.h). */
#ifndef CBD_CONTROL_AUTH_H
#define CBD_CONTROL_AUTH_H

#include <microhttpd.h>

#include "base/log.h"
#include "burst.h"
#include "control_routes.h"
#include "hostkeys.h"
#include "verify.h"

/* 1 when the Unix socket's peer may talk; 0 (with a log line) when not. */
int cbd_auth_unix_peer(const struct dt_log *log, struct MHD_Connection *conn);

/* What the signed check needs; `refused` rate-limits its log lines. */
struct cbd_auth_signed {
	struct cbd_hostkeys *keys;
	struct cbd_store *store; /* remembers the nonces (store.h) */
	unsigned skew_s;
	const struct dt_log *log;
	struct cbd_burst refused;
};

/* Checks the signature of `req` (its target and complete body) at the
 * wall clock `now_ms`. On CBD_VERIFY_OK the request carries the key and
 * is signed_by_key. */
enum cbd_verify_rc cbd_auth_check(struct cbd_auth_signed *a, struct MHD_Connection *conn,
				  const char *method, struct cbd_creq *req, int64_t now_ms);

/* Answers a refused request: 401 with the error_code of `rc` and a
 * sentence saying what to check, or 503 store_down when the nonce could
 * not be checked; logs it at LOG_WARNING (key id and reason, never the
 * signature or the nonce), at most CBD_BURST_NAMED keys a minute. */
enum MHD_Result cbd_auth_refuse(struct cbd_auth_signed *a, struct cbd_control *ctl,
				struct MHD_Connection *conn, enum cbd_verify_rc rc, int64_t now_ms);

#endif
