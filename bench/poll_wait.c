/* The baseline poller of bench_cold (issue 17): pam_dingtalk.so as it is,
 * except that its wait for the phone polls the helper every
 * DT_POLL_INTERVAL_MS instead of long-polling, as polling PAM modules
 * (RFC 8628's device flow among them) learn of an approval. Linked into
 * the bench-only modules pam_poll_1s.so and pam_poll_3s.so with
 * -Wl,--wrap=dt_fleet_wait (bench/Makefile.am): the module's own
 * check_phone (src/core/login/login.c) calls this in place of the real
 * dt_fleet_wait, and nothing of the product changes.
 *
 * The helper has no "look without waiting": a wait's timeout is 1..30 s
 * (docs/control-api.md), so a zero-second wait is refused. The honest
 * equivalent is a one-second wait whose answer is held back to the tick:
 *   - a decided answer that comes at once (within DECIDED_BEFORE_MS) was
 *     decided before this poll: a poller would see it now, so it goes
 *     back now;
 *   - otherwise the helper held the wait (pending when asked) and either
 *     answered "pending" after its second or woke it on the decision: a
 *     poller would learn either only at its next poll, so the answer goes
 *     back at the next tick (the ask plus the interval), or the deadline
 *     if sooner.
 * A "pending" answer is what a timed-out long-poll gets from the helper
 * (rc 0, DT_WAIT_PENDING), which check_phone takes as "still pending"
 * and asks again; errors go back at once, as the module's own. The only
 * error of the model: a decision within DECIDED_BEFORE_MS after a poll
 * is seen at once instead of a tick later (2% of the 1 s ticks, under 1%
 * of the 3 s ones), which flatters the pollers slightly. */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "base/clock.h"
#include "login/helper_fleet.h"

#ifndef DT_POLL_INTERVAL_MS
#error "DT_POLL_INTERVAL_MS: the poller's interval (bench/Makefile.am)"
#endif

/* The helper answers a decided session on its Unix socket within a
 * millisecond or two; a pending one it holds for the wait's second. */
#define DECIDED_BEFORE_MS 20

int __real_dt_fleet_wait(struct dt_helper_fleet *f, const struct dt_helper_session *s,
			 unsigned timeout_s, int64_t deadline_ms, struct dt_wait_result *out,
			 struct dt_err *err);
int __wrap_dt_fleet_wait(struct dt_helper_fleet *f, const struct dt_helper_session *s,
			 unsigned timeout_s, int64_t deadline_ms, struct dt_wait_result *out,
			 struct dt_err *err);

static void sleep_until(int64_t at_ms)
{
	struct timespec ts;
	int64_t left;

	while ((left = at_ms - dt_now_ms()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			return;
	}
}

int __wrap_dt_fleet_wait(struct dt_helper_fleet *f, const struct dt_helper_session *s,
			 unsigned timeout_s, int64_t deadline_ms, struct dt_wait_result *out,
			 struct dt_err *err)
{
	int64_t asked = dt_now_ms(), tick = asked + DT_POLL_INTERVAL_MS;
	int rc;

	(void)timeout_s; /* a poller asks; it does not wait for the answer to change */
	rc = __real_dt_fleet_wait(f, s, 1, deadline_ms, out, err);
	if (rc < 0)
		return rc;
	if (out->status != DT_WAIT_PENDING && dt_now_ms() - asked < DECIDED_BEFORE_MS)
		return rc;
	sleep_until(tick < deadline_ms ? tick : deadline_ms);
	return rc;
}
