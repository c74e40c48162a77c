/* The two clocks, and which one a time is read from. Deadlines and waits
 * use the monotonic clock: a wall clock set back or forward (NTP, an
 * administrator) must not end a login early or let it run on. What
 * another party compares with its own clock (DingTalk's signature
 * timestamp, the app token's expiry kept on disk) uses the wall clock. */
#ifndef DT_CLOCK_H
#define DT_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds, for deadlines. fuzz_pam replaces it with a
 * virtual clock (-Wl,--wrap=dt_now_ms), which only reaches calls from other
 * files: nothing in clock.c calls it. */
int64_t dt_now_ms(void);

/* Wall-clock milliseconds since the epoch. */
int64_t dt_wall_ms(void);

#endif
