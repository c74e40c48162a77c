/* The session store: what the helper remembers about a login between the
 * module's register call and the code's release. An interface so that a
 * Redis store (a fleet of replicas) can sit beside the memory one.
 *
 * Secrets handled here: the state (only its SHA-256 is kept), the held
 * authorization code and the confirmation token. Every function copies what
 * it returns; the caller wipes secret copies. */
#ifndef CBD_STORE_H
#define CBD_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "proto/control_api.h"

#define CBD_ID_LEN    16 /* base64url of 12 random bytes */
#define CBD_TOKEN_LEN 32 /* base64url of 24 random bytes */
#define CBD_STATE_MIN 22
#define CBD_STATE_MAX 128
#define CBD_CHOICES   3
/* The store's instance id: base64url of 12 random bytes, made when the
 * store is created. A module that registered under one instance and later
 * hears "unknown session" from another knows the helper lost its memory
 * (a restart), not that the session ended. */
#define CBD_INSTANCE_LEN 16

enum cbd_status {
	CBD_PENDING,
	CBD_APPROVED,
	CBD_REFUSED,
	CBD_EXPIRED,
};

enum cbd_reason {
	CBD_REASON_NONE,
	CBD_REASON_DENIED,	 /* error= on the callback: refused on the phone */
	CBD_REASON_WRONG_NUMBER, /* the wrong button on the confirmation page */
	CBD_REASON_CANCELLED,	 /* the module gave up (DELETE) */
	CBD_REASON_NOT_ME,	 /* "Not me" on the confirmation page */
};

/* What a store call found. */
enum cbd_rc {
	CBD_OK = 0,
	CBD_E_UNKNOWN,	      /* no such session (or no such state) */
	CBD_E_USED,	      /* link already followed / callback already seen */
	CBD_E_ENDED,	      /* approved, refused or expired already */
	CBD_E_DUP,	      /* state already registered */
	CBD_E_FULL,	      /* max_pending reached */
	CBD_E_REQUESTER_FULL, /* this requester has max_pending_per_requester pending */
	CBD_E_ADDRESS_FULL,   /* this address has max_pending_per_address pending */
	CBD_E_TOKEN,	      /* confirmation token does not match */
	CBD_E_INTERNAL,	      /* out of memory, random source failed */
	/* The store cannot be reached (Redis down, failing over): nothing
	 * was decided. The control API answers 503, the module reads it as
	 * "unavailable", and /healthz says so. */
	CBD_E_DOWN,
	CBD_E_HOST_FULL, /* this owner (a fleet host) has max_pending_per_host pending */
};

struct cbd_new_session {
	const char *state; /* secret, hashed on entry */
	unsigned number;
	const char *user, *service, *host, *rhost;
	const char *authorize_url;
	const char *requester; /* counted against max_pending_per_requester */
	const char *address;   /* address.h's key, counted against max_pending_per_address */
	/* The host whose key signed the registration (a fleet's TCP control
	 * listener), or "" for the Unix socket. Only the same owner may wait
	 * on or cancel the session: one host cannot read another's codes. */
	const char *owner;
	/* sudo's command (registration field `command`), sanitised by the
	 * control API; "" when none. Shown on the confirmation page. */
	const char *command;
	unsigned ttl_s;
};

/* Everything the confirmation page shows. `token` is secret-ish (it proves
 * the page was seen) and is wiped by cbd_view_wipe. */
struct cbd_view {
	char id[CBD_ID_LEN + 1];
	char user[DT_CONTROL_FIELD_MAX + 1], service[DT_CONTROL_FIELD_MAX + 1];
	char host[DT_CONTROL_FIELD_MAX + 1], rhost[DT_CONTROL_FIELD_MAX + 1];
	char command[DT_CONTROL_COMMAND_MAX + 1];
	time_t created;
	unsigned choices[CBD_CHOICES];
	char token[CBD_TOKEN_LEN + 1];
};

/* A session as its clean URL's page sees it (cbd_store_page). */
struct cbd_page_state {
	enum cbd_status status; /* an approved session stays APPROVED after its release */
	enum cbd_reason reason;
	int awaiting_number; /* pending with the code held: the form can be shown */
	int64_t ms_left;     /* pending: until it times out */
	/* With a proof: the id and the shown fields (never the token: the
	 * proof the browser holds is the token). */
	struct cbd_view view;
};

/* What a callback led to. */
enum cbd_outcome {
	CBD_NEED_CONFIRM, /* the code is held; show the page in the view */
	CBD_DONE_APPROVED,
	CBD_DONE_REFUSED,
};

/* A session as a waiter sees it. `code` is malloc'd when approved (the
 * session is then gone); free it with dt_free_secret. */
struct cbd_poll {
	enum cbd_status status;
	enum cbd_reason reason;
	int64_t expires_ms; /* monotonic, for pending sessions */
	char *code;
};

/* Called after a session changed status (id), or, with id NULL, when the
 * store's next deadline may have moved earlier, or with id
 * CBD_NOTIFY_EVERYONE when any session may have changed unseen (the Redis
 * store's wake-up subscription was lost or made again: messages published
 * meanwhile are gone), so every waiter must read its session again. Never
 * called with the store's session lock held. */
typedef void (*cbd_store_notify_fn)(void *ctx, const char *id);
#define CBD_NOTIFY_EVERYONE "*" /* not a session id: ids are base64url */

struct cbd_store;

struct cbd_store_ops {
	enum cbd_rc (*add)(struct cbd_store *st, const struct cbd_new_session *ns,
			   char id_out[CBD_ID_LEN + 1]);
	enum cbd_rc (*follow_link)(struct cbd_store *st, const char *id, char **url_out);
	/* view->id is set whenever the state was found; on CBD_OK,
	 * view->token holds a new token whatever the outcome: the form's
	 * token while the number is awaited, and the browser's proof for
	 * the page op (its SHA-256 is kept until the session is forgotten). */
	enum cbd_rc (*callback)(struct cbd_store *st, const char *state, const char *code,
				int confirm, enum cbd_outcome *outcome, struct cbd_view *view);
	enum cbd_rc (*confirm)(struct cbd_store *st, const char *id, const char *token,
			       unsigned number, enum cbd_outcome *outcome);
	/* The clean URL's page: the session `id` as it is now. With `proof`
	 * (the token the callback handed out): CBD_E_TOKEN unless it matches
	 * (or no callback was taken yet), else status, reason and the view;
	 * with NULL: status and reason only (an error page picks its words).
	 * An approved session whose code was released is still APPROVED
	 * here until it is forgotten (linger), while poll and cancel no
	 * longer know it. CBD_E_UNKNOWN once forgotten. Changes nothing, but
	 * may find the session expired (and say so). */
	enum cbd_rc (*page)(struct cbd_store *st, const char *id, const char *proof,
			    struct cbd_page_state *out);
	/* "Not me": like confirm without a number, the session is refused
	 * at once with CBD_REASON_NOT_ME (its waiter is woken). On CBD_OK
	 * `who` holds the shown fields (for the audit line), never the token. */
	enum cbd_rc (*not_me)(struct cbd_store *st, const char *id, const char *token,
			      struct cbd_view *who);
	/* owner: NULL (the Unix socket: root may see every session) or the
	 * signing host, which must be the session's owner; a session of
	 * another owner is CBD_E_UNKNOWN, as if it did not exist. */
	enum cbd_rc (*poll)(struct cbd_store *st, const char *id, const char *owner,
			    struct cbd_poll *out);
	enum cbd_rc (*cancel)(struct cbd_store *st, const char *id, const char *owner);
	/* A signed request's nonce, seen for the first time (CBD_OK) or
	 * again within ttl_s (CBD_E_USED); CBD_E_DOWN when the store cannot
	 * tell (then the request is refused). Shared by every replica of a
	 * fleet, so a request replayed to another replica is refused too. */
	enum cbd_rc (*nonce_once)(struct cbd_store *st, const char *key_id, const char *nonce,
				  unsigned ttl_s);
	/* NULL, or 0 when the store can serve, -1 with a reason (for
	 * /healthz) when it cannot. */
	int (*health)(struct cbd_store *st, char *why, size_t size);
	/* Expires and forgets what is due; returns the next deadline
	 * (monotonic ms) or INT64_MAX. */
	int64_t (*tick)(struct cbd_store *st, int64_t now_ms);
	void (*destroy)(struct cbd_store *st);
	/* NULL, or how the store sets its notice under its own lock (a store
	 * whose threads notify at any time, like the Redis store's
	 * subscriber, must not call a notice being replaced or freed). */
	void (*set_notify)(struct cbd_store *st, cbd_store_notify_fn fn, void *ctx);
};

struct cbd_store {
	const struct cbd_store_ops *ops;
	/* Read it with cbd_store_instance: a store may change it while
	 * serving (the Redis store, when Redis lost its data), under
	 * instance_lock (NULL: it never changes after creation). */
	char instance[CBD_INSTANCE_LEN + 1];
	pthread_mutex_t *instance_lock;
	cbd_store_notify_fn notify;
	void *notify_ctx;
	const struct dt_log *log;
};

/* What a store bounds. */
struct cbd_store_limits {
	unsigned max_pending;		    /* pending sessions in all */
	unsigned max_pending_per_requester; /* pending sessions of one requester */
	unsigned max_pending_per_address;   /* ... of one address, whatever the account; 0: off */
	unsigned max_pending_per_host;	    /* ... of one owner (a fleet host); "" is not counted */
	unsigned linger_ms;		    /* how long an ended session's outcome is kept */
	unsigned nonce_cap; /* the memory store's nonces (nonces.h); 0: CBD_NONCES_CAP */
};

/* The memory store: one process, a mutex, sessions in a list. Its instance
 * is new at every start: it remembers nothing from before. */
struct cbd_store *cbd_store_memory_new(const struct cbd_store_limits *limits,
				       const struct dt_log *log, struct dt_err *err);

/* The Redis store: sessions in Redis, shared by every replica of a fleet
 * (store_redis.c). Its instance lives in Redis too, so every replica
 * answers with the same one, and it changes only when Redis lost its data.
 * A Redis that cannot be reached makes every call CBD_E_DOWN within
 * redis_timeout; the store is still made (health says why) and serves as
 * soon as Redis is back. */
struct cbd_conf;
struct cbd_store *cbd_store_redis_new(const struct cbd_conf *conf,
				      const struct cbd_store_limits *limits,
				      const struct dt_log *log, struct dt_err *err);

static inline void cbd_store_set_notify(struct cbd_store *st, cbd_store_notify_fn fn, void *ctx)
{
	if (st->ops->set_notify != NULL) {
		st->ops->set_notify(st, fn, ctx);
		return;
	}
	st->notify = fn;
	st->notify_ctx = ctx;
}

/* A copy of the store's instance, never torn by a concurrent change. */
static inline void cbd_store_instance(struct cbd_store *st, char out[CBD_INSTANCE_LEN + 1])
{
	if (st->instance_lock != NULL)
		pthread_mutex_lock(st->instance_lock);
	memcpy(out, st->instance, CBD_INSTANCE_LEN + 1);
	if (st->instance_lock != NULL)
		pthread_mutex_unlock(st->instance_lock);
}

static inline enum cbd_rc cbd_store_add(struct cbd_store *st, const struct cbd_new_session *ns,
					char id_out[CBD_ID_LEN + 1])
{
	return st->ops->add(st, ns, id_out);
}

static inline enum cbd_rc cbd_store_follow_link(struct cbd_store *st, const char *id,
						char **url_out)
{
	return st->ops->follow_link(st, id, url_out);
}

/* `code` NULL means the phone refused (error= on the callback). */
static inline enum cbd_rc cbd_store_callback(struct cbd_store *st, const char *state,
					     const char *code, int confirm,
					     enum cbd_outcome *outcome, struct cbd_view *view)
{
	return st->ops->callback(st, state, code, confirm, outcome, view);
}

static inline enum cbd_rc cbd_store_confirm(struct cbd_store *st, const char *id, const char *token,
					    unsigned number, enum cbd_outcome *outcome)
{
	return st->ops->confirm(st, id, token, number, outcome);
}

static inline enum cbd_rc cbd_store_page(struct cbd_store *st, const char *id, const char *proof,
					 struct cbd_page_state *out)
{
	return st->ops->page(st, id, proof, out);
}

static inline enum cbd_rc cbd_store_not_me(struct cbd_store *st, const char *id, const char *token,
					   struct cbd_view *who)
{
	return st->ops->not_me(st, id, token, who);
}

static inline enum cbd_rc cbd_store_poll(struct cbd_store *st, const char *id, const char *owner,
					 struct cbd_poll *out)
{
	return st->ops->poll(st, id, owner, out);
}

static inline enum cbd_rc cbd_store_cancel(struct cbd_store *st, const char *id, const char *owner)
{
	return st->ops->cancel(st, id, owner);
}

static inline enum cbd_rc cbd_store_nonce_once(struct cbd_store *st, const char *key_id,
					       const char *nonce, unsigned ttl_s)
{
	if (st->ops->nonce_once == NULL)
		return CBD_E_DOWN; /* a store that cannot tell refuses */
	return st->ops->nonce_once(st, key_id, nonce, ttl_s);
}

/* 0 when the store can serve; otherwise -1 and why. */
static inline int cbd_store_health(struct cbd_store *st, char *why, size_t size)
{
	return st->ops->health != NULL ? st->ops->health(st, why, size) : 0;
}

static inline int64_t cbd_store_tick(struct cbd_store *st, int64_t now_ms)
{
	return st->ops->tick(st, now_ms);
}

static inline void cbd_store_destroy(struct cbd_store *st)
{
	if (st != NULL)
		st->ops->destroy(st);
}

void cbd_view_wipe(struct cbd_view *view);

/* The right number and two distinct decoys in 10..99, shuffled. */
int cbd_make_choices(unsigned number, unsigned out[CBD_CHOICES]);

const char *cbd_status_name(enum cbd_status status);
const char *cbd_reason_name(enum cbd_reason reason);

#endif
