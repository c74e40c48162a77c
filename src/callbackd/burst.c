/* Rate-limited logging of repeated refusals. */
#include "burst.h"

void cbd_burst_init(struct cbd_burst *b)
{
	pthread_mutex_init(&b->lock, NULL);
	b->logged_ms = 0;
	b->held = 0;
}

void cbd_burst_destroy(struct cbd_burst *b)
{
	pthread_mutex_destroy(&b->lock);
}

int cbd_burst_hit(struct cbd_burst *b, int64_t now_ms, unsigned *held)
{
	int log;

	pthread_mutex_lock(&b->lock);
	log = b->logged_ms == 0 || now_ms - b->logged_ms >= CBD_BURST_QUIET_MS;
	if (log) {
		*held = b->held;
		b->held = 0;
		b->logged_ms = now_ms;
	} else {
		b->held++;
	}
	pthread_mutex_unlock(&b->lock);
	return log;
}
