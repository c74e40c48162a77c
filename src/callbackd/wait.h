/* Long-poll waiters without blocking libmicrohttpd's thread: a waiting
 * connection is suspended, and resumed when its session changes status
 * (the store's notice for its id, or CBD_NOTIFY_EVERYONE when the store
 * may have missed changes: every waiter then polls again) or when its
 * deadline passes (a timer thread that
 * sleeps on a condition variable until the next deadline). The same timer
 * expires and forgets sessions when they are due. */
#ifndef CBD_WAIT_H
#define CBD_WAIT_H

#include <stdint.h>
#include <microhttpd.h>

#include "base/err.h"
#include "base/log.h"
#include "store.h"

struct cbd_waiter {
	struct cbd_waiter *prev, *next;
	struct MHD_Connection *conn;
	char id[CBD_ID_LEN + 1];
	int64_t wake_ms;
	int linked;
};

struct cbd_waiters;

/* Starts the timer and subscribes to the store's notices. */
struct cbd_waiters *cbd_waiters_start(struct cbd_store *store, const struct dt_log *log,
				      struct dt_err *err);

/* A counter of status changes: read it before polling the store, and pass
 * it to cbd_waiters_suspend so that a change in between is not missed. */
uint64_t cbd_waiters_epoch(struct cbd_waiters *ws);

enum cbd_suspend_rc {
	CBD_SUSPENDED, /* the handler must return; it is called again on resume */
	CBD_RETRY,     /* something changed since `epoch`: poll again */
	CBD_STOPPING,  /* shutting down: answer now */
};

/* Called from the access handler. */
enum cbd_suspend_rc cbd_waiters_suspend(struct cbd_waiters *ws, struct cbd_waiter *w,
					struct MHD_Connection *conn, const char *id,
					int64_t wake_ms, uint64_t epoch);

/* Drops `w` if it is still waiting (the request is being freed). */
void cbd_waiters_forget(struct cbd_waiters *ws, struct cbd_waiter *w);

/* Resumes every waiter and refuses new ones. Call before MHD_stop_daemon. */
void cbd_waiters_shutdown(struct cbd_waiters *ws);

/* Stops the timer and frees; after the HTTP server has stopped. */
void cbd_waiters_free(struct cbd_waiters *ws);

#endif
