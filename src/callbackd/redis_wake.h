/* The wake-up channel of a fleet: one subscription per replica.
 *
 * A replica that changed a session publishes its id on the channel; every
 * replica's subscriber thread hands each id to `on_id`, which wakes the
 * long-polls waiting on it in that process (wait.c). Pub/sub loses what
 * is published while a subscriber is away, so `on_lost` is called whenever
 * the subscription is lost or made again: every waiter must then read its
 * session anew. Waiters also re-read on a timer (the store caps a pending
 * session's wake-up at one second), so a lost message only delays. */
#ifndef CBD_REDIS_WAKE_H
#define CBD_REDIS_WAKE_H

#include "base/err.h"
#include "base/log.h"
#include "redis_conn.h"

struct cbd_redis_wake;

typedef void (*cbd_wake_id_fn)(void *ctx, const char *id);
typedef void (*cbd_wake_lost_fn)(void *ctx);

/* Starts the thread. It connects (sentinel discovery included), subscribes
 * to `channel`, and on any failure reconnects with a growing pause (100 ms
 * doubling to 2 s). Copies `t` and `channel`. */
struct cbd_redis_wake *cbd_redis_wake_start(const struct cbd_redis_target *t, const char *channel,
					    cbd_wake_id_fn on_id, cbd_wake_lost_fn on_lost,
					    void *ctx, const struct dt_log *log,
					    struct dt_err *err);

/* Stops the thread (within about redis_timeout) and frees. */
void cbd_redis_wake_stop(struct cbd_redis_wake *w);

#endif
