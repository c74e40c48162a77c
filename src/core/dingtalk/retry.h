/* Exponential backoff with jitter, bounded by the login's deadline. Only
 * the DingTalk client's retry loop (api.c) decides what is retried. */
#ifndef DT_RETRY_H
#define DT_RETRY_H

#include <stdint.h>

/* At most this many tries of one call, the first included. */
#define DT_RETRY_MAX_TRIES 4
#define DT_RETRY_BASE_MS   200
#define DT_RETRY_CAP_MS	   3000

/* The wait before try `attempt` + 1 (attempt counts from 1): half of
 * min(cap, base * 2^(attempt-1)) plus a random part up to the other half
 * ("equal jitter"), and never less than `at_least_ms` (a server's own
 * hint). */
int64_t dt_retry_delay_ms(unsigned attempt, int64_t at_least_ms);

/* Sleeps `delay_ms` unless that would leave less than `reserve_ms` before
 * `deadline_ms` (dt_now_ms clock). Returns 0 after sleeping, -1 (without
 * sleeping) when there is no time for another try. */
int dt_retry_sleep(int64_t delay_ms, int64_t deadline_ms, int64_t reserve_ms);

#endif
