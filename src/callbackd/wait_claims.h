/* Bounds on a fleet host's long-polls over the TCP control listener, so
 * that one host (compromised, or a runaway script) cannot hold every one
 * of control_max_connections and starve the other hosts' logins:
 *
 *  - at most `max_per_host` waits of one signing host at once (the service
 *    uses 2 * max_pending_per_host); past it a wait is refused at once;
 *  - one live wait per session: a new wait of the same host on the same
 *    session takes over, and the older one is answered "pending" at once
 *    without touching the store (cbd_wait_claims_taken_over): were it to
 *    poll first, a code approved at that moment would go to the
 *    abandoned connection and be lost. The older rather than the newer, so
 *    that a module that lost its connection (a proxy's timeout) and asks
 *    again is served, not refused until its old wait times out.
 *
 * The Unix socket's waits (root) are not bounded here. A claim lives in
 * its request (control_routes.h) and is dropped when the request ends. */
#ifndef CBD_WAIT_CLAIMS_H
#define CBD_WAIT_CLAIMS_H

#include <pthread.h>
#include <stdint.h>

#include "store.h"

struct cbd_wait_claim {
	struct cbd_wait_claim *prev, *next;
	const char *host; /* the signing key's host, owned by the request */
	char id[CBD_ID_LEN + 1];
	int linked, taken_over; /* under the claims' lock */
};

struct cbd_wait_claims {
	pthread_mutex_t lock;
	struct cbd_wait_claim *head;
	unsigned max_per_host;
};

int cbd_wait_claims_init(struct cbd_wait_claims *c, unsigned max_per_host);
void cbd_wait_claims_destroy(struct cbd_wait_claims *c);

enum cbd_claim_rc {
	CBD_CLAIM_OK,
	CBD_CLAIM_HOST_FULL, /* the host has max_per_host waits already */
};

/* Claims `host`'s wait on `id`. On CBD_CLAIM_OK, *took_over is 1 when an
 * older wait of the host on the session was taken over: the caller must
 * wake the session's waiters (cbd_waiters_wake) so that it answers. */
enum cbd_claim_rc cbd_wait_claims_take(struct cbd_wait_claims *c, struct cbd_wait_claim *claim,
				       const char *host, const char *id, int *took_over);

/* Whether a newer wait took this one over: it must then answer "pending"
 * before it looks at the store. */
int cbd_wait_claims_taken_over(struct cbd_wait_claims *c, const struct cbd_wait_claim *claim);

/* Drops the claim if it was taken; safe to call on a zeroed one. */
void cbd_wait_claims_drop(struct cbd_wait_claims *c, struct cbd_wait_claim *claim);

#endif
