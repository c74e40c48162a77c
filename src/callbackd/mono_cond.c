#include "mono_cond.h"

#include <time.h>

#include "base/clock.h"

int cbd_mono_init(pthread_mutex_t *lock, pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	if (pthread_mutex_init(lock, NULL) != 0) {
		pthread_cond_destroy(cond);
		return -1;
	}
	return 0;
}

void cbd_mono_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t left = deadline_ms - dt_now_ms();

	if (left <= 0)
		return;
	/* dt_now_ms reads the same clock; the 999999 ns keep a wait from
	 * ending just before the millisecond it was asked to reach. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L + 999999L;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(cond, lock, &ts);
}
