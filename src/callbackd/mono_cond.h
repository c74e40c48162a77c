/* A lock and a condition variable whose timed waits run on the monotonic
 * clock, so a wall clock set back or forward neither stalls nor hurries a
 * thread that sleeps until a deadline (base/clock.h: deadlines are
 * monotonic milliseconds from dt_now_ms). */
#ifndef CBD_MONO_COND_H
#define CBD_MONO_COND_H

#include <pthread.h>
#include <stdint.h>

/* Initialises both; 0, or -1 with nothing left to destroy. */
int cbd_mono_init(pthread_mutex_t *lock, pthread_cond_t *cond);

/* Waits on `cond` (with `lock` held) until woken or until the monotonic
 * millisecond `deadline_ms`; returns at once when it has passed. Never
 * wakes early for lack of resolution: the deadline is rounded up. */
void cbd_mono_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t deadline_ms);

#endif
