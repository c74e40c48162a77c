/* The control API's waits during a store outage (redis_failover_grace).
 *
 * A Sentinel failover leaves a fleet without a primary for a few seconds.
 * A wait that finds the store down does not answer store_down at once: it
 * stays suspended and re-reads its session every CBD_OUTAGE_REREAD_MS
 * until the store answers, its grace is over, or its own timeout ends.
 *
 * Each re-read is a Redis call on a libmicrohttpd thread, bounded by
 * redis_timeout; a hundred waits re-reading a primary that does not even
 * refuse connections would hold the thread for a hundred timeouts. So
 * the replica keeps one note, "the store was seen down at T", and a
 * wait's read within CBD_OUTAGE_REREAD_MS of it (with a grace) counts the
 * store as still down without asking: at most one read per interval
 * reaches Redis, whatever the number of waits. Any answer from the store
 * clears the note. Thread-safe. */
#ifndef CBD_OUTAGE_H
#define CBD_OUTAGE_H

#include <pthread.h>
#include <stdint.h>

/* How often a wait in its grace re-reads its session. */
#define CBD_OUTAGE_REREAD_MS 250

struct cbd_outage {
	pthread_mutex_t lock;
	int64_t down_seen_ms; /* dt_now_ms() of the last store_down; 0: none */
};

void cbd_outage_init(struct cbd_outage *o);
void cbd_outage_destroy(struct cbd_outage *o);

/* A wait's read at `now` may skip the store: it was seen down less than
 * CBD_OUTAGE_REREAD_MS ago. */
int cbd_outage_recent(struct cbd_outage *o, int64_t now);

/* What a call to the store found: down (1) at `now`, or an answer (0). */
void cbd_outage_note(struct cbd_outage *o, int down, int64_t now);

/* Where one wait stands in an outage (struct cbd_creq holds it). */
struct cbd_grace {
	int64_t down_since_ms; /* when this wait first found the store down; 0: never */
};

enum cbd_grace_rc {
	CBD_GRACE_ANSWER, /* answer store_down now */
	CBD_GRACE_WAIT,	  /* suspend until *wake_ms, then re-read */
};

/* A wait with deadline `deadline_ms` found the store down at `now`:
 * answer store_down (grace 0, over, or the wait's own timeout reached) or
 * wait until *wake_ms (the next re-read, never past the grace's end or the
 * deadline). `grace_s` is redis_failover_grace. */
enum cbd_grace_rc cbd_grace_step(struct cbd_grace *g, unsigned grace_s, int64_t now,
				 int64_t deadline_ms, int64_t *wake_ms);

#endif
