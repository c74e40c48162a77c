/* The subscriber thread: one connection in SUBSCRIBE mode, read with poll
 * so that a stop (a byte on a pipe) ends it at once, and a PING every
 * second so that a silent network failure is noticed too. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/util.h"
#include "redis_wake.h"
#include "store.h"

#define PAUSE_MIN_MS 100
#define PAUSE_MAX_MS 2000
#define PING_MS	     1000

struct cbd_redis_wake {
	struct cbd_redis_target t;
	char *channel;
	cbd_wake_id_fn on_id;
	cbd_wake_lost_fn on_lost;
	void *ctx;
	const struct dt_log *log;
	int stop_pipe[2];
	pthread_t thread;
	int running;
};

/* 1 when the stop byte came (or poll failed), 0 after `ms`. */
static int stop_requested(struct cbd_redis_wake *w, int ms)
{
	struct pollfd p = {.fd = w->stop_pipe[0], .events = POLLIN, .revents = 0};

	return poll(&p, 1, ms) != 0;
}

static int subscribe(struct cbd_redis_wake *w, redisContext *c, char *why, size_t why_size)
{
	const char *argv[] = {"SUBSCRIBE", w->channel};
	redisReply *reply = redisCommandArgv(c, 2, argv, NULL);
	int ok;

	if (reply == NULL) {
		snprintf(why, why_size, "SUBSCRIBE: %s", cbd_redis_error(c));
		return -1;
	}
	ok = reply->type == REDIS_REPLY_ARRAY && reply->elements == 3;
	if (!ok)
		snprintf(why, why_size, "SUBSCRIBE refused (an ACL without +subscribe or &%s?)",
			 w->channel);
	freeReplyObject(reply);
	return ok ? 0 : -1;
}

/* ["message", channel, id]: only a well-formed session id is passed on. */
static void handle(struct cbd_redis_wake *w, const redisReply *reply)
{
	const redisReply *kind, *id;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
		return;
	kind = reply->element[0];
	id = reply->element[2];
	if (kind->type != REDIS_REPLY_STRING || strcmp(kind->str, "message") != 0 ||
	    id->type != REDIS_REPLY_STRING || !dt_is_token(id->str, CBD_ID_LEN, CBD_ID_LEN))
		return;
	w->on_id(w->ctx, id->str);
}

static int read_replies(struct cbd_redis_wake *w, redisContext *c)
{
	void *reply = NULL;

	if (redisBufferRead(c) != REDIS_OK)
		return -1;
	while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply != NULL) {
		handle(w, reply);
		freeReplyObject(reply);
		reply = NULL;
	}
	return c->err != 0 ? -1 : 0;
}

static int send_ping(redisContext *c)
{
	int done = 0;

	if (redisAppendCommand(c, "PING") != REDIS_OK)
		return -1;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	return 0;
}

/* Reads messages until the connection fails (-1, why set) or a stop (1). */
static int listen_loop(struct cbd_redis_wake *w, redisContext *c, char *why, size_t why_size)
{
	int64_t now = dt_now_ms(), last_data = now, last_ping = now;
	int64_t silence_max = PING_MS + 2 * (int64_t)w->t.timeout_ms;
	struct pollfd p[2];

	for (;;) {
		p[0] = (struct pollfd){.fd = c->fd, .events = POLLIN, .revents = 0};
		p[1] = (struct pollfd){.fd = w->stop_pipe[0], .events = POLLIN, .revents = 0};
		if (poll(p, 2, 250) < 0 || p[1].revents != 0)
			return 1;
		now = dt_now_ms();
		if (p[0].revents != 0) {
			if (read_replies(w, c) != 0) {
				snprintf(why, why_size, "the subscription's connection failed: %s",
					 cbd_redis_error(c));
				return -1;
			}
			last_data = now;
		}
		if (now - last_ping >= PING_MS) {
			if (send_ping(c) != 0) {
				snprintf(why, why_size, "cannot PING on the subscription: %s",
					 cbd_redis_error(c));
				return -1;
			}
			last_ping = now;
		}
		if (now - last_data > silence_max) {
			snprintf(why, why_size, "the subscription went silent (no answer to PING)");
			return -1;
		}
	}
}

static void *wake_main(void *arg)
{
	struct cbd_redis_wake *w = arg;
	int pause = PAUSE_MIN_MS, subscribed = 0, warned = 0, rc;
	char why[300];
	redisContext *c;

	for (;;) {
		c = cbd_redis_connect(&w->t, dt_now_ms() + w->t.timeout_ms, why, sizeof(why));
		if (c != NULL && subscribe(w, c, why, sizeof(why)) == 0) {
			dt_logf(w->log, warned ? LOG_NOTICE : LOG_DEBUG,
				"redis: subscribed to the wake-up channel");
			subscribed = 1;
			warned = 0;
			pause = PAUSE_MIN_MS;
			/* Whatever was published while away is lost. */
			w->on_lost(w->ctx);
			rc = listen_loop(w, c, why, sizeof(why));
			redisFree(c);
			c = NULL;
			if (rc > 0)
				break;
		}
		if (c != NULL)
			redisFree(c);
		if (subscribed || !warned)
			dt_logf(w->log, LOG_WARNING,
				"redis: no wake-up subscription (%s); retrying", why);
		if (subscribed)
			w->on_lost(w->ctx); /* waiters read their sessions (and see Redis down) */
		subscribed = 0;
		warned = 1;
		if (stop_requested(w, pause))
			break;
		pause = pause * 2 > PAUSE_MAX_MS ? PAUSE_MAX_MS : pause * 2;
	}
	return NULL;
}

static void wake_free(struct cbd_redis_wake *w)
{
	if (w->stop_pipe[0] >= 0)
		close(w->stop_pipe[0]);
	if (w->stop_pipe[1] >= 0)
		close(w->stop_pipe[1]);
	cbd_redis_target_free(&w->t);
	free(w->channel);
	free(w);
}

struct cbd_redis_wake *cbd_redis_wake_start(const struct cbd_redis_target *t, const char *channel,
					    cbd_wake_id_fn on_id, cbd_wake_lost_fn on_lost,
					    void *ctx, const struct dt_log *log, struct dt_err *err)
{
	struct cbd_redis_wake *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	w->stop_pipe[0] = w->stop_pipe[1] = -1;
	w->on_id = on_id;
	w->on_lost = on_lost;
	w->ctx = ctx;
	w->log = log;
	w->channel = strdup(channel);
	if (w->channel == NULL || cbd_redis_target_copy(&w->t, t) != 0) {
		wake_free(w);
		dt_err_oom(err);
		return NULL;
	}
	if (pipe2(w->stop_pipe, O_CLOEXEC) != 0 ||
	    pthread_create(&w->thread, NULL, wake_main, w) != 0) {
		wake_free(w);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot start the Redis subscriber thread");
		return NULL;
	}
	w->running = 1;
	return w;
}

void cbd_redis_wake_stop(struct cbd_redis_wake *w)
{
	char byte = 1;

	if (w == NULL)
		return;
	if (w->running) {
		if (write(w->stop_pipe[1], &byte, 1) != 1)
			dt_logf(w->log, LOG_ERR, "redis: cannot signal the subscriber to stop");
		pthread_join(w->thread, NULL);
	}
	wake_free(w);
}
