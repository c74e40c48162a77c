/* One log line per burst of the same refusal, not one per request: the
 * limits' refusals are what a flood of logins produces, and a line for
 * each would flood the log as well. */
#ifndef CBD_BURST_H
#define CBD_BURST_H

#include <pthread.h>
#include <stdint.h>

/* A burst ends after this long without a line logged for it. */
#define CBD_BURST_QUIET_MS 60000

struct cbd_burst {
	pthread_mutex_t lock;
	int64_t logged_ms; /* when the last line was logged; 0: never */
	unsigned held;	   /* refusals since then that were not logged */
};

/* A burst limiter with nothing logged yet. */
void cbd_burst_init(struct cbd_burst *b);
void cbd_burst_destroy(struct cbd_burst *b);

/* Counts one refusal at now_ms. Returns 1 when it is to be logged, with
 * *held the refusals left unlogged since the last line; 0 otherwise. */
int cbd_burst_hit(struct cbd_burst *b, int64_t now_ms, unsigned *held);

#endif
