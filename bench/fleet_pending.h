/* Many sessions pending at once: what a replica and Redis hold per login
 * that waits for its phone. Registers `n` signed sessions (a long ttl)
 * across the target's replicas, a bounded number in flight, and later
 * cancels them all. */
#ifndef FLEET_PENDING_H
#define FLEET_PENDING_H

#include "fleet_login.h"

struct fleet_pending {
	char (*ids)[40];
	unsigned n, registered, cancelled, failed;
	double elapsed_us; /* of the registrations */
};

/* 0 when every session was registered, -1 otherwise (messages on stderr). */
int fleet_pending_register(struct fleet_driver *d, struct fleet_target *t, unsigned n,
			   struct fleet_pending *out);

/* 0 when every one was cancelled (204). */
int fleet_pending_cancel(struct fleet_driver *d, struct fleet_target *t, struct fleet_pending *p);

void fleet_pending_free(struct fleet_pending *p);

#endif
