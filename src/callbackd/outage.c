/* Waits during a store outage: outage.h. */
#include "outage.h"

void cbd_outage_init(struct cbd_outage *o)
{
	pthread_mutex_init(&o->lock, NULL);
	o->down_seen_ms = 0;
}

void cbd_outage_destroy(struct cbd_outage *o)
{
	pthread_mutex_destroy(&o->lock);
}

int cbd_outage_recent(struct cbd_outage *o, int64_t now)
{
	int recent;

	pthread_mutex_lock(&o->lock);
	recent = o->down_seen_ms != 0 && now - o->down_seen_ms < CBD_OUTAGE_REREAD_MS;
	pthread_mutex_unlock(&o->lock);
	return recent;
}

void cbd_outage_note(struct cbd_outage *o, int down, int64_t now)
{
	pthread_mutex_lock(&o->lock);
	o->down_seen_ms = down ? now : 0;
	pthread_mutex_unlock(&o->lock);
}

enum cbd_grace_rc cbd_grace_step(struct cbd_grace *g, unsigned grace_s, int64_t now,
				 int64_t deadline_ms, int64_t *wake_ms)
{
	int64_t end, wake;

	if (grace_s == 0 || now >= deadline_ms)
		return CBD_GRACE_ANSWER;
	/* Counted from the first sight, not reset when the store answers
	 * between two outages: one wait rides out at most `grace` seconds. */
	if (g->down_since_ms == 0)
		g->down_since_ms = now;
	end = g->down_since_ms + (int64_t)grace_s * 1000;
	if (now >= end)
		return CBD_GRACE_ANSWER;
	wake = now + CBD_OUTAGE_REREAD_MS;
	if (wake > end)
		wake = end;
	if (wake > deadline_ms)
		wake = deadline_ms;
	*wake_ms = wake;
	return CBD_GRACE_WAIT;
}
