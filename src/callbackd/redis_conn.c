/* Reaching the Redis primary, and the pool of connections to it.
 *
 * hiredis 0.14 (Debian 12) is used in its blocking mode: a connect with a
 * timeout, then redisSetTimeout for every read and write, so no call can
 * hang past timeout_ms. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "base/util.h"
#include "conf.h"
#include "mono_cond.h"
#include "redis_conn.h"

/* The least time a sentinel is given, however many there are. */
#define MIN_SHARE_MS 25
/* While the breaker is open, one call at a time may try Redis again, at
 * most this often; every other call fails at once. */
#define PROBE_EVERY_MS 250

/* ---- one connection ---- */

static struct timeval tv_of(int64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* What is left of the deadline, at most timeout_ms; 0 when none is. */
static int64_t budget(const struct cbd_redis_target *t, int64_t deadline_ms)
{
	int64_t left = deadline_ms - dt_now_ms();

	if (left <= 0)
		return 0;
	return left < (int64_t)t->timeout_ms ? left : (int64_t)t->timeout_ms;
}

/* A TCP (host, port) or Unix (unix:/path) connection with timeouts set. */
static redisContext *open_addr(const char *host, int port, const char *unix_path, int64_t ms,
			       const char *shown, char *why, size_t why_size)
{
	redisContext *c;

	if (ms <= 0) {
		snprintf(why, why_size, "%s: no time left within redis_timeout", shown);
		return NULL;
	}
	c = unix_path != NULL ? redisConnectUnixWithTimeout(unix_path, tv_of(ms))
			      : redisConnectWithTimeout(host, port, tv_of(ms));
	if (c == NULL) {
		snprintf(why, why_size, "%s: out of memory", shown);
		return NULL;
	}
	if (c->err != 0) {
		snprintf(why, why_size, "%s: cannot connect: %s", shown, cbd_redis_error(c));
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv_of(ms)) != REDIS_OK) {
		snprintf(why, why_size, "%s: cannot set the timeout", shown);
		redisFree(c);
		return NULL;
	}
	return c;
}

const char *cbd_redis_error(const redisContext *c)
{
	/* A read or write past redisSetTimeout fails with EAGAIN. */
	if (c->err == REDIS_ERR_IO && strstr(c->errstr, "temporarily unavailable") != NULL)
		return "no answer within redis_timeout";
	return c->errstr[0] != '\0' ? c->errstr : "connection closed";
}

int cbd_redis_numeric_host(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* "ip:port", "[v6]:port" or "unix:/path". A host name is refused, here
 * too (a sentinel may announce one): its lookup could not be bounded. */
static redisContext *open_spec(const char *spec, int64_t ms, char *why, size_t why_size)
{
	char host[256], port[8];

	if (strncmp(spec, "unix:", 5) == 0)
		return open_addr(NULL, 0, spec + 5, ms, spec, why, why_size);
	if (cbd_split_hostport(spec, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(why, why_size, "%s: not host:port", spec);
		return NULL;
	}
	if (!cbd_redis_numeric_host(host)) {
		snprintf(why, why_size,
			 "%s: a host name, not an IP address (a sentinel with announce-hostnames "
			 "yes?); a name lookup cannot be bounded by redis_timeout",
			 spec);
		return NULL;
	}
	return open_addr(host, atoi(port), NULL, ms, spec, why, why_size);
}

/* Copies an error reply's first words (Redis error texts hold no
 * argument values, but they are cut and cleaned anyway). */
static void reply_error(const redisReply *reply, const char *shown, const char *step, char *why,
			size_t why_size)
{
	char text[100];

	if (reply == NULL) {
		snprintf(why, why_size, "%s: %s: no answer", shown, step);
		return;
	}
	snprintf(text, sizeof(text), "%.*s", reply->type == REDIS_REPLY_ERROR ? (int)reply->len : 0,
		 reply->type == REDIS_REPLY_ERROR ? reply->str : "");
	dt_sanitize_text(text);
	snprintf(why, why_size, "%s: %s refused: %s", shown, step,
		 text[0] != '\0' ? text : "an unexpected answer");
}

static int command_ok(redisContext *c, int argc, const char **argv, const char *shown,
		      const char *step, char *why, size_t why_size)
{
	redisReply *reply = redisCommandArgv(c, argc, argv, NULL);
	int ok;

	if (reply == NULL) {
		snprintf(why, why_size, "%s: %s: %s", shown, step, cbd_redis_error(c));
		return 0;
	}
	ok = reply->type == REDIS_REPLY_STATUS;
	if (!ok)
		reply_error(reply, shown, step, why, why_size);
	freeReplyObject(reply);
	return ok;
}

/* ROLE's first element must be "master": a replica would refuse writes. */
static int is_master(redisContext *c, const char *shown, char *why, size_t why_size)
{
	const char *argv[] = {"ROLE"};
	redisReply *reply = redisCommandArgv(c, 1, argv, NULL);
	int ok;

	if (reply == NULL) {
		snprintf(why, why_size, "%s: ROLE: %s", shown, cbd_redis_error(c));
		return 0;
	}
	ok = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	     reply->element[0]->type == REDIS_REPLY_STRING &&
	     strcmp(reply->element[0]->str, "master") == 0;
	if (!ok && reply->type == REDIS_REPLY_ERROR)
		reply_error(reply, shown, "ROLE", why, why_size);
	else if (!ok)
		snprintf(why, why_size, "%s: is not a master (ROLE); a failover may be under way",
			 shown);
	freeReplyObject(reply);
	return ok;
}

/* AUTH, then the master check, then SELECT. */
static int log_in(redisContext *c, const struct cbd_redis_target *t, int check_role,
		  const char *shown, char *why, size_t why_size)
{
	char db[16];
	const char *argv[3];

	if (t->password != NULL) {
		argv[0] = "AUTH";
		argv[1] = t->user != NULL ? t->user : t->password;
		argv[2] = t->password;
		if (!command_ok(c, t->user != NULL ? 3 : 2, argv, shown, "AUTH", why, why_size))
			return -1;
	}
	if (check_role && !is_master(c, shown, why, why_size))
		return -1;
	if (t->db != 0) {
		snprintf(db, sizeof(db), "%u", t->db);
		argv[0] = "SELECT";
		argv[1] = db;
		if (!command_ok(c, 2, argv, shown, "SELECT", why, why_size))
			return -1;
	}
	return 0;
}

/* Asks one sentinel where the primary is: "ip:port" into out, within
 * `share` ms of the deadline's budget. */
static int ask_sentinel(const struct cbd_redis_target *t, const char *sentinel, int64_t deadline_ms,
			int64_t share, char *out, size_t out_size, char *why, size_t why_size)
{
	const char *argv[] = {"SENTINEL", "get-master-addr-by-name", t->master};
	int64_t ms = budget(t, deadline_ms);
	redisContext *c = open_spec(sentinel, ms < share ? ms : share, why, why_size);
	redisReply *reply;
	int rc = -1;

	if (c == NULL)
		return -1;
	reply = redisCommandArgv(c, 3, argv, NULL);
	if (reply == NULL) {
		snprintf(why, why_size, "sentinel %s: %s", sentinel, cbd_redis_error(c));
	} else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
		   reply->element[0]->type == REDIS_REPLY_STRING &&
		   reply->element[1]->type == REDIS_REPLY_STRING) {
		/* An IPv6 address goes in brackets, as in the configuration. */
		if (strchr(reply->element[0]->str, ':') != NULL)
			snprintf(out, out_size, "[%s]:%s", reply->element[0]->str,
				 reply->element[1]->str);
		else
			snprintf(out, out_size, "%s:%s", reply->element[0]->str,
				 reply->element[1]->str);
		rc = 0;
	} else if (reply->type == REDIS_REPLY_NIL) {
		snprintf(why, why_size, "sentinel %s does not monitor a master named '%s'",
			 sentinel, t->master);
	} else {
		reply_error(reply, sentinel, "SENTINEL get-master-addr-by-name", why, why_size);
	}
	if (reply != NULL)
		freeReplyObject(reply);
	redisFree(c);
	return rc;
}

struct discovery {
	const struct cbd_redis_target *t;
	int64_t deadline_ms;
	int64_t share; /* ms each sentinel may take */
	redisContext *c;
	char *why;
	size_t why_size;
};

static int try_sentinel(void *ctx, const char *sentinel)
{
	struct discovery *d = ctx;
	char primary[300];

	if (ask_sentinel(d->t, sentinel, d->deadline_ms, d->share, primary, sizeof(primary), d->why,
			 d->why_size) != 0)
		return budget(d->t, d->deadline_ms) > 0 ? 0
							: 1; /* next sentinel, if time is left */
	d->c = open_spec(primary, budget(d->t, d->deadline_ms), d->why, d->why_size);
	if (d->c != NULL && log_in(d->c, d->t, 1, primary, d->why, d->why_size) != 0) {
		redisFree(d->c);
		d->c = NULL;
	}
	return d->c != NULL || budget(d->t, d->deadline_ms) == 0;
}

static int count_item(void *ctx, const char *item)
{
	(void)item;
	(*(unsigned *)ctx)++;
	return 0;
}

/* Each sentinel gets an equal share of redis_timeout, the primary one
 * more, so that a sentinel that never answers (a black-holed address)
 * leaves time to ask the others. */
static int64_t sentinel_share(const struct cbd_redis_target *t)
{
	unsigned n = 0;
	int64_t share;

	(void)cbd_conf_each_item(t->sentinels, count_item, &n);
	share = (int64_t)t->timeout_ms / (int64_t)(n + 1);
	return share < MIN_SHARE_MS ? MIN_SHARE_MS : share;
}

/* Connecting left the socket with what remained of the connect budget,
 * maybe a few ms: commands get the whole redis_timeout again. */
static redisContext *full_timeout(redisContext *c, const struct cbd_redis_target *t, char *why,
				  size_t why_size)
{
	if (redisSetTimeout(c, tv_of((int64_t)t->timeout_ms)) == REDIS_OK)
		return c;
	snprintf(why, why_size, "cannot set the timeout");
	redisFree(c);
	return NULL;
}

redisContext *cbd_redis_connect(const struct cbd_redis_target *t, int64_t deadline_ms, char *why,
				size_t why_size)
{
	struct discovery d = {.t = t,
			      .deadline_ms = deadline_ms,
			      .share = 0,
			      .c = NULL,
			      .why = why,
			      .why_size = why_size};
	redisContext *c;

	snprintf(why, why_size, "no sentinel answered");
	if (t->sentinels != NULL) {
		d.share = sentinel_share(t);
		if (cbd_conf_each_item(t->sentinels, try_sentinel, &d) < 0)
			snprintf(why, why_size, "out of memory");
		c = d.c;
	} else {
		c = open_spec(t->addr, budget(t, deadline_ms), why, why_size);
		if (c != NULL && log_in(c, t, 0, t->addr, why, why_size) != 0) {
			redisFree(c);
			c = NULL;
		}
	}
	return c != NULL ? full_timeout(c, t, why, why_size) : NULL;
}

/* Every string of a reply, nested ones too, wiped: a script's reply or an
 * error may hold a code. */
static void wipe_reply(redisReply *reply)
{
	size_t i;

	if (reply->str != NULL)
		OPENSSL_cleanse(reply->str, reply->len);
	for (i = 0; reply->element != NULL && i < reply->elements; i++)
		if (reply->element[i] != NULL)
			wipe_reply(reply->element[i]);
}

void cbd_redis_reply_free(redisReply *reply)
{
	if (reply == NULL)
		return;
	wipe_reply(reply);
	freeReplyObject(reply);
}

int cbd_redis_reply_moved(const redisReply *reply)
{
	static const char *const words[] = {"READONLY", "MASTERDOWN", "LOADING", NULL};
	size_t i, n;

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return 0;
	for (i = 0; words[i] != NULL; i++) {
		n = strlen(words[i]);
		if (reply->len >= n && strncmp(reply->str, words[i], n) == 0)
			return 1;
	}
	return 0;
}

/* ---- the pool ---- */

struct slot {
	redisContext *c;
	unsigned gen; /* the pool's generation when it connected */
	int busy;
};

struct cbd_redis {
	struct cbd_redis_target t;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned size, gen;
	struct slot *slots;
	/* The breaker, under lock: open after a failure, until a call
	 * succeeds; while open, only the probe (one call at a time, at most
	 * every PROBE_EVERY_MS) reaches Redis. */
	int open, probing;
	int64_t next_probe_ms;
	char last_why[200];
};

static char *dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*failed = 1;
	return d;
}

void cbd_redis_target_free(struct cbd_redis_target *t)
{
	free((char *)(uintptr_t)t->addr);
	free((char *)(uintptr_t)t->sentinels);
	free((char *)(uintptr_t)t->master);
	free((char *)(uintptr_t)t->user);
	dt_free_secret((char *)(uintptr_t)t->password);
}

int cbd_redis_target_copy(struct cbd_redis_target *dst, const struct cbd_redis_target *src)
{
	int failed = 0;

	dst->addr = dup_or_null(src->addr, &failed);
	dst->sentinels = dup_or_null(src->sentinels, &failed);
	dst->master = dup_or_null(src->master, &failed);
	dst->user = dup_or_null(src->user, &failed);
	dst->password = dup_or_null(src->password, &failed);
	dst->db = src->db;
	dst->timeout_ms = src->timeout_ms;
	return failed ? -1 : 0;
}

struct cbd_redis *cbd_redis_pool_new(const struct cbd_redis_target *t, unsigned size,
				     struct dt_err *err)
{
	struct cbd_redis *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	r->size = size;
	r->slots = calloc(size, sizeof(*r->slots));
	if (r->slots == NULL || cbd_redis_target_copy(&r->t, t) != 0) {
		cbd_redis_target_free(&r->t);
		free(r->slots);
		free(r);
		dt_err_oom(err);
		return NULL;
	}
	if (cbd_mono_init(&r->lock, &r->freed) != 0) {
		cbd_redis_target_free(&r->t);
		free(r->slots);
		free(r);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the Redis pool's lock");
		return NULL;
	}
	return r;
}

/* An idle slot, preferring one with a connection; NULL past the deadline,
 * or at once when the breaker opens meanwhile and this call is not the
 * probe (Redis just failed another call: waiting would only stall). */
static struct slot *acquire(struct cbd_redis *r, int64_t deadline_ms, int probe)
{
	struct slot *found = NULL;
	unsigned i;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		for (i = 0; i < r->size; i++) {
			if (r->slots[i].busy)
				continue;
			if (found == NULL || (found->c == NULL && r->slots[i].c != NULL))
				found = &r->slots[i];
		}
		if (found != NULL || dt_now_ms() >= deadline_ms || (r->open && !probe))
			break;
		cbd_mono_wait_until(&r->freed, &r->lock, deadline_ms);
	}
	if (found != NULL)
		found->busy = 1;
	pthread_mutex_unlock(&r->lock);
	return found;
}

static void drop(struct slot *s)
{
	if (s->c != NULL)
		redisFree(s->c);
	s->c = NULL;
}

/* ---- the breaker ---- */

/* 1 when this call may reach Redis (*probe set when it is the breaker's
 * probe), 0 with why when the breaker is open and it must fail at once. */
static int admit(struct cbd_redis *r, int *probe, char *why, size_t why_size)
{
	int64_t now = dt_now_ms();
	int ok = 1;

	*probe = 0;
	pthread_mutex_lock(&r->lock);
	if (r->open) {
		if (!r->probing && now >= r->next_probe_ms)
			r->probing = *probe = 1;
		else
			ok = 0;
	}
	if (!ok)
		snprintf(why, why_size,
			 "Redis failed a moment ago (%s); it is tried again every %d ms, "
			 "and every call fails at once meanwhile",
			 r->last_why, PROBE_EVERY_MS);
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* A call's end, in one critical section so that a waiter woken here
 * already sees the breaker as this call left it (woken before, it could
 * take a slot and try a Redis that has just failed). A failure closes
 * every idle connection too (they reach the same server, which has just
 * gone away or stopped being the primary) and opens the breaker, or keeps
 * it open with the next probe PROBE_EVERY_MS away; a success closes it. */
static void finish(struct cbd_redis *r, struct slot *s, int probe, int failed, const char *why)
{
	unsigned i;

	pthread_mutex_lock(&r->lock);
	if (failed) {
		r->gen++;
		for (i = 0; i < r->size; i++)
			if (!r->slots[i].busy)
				drop(&r->slots[i]);
	}
	if (failed || s->gen != r->gen)
		drop(s);
	s->busy = 0;
	if (probe)
		r->probing = 0;
	if (failed) {
		r->open = 1;
		r->next_probe_ms = dt_now_ms() + PROBE_EVERY_MS;
		snprintf(r->last_why, sizeof(r->last_why), "%s", why);
	} else {
		r->open = 0;
	}
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->lock);
}

/* An idle RESP connection has nothing to read: if it is readable, the
 * server closed it (a restart) and the next command would fail. */
static int went_away(redisContext *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN, .revents = 0};

	return poll(&p, 1, 0) != 0;
}

static unsigned current_gen(struct cbd_redis *r)
{
	unsigned g;

	pthread_mutex_lock(&r->lock);
	g = r->gen;
	pthread_mutex_unlock(&r->lock);
	return g;
}

/* Sends one command within what is left of the deadline: the socket's
 * timeout is set to that before each command, so a pooled connection never
 * keeps a shorter one left from its connect, nor a longer one than the
 * operation has. NULL with why on failure. */
static redisReply *command(struct slot *s, int64_t deadline_ms, int argc, const char **argv,
			   const size_t *lens, char *why, size_t why_size)
{
	int64_t left = deadline_ms - dt_now_ms();
	redisReply *reply;

	if (left <= 0) {
		snprintf(why, why_size, "no time left within redis_timeout");
		return NULL;
	}
	if (redisSetTimeout(s->c, tv_of(left)) != REDIS_OK) {
		snprintf(why, why_size, "cannot set the timeout");
		return NULL;
	}
	reply = redisCommandArgv(s->c, argc, argv, lens);
	if (reply == NULL)
		snprintf(why, why_size, "Redis command failed: %s", cbd_redis_error(s->c));
	return reply;
}

/* One command on a slot: 0 with *reply, or -1 (the slot is then failed). */
static int run_on(struct cbd_redis *r, struct slot *s, int64_t deadline_ms, int argc,
		  const char **argv, const size_t *lens, redisReply **reply, char *why,
		  size_t why_size)
{
	if (s->c != NULL && went_away(s->c))
		drop(s);
	if (s->c == NULL) {
		s->gen = current_gen(r);
		s->c = cbd_redis_connect(&r->t, deadline_ms, why, why_size);
		if (s->c == NULL)
			return -1;
	}
	*reply = command(s, deadline_ms, argc, argv, lens, why, why_size);
	if (*reply == NULL)
		return -1;
	if (cbd_redis_reply_moved(*reply)) {
		reply_error(*reply, "Redis", argv[0], why, why_size);
		cbd_redis_reply_free(*reply);
		*reply = NULL;
		return -1;
	}
	return 0;
}

/* No slot came free: no news about Redis itself, so the breaker stays as
 * it is; the reason is the breaker's if it opened meanwhile. */
static void no_slot(struct cbd_redis *r, int probe, char *why, size_t why_size)
{
	pthread_mutex_lock(&r->lock);
	if (probe)
		r->probing = 0;
	if (r->open)
		snprintf(why, why_size, "Redis failed a moment ago (%s)", r->last_why);
	else
		snprintf(why, why_size, "all %u Redis connections stayed busy for redis_timeout",
			 r->size);
	pthread_mutex_unlock(&r->lock);
}

int cbd_redis_run(struct cbd_redis *r, int64_t deadline_ms, int argc, const char **argv,
		  const size_t *lens, redisReply **reply, char *why, size_t why_size)
{
	struct slot *s;
	int probe, rc;

	*reply = NULL;
	if (!admit(r, &probe, why, why_size))
		return -1;
	s = acquire(r, deadline_ms, probe);
	if (s == NULL) {
		no_slot(r, probe, why, why_size);
		return -1;
	}
	rc = run_on(r, s, deadline_ms, argc, argv, lens, reply, why, why_size);
	finish(r, s, probe, rc != 0, why);
	return rc;
}

void cbd_redis_pool_free(struct cbd_redis *r)
{
	unsigned i;

	if (r == NULL)
		return;
	for (i = 0; i < r->size; i++)
		drop(&r->slots[i]);
	free(r->slots);
	cbd_redis_target_free(&r->t);
	pthread_cond_destroy(&r->freed);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
