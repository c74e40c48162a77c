/* The helper as one login sees it: the Unix socket (`helper = unix:...`),
 * or a fleet, several https replicas of one service that share one store
 * and so answer alike for any session (`helper = https://a https://b`).
 * Which replica each request goes to, and when to try the next.
 *
 * Failover, within the login's deadline:
 * - register tries the replicas in the order configured until one answers
 *   definitively; a replica that cannot serve (helper_client.h,
 *   `elsewhere`: no connection, a TLS failure, no answer in time, a 5xx
 *   other than "full", a 401 or 403) passes the registration to the next;
 * - each attempt is bounded, so that a replica that accepts connections
 *   and never answers cannot eat the login: DT_FLEET_CONNECT_MS to
 *   connect, and at most DT_FLEET_ATTEMPT_MS and the attempt's share of
 *   what is left (what is left divided by the replicas not yet tried);
 * - a wait goes to the replica that answered last; when it fails the
 *   same way, the same wait is asked of the next replica at once, and that
 *   one is used from then on (the session is in the shared store). A 404
 *   is an answer about the session (gone, or lost with another instance),
 *   never a reason to ask elsewhere;
 * - cancel is best effort, on the current replica only.
 * When every replica fails, the error is DT_ERR_DENIED when one of them
 * refused this host's signature (sign_refusal.h), else DT_ERR_UNAVAIL
 * naming each replica's failure, or DT_ERR_TIMEOUT when one was only late
 * (login.h, "Lateness", decides what that is); each failure is logged as it happens (LOG_ERR for a
 * 401 or 403, whose fix is on this host or in the service's host_keys).
 * The Unix socket behaves as it always has: one listener, no bounds but
 * the deadline. */
#ifndef DT_HELPER_FLEET_H
#define DT_HELPER_FLEET_H

#include <stdint.h>

#include "base/err.h"
#include "base/http.h"
#include "base/log.h"
#include "conf/modcfg.h"
#include "login/helper_client.h"

#define DT_FLEET_CONNECT_MS 1000
#define DT_FLEET_ATTEMPT_MS 5000

struct dt_helper_fleet {
	struct dt_http http; /* opts.interrupted may be switched off around a cancel */
	const struct dt_modcfg *cfg;
	const struct dt_log *log;
	const char *host;
	unsigned current; /* the replica that answered last */
};

/* `host` (this host's name, as registered) and `log` must outlive f. */
int dt_fleet_init(struct dt_helper_fleet *f, const struct dt_modcfg *cfg, const char *host,
		  const struct dt_log *log, int (*interrupted)(void), struct dt_err *err);
void dt_fleet_cleanup(struct dt_helper_fleet *f);

/* As helper_client.h's, with the failover above. */
int dt_fleet_register(struct dt_helper_fleet *f, const struct dt_helper_registration *reg,
		      int64_t deadline_ms, struct dt_helper_session *out, struct dt_err *err);
int dt_fleet_wait(struct dt_helper_fleet *f, const struct dt_helper_session *s, unsigned timeout_s,
		  int64_t deadline_ms, struct dt_wait_result *out, struct dt_err *err);
int dt_fleet_cancel(struct dt_helper_fleet *f, const char *id, int64_t deadline_ms,
		    struct dt_err *err);

#endif
