#include "config.h"

#include "dingtalk/retry.h"

#include <errno.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"

int64_t dt_retry_delay_ms(unsigned attempt, int64_t at_least_ms)
{
	int64_t ceiling = DT_RETRY_BASE_MS;
	unsigned jitter = 0;
	unsigned i;

	for (i = 1; i < attempt && ceiling < DT_RETRY_CAP_MS; i++)
		ceiling *= 2;
	if (ceiling > DT_RETRY_CAP_MS)
		ceiling = DT_RETRY_CAP_MS;
	/* Without randomness the retries of many hosts would stay in step;
	 * if OpenSSL cannot give us any, the fixed half still backs off. */
	if (dt_random_range(0, (unsigned)(ceiling / 2), &jitter) < 0)
		jitter = 0;
	ceiling = ceiling / 2 + (int64_t)jitter;
	return ceiling < at_least_ms ? at_least_ms : ceiling;
}

int dt_retry_sleep(int64_t delay_ms, int64_t deadline_ms, int64_t reserve_ms)
{
	struct timespec ts;

	if (delay_ms < 0 || dt_now_ms() + delay_ms + reserve_ms >= deadline_ms)
		return -1;
	ts.tv_sec = (time_t)(delay_ms / 1000);
	ts.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
	/* No signal handlers of ours; an interrupted sleep just goes on. */
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}
