/* The memory store's table of signed requests' nonces (store.h,
 * nonce_once): each (key id, nonce) is accepted once while it is
 * remembered, so a captured request cannot be replayed within the skew
 * window.
 *
 * The memory is fixed when the table is made: `cap` entries of 32 bytes
 * and 2 * cap bucket heads of 4 bytes (CBD_NONCES_CAP: 2.5 MiB). Every
 * nonce is kept for its ttl; entries leave in the order they came, which
 * is the order they expire in when every ttl is the same (the service
 * always passes 2 * control_skew + 1: a timestamp is accepted for that
 * many whole seconds). When all `cap` entries are still live,
 * a new nonce is refused (CBD_NONCES_FULL), never admitted by forgetting
 * a live one: forgetting would reopen the window for exactly the replay
 * the table exists to stop. A full table is a service that cannot check,
 * so the request is refused as "store down" (503) and the module tries
 * another replica or reports the outage; it takes more than cap / ttl
 * signed requests a second (65536 / 121 s: about 540 a second with the
 * default skew) to get there.
 *
 * Nonces are only offered after a request's signature was checked
 * (verify.h), so only holders of a host key can fill the table. */
#ifndef CBD_NONCES_H
#define CBD_NONCES_H

#include <stdint.h>

#include "base/err.h"

#define CBD_NONCES_CAP 65536

enum cbd_nonces_rc {
	CBD_NONCES_NEW,	 /* first time: now remembered for ttl_s */
	CBD_NONCES_SEEN, /* seen within its ttl: a replay */
	CBD_NONCES_FULL, /* cap live nonces already: refused, nothing forgotten */
};

struct cbd_nonces;

/* A table of `cap` entries (at least 1). NULL with err set. */
struct cbd_nonces *cbd_nonces_new(unsigned cap, struct dt_err *err);

/* Looks (key_id, nonce) up at `now_ms` (monotonic) and remembers it for
 * ttl_s seconds when it is new. Thread-safe. */
enum cbd_nonces_rc cbd_nonces_once(struct cbd_nonces *n, const char *key_id, const char *nonce,
				   unsigned ttl_s, int64_t now_ms);

/* Live entries at now_ms (for tests and figures). */
unsigned cbd_nonces_live(struct cbd_nonces *n, int64_t now_ms);

void cbd_nonces_free(struct cbd_nonces *n);

#endif
