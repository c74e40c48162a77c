/* The Redis store: store.h's operations as calls of the scripts in
 * store_redis_scripts.c, through the connection pool of redis_conn.c, with
 * the wake-up subscription of redis_wake.c.
 *
 * What stays in this process: nothing about sessions. The state is sent
 * to Redis only as its SHA-256, and the confirmation token only as its
 * SHA-256; the code is held in Redis from the callback to its release
 * (or the session's end), as the memory store holds it in memory. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base/clock.h"
#include "base/util.h"
#include "conf.h"
#include "proto/control_api.h"
#include "redis_conn.h"
#include "redis_wake.h"
#include "store.h"
#include "store_redis_scripts.h"

#define POOL_SIZE 8
/* A pending session's waiter reads it again at least this often: the
 * wake-up message may have been lost (redis_wake.h). */
#define REREAD_MS    1000
#define SCRIPT_ARGS  24
#define HASH_HEX_LEN (2 * SHA256_DIGEST_LENGTH)

struct rstore {
	struct cbd_store base;
	struct cbd_redis *pool;
	struct cbd_redis_wake *wake;
	struct cbd_store_limits limits;
	char prefix[CBD_REDIS_PREFIX_MAX + 1];
	char sha[CBD_SCRIPT_COUNT][2 * SHA_DIGEST_LENGTH + 1];
	/* base.notify and notify_ctx, which the subscriber thread reads */
	pthread_mutex_t notify_lock;
	/* base.instance, and whether Redis was last seen down (one log line
	 * per outage, not one per request) */
	pthread_mutex_t state_lock;
	int down;
	unsigned timeout_ms; /* redis_timeout: one store operation's whole budget */
};

/* A script's reply, checked: at least `min` elements, the first three as
 * store_redis_scripts.h says. */
struct answer {
	redisReply *reply;
	const char *result;
	long long changed;
};

static struct rstore *rstore_of(struct cbd_store *st)
{
	return (struct rstore *)(void *)st;
}

/* ---- notices ---- */

static void notify(struct rstore *rs, const char *id)
{
	pthread_mutex_lock(&rs->notify_lock);
	if (rs->base.notify != NULL)
		rs->base.notify(rs->base.notify_ctx, id);
	pthread_mutex_unlock(&rs->notify_lock);
}

static void r_set_notify(struct cbd_store *st, cbd_store_notify_fn fn, void *ctx)
{
	struct rstore *rs = rstore_of(st);

	pthread_mutex_lock(&rs->notify_lock);
	rs->base.notify = fn;
	rs->base.notify_ctx = ctx;
	pthread_mutex_unlock(&rs->notify_lock);
}

static void on_wake_id(void *ctx, const char *id)
{
	notify(ctx, id);
}

static void on_wake_lost(void *ctx)
{
	notify(ctx, CBD_NOTIFY_EVERYONE);
}

/* ---- the state of the connection to Redis ---- */

static void set_down(struct rstore *rs, const char *why)
{
	int was;

	pthread_mutex_lock(&rs->state_lock);
	was = rs->down;
	rs->down = 1;
	pthread_mutex_unlock(&rs->state_lock);
	if (!was)
		dt_logf(rs->base.log, LOG_ERR,
			"redis: the store cannot serve (%s); every request answers 'store down' "
			"until Redis is back",
			why);
}

/* Redis answered: note a recovery, and take its instance if it changed
 * (Redis lost its data; modules then see "another instance"). */
static void set_up(struct rstore *rs, const redisReply *inst)
{
	int was, changed = 0;

	pthread_mutex_lock(&rs->state_lock);
	was = rs->down;
	rs->down = 0;
	if (dt_is_token(inst->str, CBD_INSTANCE_LEN, CBD_INSTANCE_LEN) &&
	    strcmp(rs->base.instance, inst->str) != 0) {
		changed = rs->base.instance[0] != '\0';
		memcpy(rs->base.instance, inst->str, CBD_INSTANCE_LEN + 1);
	}
	pthread_mutex_unlock(&rs->state_lock);
	if (was)
		dt_logf(rs->base.log, LOG_NOTICE, "redis: the store serves again");
	if (changed)
		dt_logf(rs->base.log, LOG_WARNING,
			"redis: the store's instance changed to %s: Redis lost its data (a restart "
			"without persistence, FLUSHALL, a failover to an empty replica); modules "
			"with a login in flight see another instance and end it as unavailable",
			inst->str);
}

/* ---- running a script ---- */

static int script_call(struct rstore *rs, int64_t deadline_ms, const char *verb, const char *body,
		       int nargs, const char **args, redisReply **reply, char *why, size_t why_size)
{
	const char *argv[SCRIPT_ARGS + 5];
	char candidate[CBD_INSTANCE_LEN + 1];
	int i;

	if (dt_random_token(candidate, sizeof(candidate), 12) != 0) {
		snprintf(why, why_size, "the random source failed");
		return -1;
	}
	argv[0] = verb;
	argv[1] = body;
	argv[2] = "0";
	argv[3] = rs->prefix;
	argv[4] = candidate;
	for (i = 0; i < nargs; i++)
		argv[5 + i] = args[i];
	return cbd_redis_run(rs->pool, deadline_ms, nargs + 5, argv, NULL, reply, why, why_size);
}

static int is_noscript(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

static int answer_ok(const redisReply *r, size_t min)
{
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < min || min < 3)
		return 0;
	for (i = 0; i < r->elements; i++)
		if (i != 2 && r->element[i]->type != REDIS_REPLY_STRING &&
		    r->element[i]->type != REDIS_REPLY_INTEGER)
			return 0;
	return r->element[0]->type == REDIS_REPLY_STRING &&
	       r->element[1]->type == REDIS_REPLY_STRING &&
	       r->element[2]->type == REDIS_REPLY_INTEGER;
}

/* EVALSHA, and EVAL when Redis does not know the script (a restart or a
 * failover empties its script cache), both within one redis_timeout.
 * CBD_E_DOWN when Redis cannot be reached or answers anything but the
 * script's array. Every reply not handed back is wiped before it is freed:
 * a script's arguments and answers may hold a code. */
static enum cbd_rc run(struct rstore *rs, enum cbd_script which, int nargs, const char **args,
		       size_t min, struct answer *out)
{
	int64_t deadline = dt_now_ms() + rs->timeout_ms;
	char why[300], text[100];
	redisReply *r = NULL;

	memset(out, 0, sizeof(*out));
	if (script_call(rs, deadline, "EVALSHA", rs->sha[which], nargs, args, &r, why,
			sizeof(why)) == 0 &&
	    is_noscript(r)) {
		cbd_redis_reply_free(r);
		r = NULL;
		if (script_call(rs, deadline, "EVAL", cbd_script_text(which), nargs, args, &r, why,
				sizeof(why)) != 0)
			r = NULL;
	}
	if (r == NULL) {
		set_down(rs, why);
		return CBD_E_DOWN;
	}
	if (!answer_ok(r, min)) {
		snprintf(text, sizeof(text), "%.*s", r->type == REDIS_REPLY_ERROR ? (int)r->len : 0,
			 r->type == REDIS_REPLY_ERROR ? r->str : "an unexpected reply");
		dt_sanitize_text(text);
		snprintf(why, sizeof(why), "a script failed: %s", text[0] ? text : "no text");
		cbd_redis_reply_free(r);
		set_down(rs, why);
		return CBD_E_DOWN;
	}
	set_up(rs, r->element[0]);
	out->reply = r;
	out->result = r->element[1]->str;
	out->changed = r->element[2]->integer;
	return CBD_OK;
}

/* The string at index i of a checked answer ("" for an integer). */
static const char *at(const struct answer *a, size_t i)
{
	const redisReply *e = a->reply->element[i];

	return e->type == REDIS_REPLY_STRING ? e->str : "";
}

static long long int_at(const struct answer *a, size_t i)
{
	const redisReply *e = a->reply->element[i];

	return e->type == REDIS_REPLY_INTEGER ? e->integer : strtoll(e->str, NULL, 10);
}

/* Announces what the script changed, and logs an expiry it found. */
static void answer_done(struct rstore *rs, struct answer *a, const char *id)
{
	if (a->changed != 0 && id != NULL && id[0] != '\0') {
		if (a->changed == 2)
			dt_logf(rs->base.log, LOG_INFO, "session id=%s expired", id);
		notify(rs, id);
	}
	/* It may hold a code: wiped before it goes back to the heap. */
	cbd_redis_reply_free(a->reply);
	a->reply = NULL;
}

static int is(const struct answer *a, const char *word)
{
	return strcmp(a->result, word) == 0;
}

static void sha256_hex(const char *s, char out[HASH_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[SHA256_DIGEST_LENGTH];
	size_t i;

	SHA256((const unsigned char *)s, strlen(s), h);
	for (i = 0; i < sizeof(h); i++) {
		out[2 * i] = hex[h[i] >> 4];
		out[2 * i + 1] = hex[h[i] & 15];
	}
	out[HASH_HEX_LEN] = '\0';
	OPENSSL_cleanse(h, sizeof(h));
}

/* ---- the operations ---- */

static enum cbd_rc add_result(const struct answer *a)
{
	if (is(a, "ok"))
		return CBD_OK;
	if (is(a, "dup"))
		return CBD_E_DUP;
	if (is(a, "requester_full"))
		return CBD_E_REQUESTER_FULL;
	if (is(a, "address_full"))
		return CBD_E_ADDRESS_FULL;
	if (is(a, "host_full"))
		return CBD_E_HOST_FULL;
	if (is(a, "full"))
		return CBD_E_FULL;
	return CBD_E_INTERNAL;
}

struct add_args {
	char id[CBD_ID_LEN + 1], sth[HASH_HEX_LEN + 1], num[12], created[24], choices[16];
	char ttl[16], linger[16], max[4][16];
};

static enum cbd_rc r_add(struct cbd_store *st, const struct cbd_new_session *ns,
			 char id_out[CBD_ID_LEN + 1])
{
	struct rstore *rs = rstore_of(st);
	struct add_args x;
	unsigned ch[CBD_CHOICES];
	struct answer a;
	enum cbd_rc rc = CBD_E_INTERNAL;
	int tries;
	const char *args[] = {x.id,
			      x.sth,
			      x.num,
			      ns->user,
			      ns->service,
			      ns->host,
			      ns->rhost,
			      x.created,
			      x.choices,
			      ns->authorize_url,
			      ns->requester,
			      ns->address,
			      ns->owner != NULL ? ns->owner : "",
			      x.ttl,
			      x.linger,
			      x.max[0],
			      x.max[1],
			      x.max[2],
			      x.max[3],
			      ns->command != NULL ? ns->command : ""};

	memset(&x, 0, sizeof(x));
	if (cbd_make_choices(ns->number, ch) != 0)
		return CBD_E_INTERNAL;
	sha256_hex(ns->state, x.sth);
	snprintf(x.num, sizeof(x.num), "%u", ns->number);
	snprintf(x.created, sizeof(x.created), "%lld", (long long)time(NULL));
	snprintf(x.choices, sizeof(x.choices), "%u,%u,%u", ch[0], ch[1], ch[2]);
	snprintf(x.ttl, sizeof(x.ttl), "%u", ns->ttl_s * 1000u);
	snprintf(x.linger, sizeof(x.linger), "%u", rs->limits.linger_ms);
	snprintf(x.max[0], sizeof(x.max[0]), "%u", rs->limits.max_pending);
	snprintf(x.max[1], sizeof(x.max[1]), "%u", rs->limits.max_pending_per_requester);
	snprintf(x.max[2], sizeof(x.max[2]), "%u", rs->limits.max_pending_per_address);
	snprintf(x.max[3], sizeof(x.max[3]), "%u", rs->limits.max_pending_per_host);
	/* A new random id until one is free (a collision of 96 random bits
	 * is all but impossible; the loop is bounded anyway). */
	for (tries = 0; tries < 8; tries++) {
		if (dt_random_token(x.id, sizeof(x.id), 12) != 0)
			return CBD_E_INTERNAL;
		rc = run(rs, CBD_SCRIPT_ADD, (int)(sizeof(args) / sizeof(args[0])), args, 3, &a);
		if (rc != CBD_OK)
			return rc;
		rc = is(&a, "id_taken") ? CBD_E_INTERNAL : add_result(&a);
		answer_done(rs, &a, NULL);
		if (rc == CBD_OK)
			memcpy(id_out, x.id, CBD_ID_LEN + 1);
		if (rc != CBD_E_INTERNAL)
			break;
	}
	return rc;
}

static enum cbd_rc ended_or(const struct answer *a)
{
	if (is(a, "unknown"))
		return CBD_E_UNKNOWN;
	if (is(a, "ended"))
		return CBD_E_ENDED;
	if (is(a, "used"))
		return CBD_E_USED;
	if (is(a, "token"))
		return CBD_E_TOKEN;
	return CBD_E_INTERNAL;
}

static enum cbd_rc r_follow_link(struct cbd_store *st, const char *id, char **url_out)
{
	struct rstore *rs = rstore_of(st);
	char linger[16];
	const char *args[] = {id, linger};
	struct answer a;
	enum cbd_rc rc;

	*url_out = NULL;
	if (strlen(id) != CBD_ID_LEN)
		return CBD_E_UNKNOWN;
	snprintf(linger, sizeof(linger), "%u", rs->limits.linger_ms);
	rc = run(rs, CBD_SCRIPT_FOLLOW, 2, args, 3, &a);
	if (rc != CBD_OK)
		return rc;
	if (!is(&a, "ok"))
		rc = ended_or(&a);
	else if (a.reply->elements < 4 || (*url_out = strdup(at(&a, 3))) == NULL)
		rc = CBD_E_INTERNAL;
	answer_done(rs, &a, id);
	return rc;
}

static void copy_field(char *dst, const char *src)
{
	size_t n = strnlen(src, DT_CONTROL_FIELD_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The page's fields, from the 'confirm' answer. */
static int fill_view(const struct answer *a, struct cbd_view *view)
{
	unsigned c[CBD_CHOICES];

	if (a->reply->elements < 11 ||
	    sscanf(at(a, 9), "%u,%u,%u", &c[0], &c[1], &c[2]) != CBD_CHOICES)
		return -1;
	copy_field(view->user, at(a, 4));
	copy_field(view->service, at(a, 5));
	copy_field(view->host, at(a, 6));
	copy_field(view->rhost, at(a, 7));
	view->created = (time_t)int_at(a, 8);
	memcpy(view->choices, c, sizeof(c));
	/* "" for a session stored by a replica that predates the field (the
	 * script answers its missing `cmd` so). */
	snprintf(view->command, sizeof(view->command), "%s", at(a, 10));
	return 0;
}

static enum cbd_rc callback_result(struct answer *a, enum cbd_outcome *outcome,
				   struct cbd_view *view, const char *token)
{
	if (is(a, "refused")) {
		*outcome = CBD_DONE_REFUSED;
		return CBD_OK;
	}
	if (is(a, "approved")) {
		*outcome = CBD_DONE_APPROVED;
		return CBD_OK;
	}
	if (is(a, "confirm")) {
		if (fill_view(a, view) != 0)
			return CBD_E_INTERNAL;
		memcpy(view->token, token, CBD_TOKEN_LEN + 1);
		*outcome = CBD_NEED_CONFIRM;
		return CBD_OK;
	}
	return ended_or(a);
}

static enum cbd_rc r_callback(struct cbd_store *st, const char *state, const char *code,
			      int confirm, enum cbd_outcome *outcome, struct cbd_view *view)
{
	struct rstore *rs = rstore_of(st);
	char sth[HASH_HEX_LEN + 1], tok[CBD_TOKEN_LEN + 1], tokh[HASH_HEX_LEN + 1], linger[16];
	const char *args[] = {
	    sth,   code != NULL ? code : "", code != NULL ? "1" : "0", confirm ? "1" : "0", tokh,
	    linger};
	struct answer a;
	enum cbd_rc rc;

	memset(view, 0, sizeof(*view));
	if (dt_random_token(tok, sizeof(tok), 24) != 0)
		return CBD_E_INTERNAL;
	sha256_hex(state, sth);
	sha256_hex(tok, tokh);
	snprintf(linger, sizeof(linger), "%u", rs->limits.linger_ms);
	rc = run(rs, CBD_SCRIPT_CALLBACK, 6, args, 4, &a);
	OPENSSL_cleanse(sth, sizeof(sth));
	if (rc != CBD_OK) {
		OPENSSL_cleanse(tok, sizeof(tok));
		return rc;
	}
	if (strlen(at(&a, 3)) == CBD_ID_LEN)
		memcpy(view->id, at(&a, 3), CBD_ID_LEN + 1);
	rc = callback_result(&a, outcome, view, tok);
	OPENSSL_cleanse(tok, sizeof(tok));
	answer_done(rs, &a, view->id);
	return rc;
}

static enum cbd_rc r_confirm(struct cbd_store *st, const char *id, const char *token,
			     unsigned number, enum cbd_outcome *outcome)
{
	struct rstore *rs = rstore_of(st);
	char tokh[HASH_HEX_LEN + 1], num[12], linger[16];
	const char *args[] = {id, tokh, num, linger};
	struct answer a;
	enum cbd_rc rc;

	if (strlen(id) != CBD_ID_LEN)
		return CBD_E_UNKNOWN;
	if (strlen(token) != CBD_TOKEN_LEN)
		return CBD_E_TOKEN;
	sha256_hex(token, tokh);
	snprintf(num, sizeof(num), "%u", number);
	snprintf(linger, sizeof(linger), "%u", rs->limits.linger_ms);
	rc = run(rs, CBD_SCRIPT_CONFIRM, 4, args, 3, &a);
	if (rc != CBD_OK)
		return rc;
	if (is(&a, "approved"))
		*outcome = CBD_DONE_APPROVED;
	else if (is(&a, "refused"))
		*outcome = CBD_DONE_REFUSED;
	else
		rc = ended_or(&a);
	answer_done(rs, &a, id);
	return rc;
}

static int parse_status(const char *s, enum cbd_status *out)
{
	static const char names[] = {'p', 'a', 'r', 'e'};
	static const enum cbd_status values[] = {CBD_PENDING, CBD_APPROVED, CBD_REFUSED,
						 CBD_EXPIRED};
	size_t i;

	for (i = 0; i < sizeof(names); i++)
		if (s[0] == names[i] && s[1] == '\0') {
			*out = values[i];
			return 0;
		}
	return -1;
}

static enum cbd_reason parse_reason(const char *s)
{
	static const enum cbd_reason all[] = {CBD_REASON_DENIED, CBD_REASON_WRONG_NUMBER,
					      CBD_REASON_CANCELLED};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, cbd_reason_name(all[i])) == 0)
			return all[i];
	return CBD_REASON_NONE;
}

static enum cbd_rc poll_result(const struct answer *a, struct cbd_poll *out)
{
	long long left;

	if (a->reply->elements < 6 || parse_status(at(a, 3), &out->status) != 0)
		return CBD_E_INTERNAL;
	out->reason = parse_reason(at(a, 4));
	if (out->status == CBD_APPROVED) {
		if (a->reply->elements < 7 || at(a, 6)[0] == '\0')
			return CBD_E_INTERNAL;
		out->code = strdup(at(a, 6));
		return out->code != NULL ? CBD_OK : CBD_E_INTERNAL;
	}
	/* Redis's clock, brought to ours as a delay; a waiter reads its
	 * session again within REREAD_MS whatever the expiry. */
	left = int_at(a, 5);
	if (left > REREAD_MS)
		left = REREAD_MS;
	out->expires_ms = dt_now_ms() + (left > 0 ? left : 0);
	return CBD_OK;
}

static enum cbd_rc r_poll(struct cbd_store *st, const char *id, const char *owner,
			  struct cbd_poll *out)
{
	struct rstore *rs = rstore_of(st);
	char linger[16];
	const char *args[] = {id, owner != NULL ? "1" : "0", owner != NULL ? owner : "", linger};
	struct answer a;
	enum cbd_rc rc;

	memset(out, 0, sizeof(*out));
	if (strlen(id) != CBD_ID_LEN)
		return CBD_E_UNKNOWN;
	snprintf(linger, sizeof(linger), "%u", rs->limits.linger_ms);
	rc = run(rs, CBD_SCRIPT_POLL, 4, args, 3, &a);
	if (rc != CBD_OK)
		return rc;
	rc = is(&a, "ok") ? poll_result(&a, out) : ended_or(&a);
	answer_done(rs, &a, id);
	return rc;
}

static enum cbd_rc r_cancel(struct cbd_store *st, const char *id, const char *owner)
{
	struct rstore *rs = rstore_of(st);
	char linger[16];
	const char *args[] = {id, owner != NULL ? "1" : "0", owner != NULL ? owner : "", linger};
	struct answer a;
	enum cbd_rc rc;

	if (strlen(id) != CBD_ID_LEN)
		return CBD_E_UNKNOWN;
	snprintf(linger, sizeof(linger), "%u", rs->limits.linger_ms);
	rc = run(rs, CBD_SCRIPT_CANCEL, 4, args, 3, &a);
	if (rc != CBD_OK)
		return rc;
	rc = is(&a, "ok") ? CBD_OK : ended_or(&a);
	answer_done(rs, &a, id);
	return rc;
}

/* SET PREFIX n:KEY_ID:NONCE 1 NX EX ttl: OK the first time, nil after. */
static enum cbd_rc r_nonce_once(struct cbd_store *st, const char *key_id, const char *nonce,
				unsigned ttl_s)
{
	struct rstore *rs = rstore_of(st);
	char *key = dt_asprintf("%sn:%s:%s", rs->prefix, key_id, nonce);
	char ttl[16], why[300];
	const char *argv[] = {"SET", key, "1", "NX", "EX", ttl};
	redisReply *r = NULL;
	enum cbd_rc rc;

	if (key == NULL)
		return CBD_E_INTERNAL;
	snprintf(ttl, sizeof(ttl), "%u", ttl_s > 0 ? ttl_s : 1);
	if (cbd_redis_run(rs->pool, dt_now_ms() + rs->timeout_ms, 6, argv, NULL, &r, why,
			  sizeof(why)) != 0) {
		free(key);
		set_down(rs, why);
		return CBD_E_DOWN;
	}
	free(key);
	if (r->type == REDIS_REPLY_STATUS)
		rc = CBD_OK;
	else if (r->type == REDIS_REPLY_NIL)
		rc = CBD_E_USED;
	else
		rc = CBD_E_DOWN;
	freeReplyObject(r);
	return rc;
}

/* PING within redis_timeout; at once "down" while the pool's breaker is
 * open (redis_conn.h), so a load balancer drains this replica quickly. */
static int r_health(struct cbd_store *st, char *why, size_t size)
{
	struct rstore *rs = rstore_of(st);
	const char *argv[] = {"PING"};
	redisReply *r = NULL;
	int ok;

	if (cbd_redis_run(rs->pool, dt_now_ms() + rs->timeout_ms, 1, argv, NULL, &r, why, size) !=
	    0) {
		set_down(rs, why);
		return -1;
	}
	ok = r->type == REDIS_REPLY_STATUS;
	if (!ok)
		snprintf(why, size, "Redis refused PING (an ACL without +ping?)");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* Sessions expire in Redis (their scores and TTLs), not here: nothing is
 * due in this process. Waiters wake on their own deadlines. */
static int64_t r_tick(struct cbd_store *st, int64_t now_ms)
{
	(void)st;
	(void)now_ms;
	return INT64_MAX;
}

static void r_destroy(struct cbd_store *st)
{
	struct rstore *rs = rstore_of(st);

	cbd_redis_wake_stop(rs->wake);
	cbd_redis_pool_free(rs->pool);
	pthread_mutex_destroy(&rs->notify_lock);
	pthread_mutex_destroy(&rs->state_lock);
	free(rs);
}

static const struct cbd_store_ops redis_ops = {
    .add = r_add,
    .follow_link = r_follow_link,
    .callback = r_callback,
    .confirm = r_confirm,
    .poll = r_poll,
    .cancel = r_cancel,
    .nonce_once = r_nonce_once,
    .health = r_health,
    .tick = r_tick,
    .destroy = r_destroy,
    .set_notify = r_set_notify,
};

static void script_shas(struct rstore *rs)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char h[SHA_DIGEST_LENGTH];
	const char *text;
	size_t i, k;

	/* What SCRIPT LOAD would answer: the SHA-1 of the text (Redis
	 * documentation, EVALSHA). */
	for (i = 0; i < CBD_SCRIPT_COUNT; i++) {
		text = cbd_script_text((enum cbd_script)i);
		SHA1((const unsigned char *)text, strlen(text), h);
		for (k = 0; k < sizeof(h); k++) {
			rs->sha[i][2 * k] = hex[h[k] >> 4];
			rs->sha[i][2 * k + 1] = hex[h[k] & 15];
		}
		rs->sha[i][2 * SHA_DIGEST_LENGTH] = '\0';
	}
}

static int start_links(struct rstore *rs, const struct cbd_conf *conf, struct dt_err *err)
{
	struct cbd_redis_target t = {.addr = conf->redis,
				     .sentinels = conf->redis_sentinels,
				     .master = conf->redis_master,
				     .user = conf->redis_user,
				     .password = conf->redis_password,
				     .db = conf->redis_db,
				     .timeout_ms = conf->redis_timeout};
	char channel[CBD_REDIS_PREFIX_MAX + 8];

	snprintf(channel, sizeof(channel), "%swake", rs->prefix);
	rs->pool = cbd_redis_pool_new(&t, POOL_SIZE, err);
	if (rs->pool == NULL)
		return -1;
	rs->wake =
	    cbd_redis_wake_start(&t, channel, on_wake_id, on_wake_lost, rs, rs->base.log, err);
	return rs->wake != NULL ? 0 : -1;
}

struct cbd_store *cbd_store_redis_new(const struct cbd_conf *conf,
				      const struct cbd_store_limits *limits,
				      const struct dt_log *log, struct dt_err *err)
{
	struct rstore *rs = calloc(1, sizeof(*rs));
	struct answer a;

	if (rs == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	rs->base.ops = &redis_ops;
	rs->base.log = log;
	rs->base.instance_lock = &rs->state_lock;
	rs->limits = *limits;
	rs->timeout_ms = conf->redis_timeout;
	snprintf(rs->prefix, sizeof(rs->prefix), "%s", conf->redis_prefix);
	script_shas(rs);
	if (pthread_mutex_init(&rs->notify_lock, NULL) != 0) {
		free(rs);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the store's mutex");
		return NULL;
	}
	if (pthread_mutex_init(&rs->state_lock, NULL) != 0) {
		pthread_mutex_destroy(&rs->notify_lock);
		free(rs);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the store's mutex");
		return NULL;
	}
	if (start_links(rs, conf, err) != 0) {
		r_destroy(&rs->base);
		return NULL;
	}
	/* The instance now if Redis answers; otherwise at the first call that
	 * reaches it (until then the store is down, and says so). */
	if (run(rs, CBD_SCRIPT_INSTANCE, 0, NULL, 3, &a) == CBD_OK)
		answer_done(rs, &a, NULL);
	return &rs->base;
}
