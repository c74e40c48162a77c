/* The in-memory session store: a list under one mutex.
 *
 * The state is kept only as its SHA-256 and is looked up by comparing the
 * hash against every live session with CRYPTO_memcmp, so the time taken
 * says nothing about which state, or how much of it, matched. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "nonces.h"
#include "store.h"
#include "proto/control_api.h"
#include "base/clock.h"
#include "base/util.h"

struct msession {
	struct msession *prev, *next;
	struct cbd_view view; /* id, shown fields, choices, token */
	unsigned char state_hash[SHA256_DIGEST_LENGTH];
	unsigned number;
	char *authorize_url;
	char *requester; /* who asked: pending sessions are counted per requester */
	char *address;	 /* and per address (address.h), whatever the account */
	char *owner;	 /* the signing host, or "" (store.h) */
	char *code;	 /* held until released, wiped on every exit */
	int64_t expires_ms, reap_ms;
	enum cbd_status status;
	enum cbd_reason reason;
	int link_used, callback_seen;
};

struct mstore {
	struct cbd_store base;
	pthread_mutex_t lock;
	struct msession *head;
	unsigned npending, ntotal;
	/* linger_ms: how long an ended session is remembered, so that a
	 * module polling later still learns how it ended. A module that asks
	 * after that hears "unknown session" from the same instance, which it
	 * reads as "ended" too (docs/control-api.md). */
	struct cbd_store_limits limits;
	/* Signed requests' nonces (nonces.h): a fixed table, so that one
	 * host with this store can serve a small fleet over TCP. */
	struct cbd_nonces *nonces;
};

/* Ids of sessions whose status changed under the lock, to be announced
 * after it is released. */
struct changes {
	char (*ids)[CBD_ID_LEN + 1];
	size_t n, cap;
	int kick;
};

static struct mstore *mstore_of(struct cbd_store *st)
{
	return (struct mstore *)(void *)st;
}

static void changes_add(struct changes *ch, const char *id)
{
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 4;
		void *p = realloc(ch->ids, cap * sizeof(*ch->ids));
		if (p == NULL) {
			/* Waiters then wake at their own deadline instead. */
			return;
		}
		ch->ids = p;
		ch->cap = cap;
	}
	memcpy(ch->ids[ch->n++], id, CBD_ID_LEN + 1);
}

static void changes_announce(struct mstore *ms, struct changes *ch)
{
	size_t i;

	if (ms->base.notify != NULL) {
		for (i = 0; i < ch->n; i++)
			ms->base.notify(ms->base.notify_ctx, ch->ids[i]);
		if (ch->kick)
			ms->base.notify(ms->base.notify_ctx, NULL);
	}
	free(ch->ids);
}

static void unlock_and_announce(struct mstore *ms, struct changes *ch)
{
	pthread_mutex_unlock(&ms->lock);
	changes_announce(ms, ch);
}

static void session_free(struct msession *s)
{
	dt_free_secret(s->code);
	free(s->authorize_url);
	free(s->requester);
	free(s->address);
	free(s->owner);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static void session_unlink(struct mstore *ms, struct msession *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		ms->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (s->status == CBD_PENDING)
		ms->npending--;
	ms->ntotal--;
}

static void session_delete(struct mstore *ms, struct msession *s, struct changes *ch)
{
	session_unlink(ms, s);
	changes_add(ch, s->view.id);
	session_free(s);
}

/* Moves a live session to an end state; the held code goes at once. */
static void session_end(struct mstore *ms, struct msession *s, enum cbd_status status,
			enum cbd_reason reason, struct changes *ch)
{
	if (s->status == CBD_PENDING)
		ms->npending--;
	s->status = status;
	s->reason = reason;
	dt_free_secret(s->code);
	s->code = NULL;
	OPENSSL_cleanse(s->view.token, sizeof(s->view.token));
	s->reap_ms = dt_now_ms() + ms->limits.linger_ms;
	changes_add(ch, s->view.id);
	/* The reap may now be due before whatever the timer sleeps for. */
	ch->kick = 1;
}

static int is_live(const struct msession *s)
{
	return s->status == CBD_PENDING || s->status == CBD_APPROVED;
}

/* Expires a live session whose time is up. */
static void refresh(struct mstore *ms, struct msession *s, int64_t now, struct changes *ch)
{
	if (is_live(s) && now >= s->expires_ms) {
		session_end(ms, s, CBD_EXPIRED, CBD_REASON_NONE, ch);
		dt_logf(ms->base.log, LOG_INFO, "session id=%s expired", s->view.id);
	}
}

static struct msession *find_id(struct mstore *ms, const char *id)
{
	struct msession *s;

	if (strlen(id) != CBD_ID_LEN)
		return NULL;
	for (s = ms->head; s != NULL; s = s->next)
		if (CRYPTO_memcmp(s->view.id, id, CBD_ID_LEN) == 0)
			return s;
	return NULL;
}

/* Visits every session whatever matches, so timing does not leak. */
static struct msession *find_state_hash(struct mstore *ms, const unsigned char *hash)
{
	struct msession *s, *found = NULL;

	for (s = ms->head; s != NULL; s = s->next)
		if (CRYPTO_memcmp(s->state_hash, hash, SHA256_DIGEST_LENGTH) == 0)
			found = s;
	return found;
}

static void hash_state(const char *state, unsigned char out[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)state, strlen(state), out);
}

static int64_t tick_locked(struct mstore *ms, int64_t now, struct changes *ch)
{
	struct msession *s, *next;
	int64_t next_due = INT64_MAX;

	for (s = ms->head; s != NULL; s = next) {
		next = s->next;
		refresh(ms, s, now, ch);
		if (!is_live(s) && now >= s->reap_ms) {
			session_delete(ms, s, ch);
			continue;
		}
		if (is_live(s) && s->expires_ms < next_due)
			next_due = s->expires_ms;
		if (!is_live(s) && s->reap_ms < next_due)
			next_due = s->reap_ms;
	}
	return next_due;
}

/* Ended sessions are bounded too: past 2 * max_pending entries the one
 * due to be forgotten first goes now. */
static void evict_if_crowded(struct mstore *ms, struct changes *ch)
{
	struct msession *s, *oldest = NULL;

	if (ms->ntotal < 2 * ms->limits.max_pending)
		return;
	for (s = ms->head; s != NULL; s = s->next)
		if (!is_live(s) && (oldest == NULL || s->reap_ms < oldest->reap_ms))
			oldest = s;
	if (oldest != NULL)
		session_delete(ms, oldest, ch);
}

static int unique_id(struct mstore *ms, char id[CBD_ID_LEN + 1])
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (dt_random_token(id, CBD_ID_LEN + 1, 12) != 0)
			return -1;
		if (find_id(ms, id) == NULL)
			return 0;
	}
	return -1;
}

static void copy_field(char *dst, const char *src)
{
	size_t n = strnlen(src, DT_CONTROL_FIELD_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static struct msession *session_new(const struct cbd_new_session *ns, int64_t now)
{
	struct msession *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->authorize_url = strdup(ns->authorize_url);
	s->requester = strdup(ns->requester);
	s->address = strdup(ns->address);
	s->owner = strdup(ns->owner != NULL ? ns->owner : "");
	if (s->authorize_url == NULL || s->requester == NULL || s->address == NULL ||
	    s->owner == NULL || cbd_make_choices(ns->number, s->view.choices) != 0) {
		session_free(s);
		return NULL;
	}
	hash_state(ns->state, s->state_hash);
	s->number = ns->number;
	copy_field(s->view.user, ns->user);
	copy_field(s->view.service, ns->service);
	copy_field(s->view.host, ns->host);
	copy_field(s->view.rhost, ns->rhost);
	/* Checked by the control API: at most DT_CONTROL_COMMAND_MAX bytes. */
	snprintf(s->view.command, sizeof(s->view.command), "%s",
		 ns->command != NULL ? ns->command : "");
	s->view.created = time(NULL);
	s->expires_ms = now + (int64_t)ns->ttl_s * 1000;
	s->status = CBD_PENDING;
	return s;
}

/* Pending sessions of one requester (by_address 0), or from one address
 * whatever account each named (1). A linear walk, like the state lookup
 * that precedes it; max_pending bounds the list. */
static unsigned pending_count(const struct mstore *ms, int by_address, const char *key)
{
	const struct msession *s;
	unsigned n = 0;

	for (s = ms->head; s != NULL; s = s->next)
		if (s->status == CBD_PENDING &&
		    strcmp(by_address ? s->address : s->requester, key) == 0)
			n++;
	return n;
}

/* A fleet host's pending sessions (its key's registrations). */
static unsigned pending_of_owner(const struct mstore *ms, const char *owner)
{
	const struct msession *s;
	unsigned n = 0;

	for (s = ms->head; s != NULL; s = s->next)
		if (s->status == CBD_PENDING && strcmp(s->owner, owner) == 0)
			n++;
	return n;
}

static enum cbd_rc m_add(struct cbd_store *st, const struct cbd_new_session *ns,
			 char id_out[CBD_ID_LEN + 1])
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 1};
	unsigned char hash[SHA256_DIGEST_LENGTH];
	struct msession *s;
	enum cbd_rc rc = CBD_OK;
	int64_t now = dt_now_ms();

	hash_state(ns->state, hash);
	pthread_mutex_lock(&ms->lock);
	tick_locked(ms, now, &ch);
	s = find_state_hash(ms, hash);
	if (s != NULL) {
		rc = CBD_E_DUP;
	} else if (pending_count(ms, 0, ns->requester) >= ms->limits.max_pending_per_requester) {
		/* Checked before the global limit: one requester at its quota
		 * is told so (a refusal of its own login), whatever the rest. */
		rc = CBD_E_REQUESTER_FULL;
	} else if (ms->limits.max_pending_per_address != 0 &&
		   pending_count(ms, 1, ns->address) >= ms->limits.max_pending_per_address) {
		/* The account is the client's to choose: without this one
		 * address could make requesters until max_pending is full. */
		rc = CBD_E_ADDRESS_FULL;
	} else if (ns->owner != NULL && ns->owner[0] != '\0' &&
		   pending_of_owner(ms, ns->owner) >= ms->limits.max_pending_per_host) {
		/* A fleet host's key is its own: without this one host
		 * (compromised, or with a runaway script) could fill
		 * max_pending and refuse every other host's logins. */
		rc = CBD_E_HOST_FULL;
	} else if (ms->npending >= ms->limits.max_pending) {
		rc = CBD_E_FULL;
	} else {
		evict_if_crowded(ms, &ch);
		s = session_new(ns, now);
		if (s == NULL || unique_id(ms, s->view.id) != 0) {
			if (s != NULL)
				session_free(s);
			rc = CBD_E_INTERNAL;
		} else {
			s->next = ms->head;
			if (ms->head != NULL)
				ms->head->prev = s;
			ms->head = s;
			ms->npending++;
			ms->ntotal++;
			memcpy(id_out, s->view.id, CBD_ID_LEN + 1);
		}
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	unlock_and_announce(ms, &ch);
	return rc;
}

/* Finds a session by id and brings its expiry up to date. */
static struct msession *lookup(struct mstore *ms, const char *id, struct changes *ch)
{
	struct msession *s = find_id(ms, id);

	if (s != NULL)
		refresh(ms, s, dt_now_ms(), ch);
	return s;
}

static enum cbd_rc m_follow_link(struct cbd_store *st, const char *id, char **url_out)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	struct msession *s;
	enum cbd_rc rc = CBD_OK;

	*url_out = NULL;
	pthread_mutex_lock(&ms->lock);
	s = lookup(ms, id, &ch);
	if (s == NULL)
		rc = CBD_E_UNKNOWN;
	else if (s->status != CBD_PENDING)
		rc = CBD_E_ENDED;
	else if (s->link_used || s->callback_seen)
		rc = CBD_E_USED;
	else if ((*url_out = strdup(s->authorize_url)) == NULL)
		rc = CBD_E_INTERNAL;
	else
		s->link_used = 1;
	unlock_and_announce(ms, &ch);
	return rc;
}

/* Holds the code; either approves at once or prepares the page. */
static enum cbd_rc accept_code(struct mstore *ms, struct msession *s, const char *code, int confirm,
			       enum cbd_outcome *outcome, struct changes *ch)
{
	s->code = strdup(code);
	if (s->code == NULL)
		return CBD_E_INTERNAL;
	if (!confirm) {
		ms->npending--;
		s->status = CBD_APPROVED;
		changes_add(ch, s->view.id);
		*outcome = CBD_DONE_APPROVED;
		return CBD_OK;
	}
	if (dt_random_token(s->view.token, sizeof(s->view.token), 24) != 0) {
		dt_free_secret(s->code);
		s->code = NULL;
		return CBD_E_INTERNAL;
	}
	*outcome = CBD_NEED_CONFIRM;
	return CBD_OK;
}

static enum cbd_rc m_callback(struct cbd_store *st, const char *state, const char *code,
			      int confirm, enum cbd_outcome *outcome, struct cbd_view *view)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	unsigned char hash[SHA256_DIGEST_LENGTH];
	struct msession *s;
	enum cbd_rc rc = CBD_OK;

	memset(view, 0, sizeof(*view));
	hash_state(state, hash);
	pthread_mutex_lock(&ms->lock);
	s = find_state_hash(ms, hash);
	if (s != NULL) {
		refresh(ms, s, dt_now_ms(), &ch);
		memcpy(view->id, s->view.id, sizeof(view->id));
	}
	if (s == NULL) {
		rc = CBD_E_UNKNOWN;
	} else if (s->status != CBD_PENDING) {
		rc = CBD_E_ENDED;
	} else if (s->callback_seen) {
		rc = CBD_E_USED;
	} else {
		s->callback_seen = 1;
		if (code == NULL) {
			session_end(ms, s, CBD_REFUSED, CBD_REASON_DENIED, &ch);
			*outcome = CBD_DONE_REFUSED;
		} else {
			rc = accept_code(ms, s, code, confirm, outcome, &ch);
			if (rc == CBD_OK && *outcome == CBD_NEED_CONFIRM)
				*view = s->view;
		}
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	unlock_and_announce(ms, &ch);
	return rc;
}

static int token_matches(const struct msession *s, const char *token)
{
	size_t n = strlen(s->view.token);

	return n == CBD_TOKEN_LEN && strlen(token) == n &&
	       CRYPTO_memcmp(s->view.token, token, n) == 0;
}

static enum cbd_rc m_confirm(struct cbd_store *st, const char *id, const char *token,
			     unsigned number, enum cbd_outcome *outcome)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	struct msession *s;
	enum cbd_rc rc = CBD_OK;

	pthread_mutex_lock(&ms->lock);
	s = lookup(ms, id, &ch);
	if (s == NULL) {
		rc = CBD_E_UNKNOWN;
	} else if (s->status != CBD_PENDING) {
		rc = CBD_E_ENDED;
	} else if (s->code == NULL || !token_matches(s, token)) {
		rc = CBD_E_TOKEN;
	} else if (number == s->number) {
		ms->npending--;
		s->status = CBD_APPROVED;
		OPENSSL_cleanse(s->view.token, sizeof(s->view.token));
		changes_add(&ch, s->view.id);
		*outcome = CBD_DONE_APPROVED;
	} else {
		session_end(ms, s, CBD_REFUSED, CBD_REASON_WRONG_NUMBER, &ch);
		*outcome = CBD_DONE_REFUSED;
	}
	unlock_and_announce(ms, &ch);
	return rc;
}

/* NULL (the Unix socket) sees every session; a signing host only its own. */
static int owned_by(const struct msession *s, const char *owner)
{
	return owner == NULL || strcmp(s->owner, owner) == 0;
}

static enum cbd_rc m_poll(struct cbd_store *st, const char *id, const char *owner,
			  struct cbd_poll *out)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	struct msession *s;
	enum cbd_rc rc = CBD_OK;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ms->lock);
	s = lookup(ms, id, &ch);
	if (s == NULL || !owned_by(s, owner)) {
		rc = CBD_E_UNKNOWN;
	} else {
		out->status = s->status;
		out->reason = s->reason;
		out->expires_ms = s->expires_ms;
		if (s->status == CBD_APPROVED) {
			/* Released exactly once: the session goes with it. */
			out->code = s->code;
			s->code = NULL;
			session_delete(ms, s, &ch);
		}
	}
	unlock_and_announce(ms, &ch);
	return rc;
}

static enum cbd_rc m_cancel(struct cbd_store *st, const char *id, const char *owner)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	struct msession *s;
	enum cbd_rc rc = CBD_OK;

	pthread_mutex_lock(&ms->lock);
	s = lookup(ms, id, &ch);
	if (s == NULL || !owned_by(s, owner))
		rc = CBD_E_UNKNOWN;
	else if (is_live(s))
		session_end(ms, s, CBD_REFUSED, CBD_REASON_CANCELLED, &ch);
	unlock_and_announce(ms, &ch);
	return rc;
}

static int64_t m_tick(struct cbd_store *st, int64_t now_ms)
{
	struct mstore *ms = mstore_of(st);
	struct changes ch = {NULL, 0, 0, 0};
	int64_t next_due;

	pthread_mutex_lock(&ms->lock);
	next_due = tick_locked(ms, now_ms, &ch);
	unlock_and_announce(ms, &ch);
	return next_due;
}

static enum cbd_rc m_nonce_once(struct cbd_store *st, const char *key_id, const char *nonce,
				unsigned ttl_s)
{
	switch (cbd_nonces_once(mstore_of(st)->nonces, key_id, nonce, ttl_s, dt_now_ms())) {
	case CBD_NONCES_NEW:
		return CBD_OK;
	case CBD_NONCES_SEEN:
		return CBD_E_USED;
	case CBD_NONCES_FULL:
		break;
	}
	return CBD_E_DOWN; /* the table is full of live nonces: nothing forgotten */
}

static void m_destroy(struct cbd_store *st)
{
	struct mstore *ms = mstore_of(st);
	struct msession *s, *next;

	for (s = ms->head; s != NULL; s = next) {
		next = s->next;
		session_free(s);
	}
	cbd_nonces_free(ms->nonces);
	pthread_mutex_destroy(&ms->lock);
	free(ms);
}

static const struct cbd_store_ops memory_ops = {
    .add = m_add,
    .follow_link = m_follow_link,
    .callback = m_callback,
    .confirm = m_confirm,
    .poll = m_poll,
    .cancel = m_cancel,
    .nonce_once = m_nonce_once,
    .tick = m_tick,
    .destroy = m_destroy,
    .health = NULL,	/* memory is always there */
    .set_notify = NULL, /* only its callers notify, after the servers started */
};

struct cbd_store *cbd_store_memory_new(const struct cbd_store_limits *limits,
				       const struct dt_log *log, struct dt_err *err)
{
	struct mstore *ms = calloc(1, sizeof(*ms));

	if (ms == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	/* Memory only: a new process remembers nothing, so it is a new
	 * instance. */
	if (dt_random_token(ms->base.instance, sizeof(ms->base.instance), 12) != 0) {
		free(ms);
		dt_err_set(err, DT_ERR_INTERNAL, "the random source failed");
		return NULL;
	}
	ms->nonces =
	    cbd_nonces_new(limits->nonce_cap != 0 ? limits->nonce_cap : CBD_NONCES_CAP, err);
	if (ms->nonces == NULL) {
		free(ms);
		return NULL;
	}
	if (pthread_mutex_init(&ms->lock, NULL) != 0) {
		cbd_nonces_free(ms->nonces);
		free(ms);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the store's mutex");
		return NULL;
	}
	ms->base.ops = &memory_ops;
	ms->base.log = log;
	ms->limits = *limits;
	return &ms->base;
}
