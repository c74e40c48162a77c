/* Suspended long-polls, their wake-ups, and the clock that drives expiry.
 *
 * Lock order: the waiters' lock is never held while calling the store
 * (the store calls back into us with notices); MHD_resume_connection is
 * called with it held, which libmicrohttpd allows from any thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"
#include "mono_cond.h"
#include "wait.h"

struct cbd_waiters {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t timer;
	struct cbd_store *store;
	const struct dt_log *log;
	struct cbd_waiter *head;
	uint64_t epoch;
	int kicked, stopping, timer_running;
};

static void unlink_waiter(struct cbd_waiters *ws, struct cbd_waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		ws->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
	w->linked = 0;
}

static void wake(struct cbd_waiters *ws, struct cbd_waiter *w)
{
	unlink_waiter(ws, w);
	MHD_resume_connection(w->conn);
}

/* The store's notice: a session changed (id), any may have
 * (CBD_NOTIFY_EVERYONE), or its deadlines moved (NULL). */
static void on_store_change(void *ctx, const char *id)
{
	struct cbd_waiters *ws = ctx;
	struct cbd_waiter *w, *next;

	pthread_mutex_lock(&ws->lock);
	if (id == NULL) {
		ws->kicked = 1;
		pthread_cond_signal(&ws->cond);
	} else if (strcmp(id, CBD_NOTIFY_EVERYONE) == 0) {
		/* Changes may have gone unannounced: every waiter polls again. */
		ws->epoch++;
		while (ws->head != NULL)
			wake(ws, ws->head);
	} else {
		ws->epoch++;
		for (w = ws->head; w != NULL; w = next) {
			next = w->next;
			if (strcmp(w->id, id) == 0)
				wake(ws, w);
		}
	}
	pthread_mutex_unlock(&ws->lock);
}

static int64_t wake_due(struct cbd_waiters *ws, int64_t now)
{
	struct cbd_waiter *w, *next;
	int64_t next_due = INT64_MAX;

	for (w = ws->head; w != NULL; w = next) {
		next = w->next;
		if (w->wake_ms <= now)
			wake(ws, w);
		else if (w->wake_ms < next_due)
			next_due = w->wake_ms;
	}
	return next_due;
}

/* Sleeps until `due` (dt_now_ms time) or a signal. */
static void sleep_until(struct cbd_waiters *ws, int64_t due)
{
	if (due == INT64_MAX) {
		pthread_cond_wait(&ws->cond, &ws->lock);
		return;
	}
	cbd_mono_wait_until(&ws->cond, &ws->lock, due);
}

static void *timer_main(void *arg)
{
	struct cbd_waiters *ws = arg;
	int64_t now, due, store_due;

	pthread_mutex_lock(&ws->lock);
	while (!ws->stopping) {
		ws->kicked = 0;
		pthread_mutex_unlock(&ws->lock);
		store_due = cbd_store_tick(ws->store, dt_now_ms());
		pthread_mutex_lock(&ws->lock);
		if (ws->stopping)
			break;
		now = dt_now_ms();
		due = wake_due(ws, now);
		if (store_due < due)
			due = store_due;
		if (!ws->kicked && due > now)
			sleep_until(ws, due);
	}
	pthread_mutex_unlock(&ws->lock);
	return NULL;
}

struct cbd_waiters *cbd_waiters_start(struct cbd_store *store, const struct dt_log *log,
				      struct dt_err *err)
{
	struct cbd_waiters *ws = calloc(1, sizeof(*ws));

	if (ws == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	ws->store = store;
	ws->log = log;
	if (cbd_mono_init(&ws->lock, &ws->cond) != 0) {
		free(ws);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the timer's lock");
		return NULL;
	}
	cbd_store_set_notify(store, on_store_change, ws);
	if (pthread_create(&ws->timer, NULL, timer_main, ws) != 0) {
		cbd_waiters_free(ws);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot start the timer thread");
		return NULL;
	}
	ws->timer_running = 1;
	return ws;
}

void cbd_waiters_wake(struct cbd_waiters *ws, const char *id)
{
	on_store_change(ws, id);
}

uint64_t cbd_waiters_epoch(struct cbd_waiters *ws)
{
	uint64_t e;

	pthread_mutex_lock(&ws->lock);
	e = ws->epoch;
	pthread_mutex_unlock(&ws->lock);
	return e;
}

enum cbd_suspend_rc cbd_waiters_suspend(struct cbd_waiters *ws, struct cbd_waiter *w,
					struct MHD_Connection *conn, const char *id,
					int64_t wake_ms, uint64_t epoch)
{
	enum cbd_suspend_rc rc = CBD_SUSPENDED;

	pthread_mutex_lock(&ws->lock);
	if (ws->stopping) {
		rc = CBD_STOPPING;
	} else if (ws->epoch != epoch) {
		rc = CBD_RETRY;
	} else {
		memset(w, 0, sizeof(*w));
		w->conn = conn;
		memcpy(w->id, id, CBD_ID_LEN + 1);
		w->wake_ms = wake_ms;
		w->next = ws->head;
		if (ws->head != NULL)
			ws->head->prev = w;
		ws->head = w;
		w->linked = 1;
		/* Suspended under the lock: a notice cannot resume it first. */
		MHD_suspend_connection(conn);
		ws->kicked = 1;
		pthread_cond_signal(&ws->cond);
	}
	pthread_mutex_unlock(&ws->lock);
	return rc;
}

void cbd_waiters_forget(struct cbd_waiters *ws, struct cbd_waiter *w)
{
	pthread_mutex_lock(&ws->lock);
	if (w->linked)
		unlink_waiter(ws, w);
	pthread_mutex_unlock(&ws->lock);
}

void cbd_waiters_shutdown(struct cbd_waiters *ws)
{
	pthread_mutex_lock(&ws->lock);
	ws->stopping = 1;
	while (ws->head != NULL)
		wake(ws, ws->head);
	pthread_cond_signal(&ws->cond);
	pthread_mutex_unlock(&ws->lock);
	if (ws->timer_running) {
		pthread_join(ws->timer, NULL);
		ws->timer_running = 0;
	}
}

void cbd_waiters_free(struct cbd_waiters *ws)
{
	if (ws == NULL)
		return;
	if (ws->timer_running)
		cbd_waiters_shutdown(ws);
	/* Only now: until the servers stopped, handlers could still notify. */
	cbd_store_set_notify(ws->store, NULL, NULL);
	pthread_cond_destroy(&ws->cond);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
