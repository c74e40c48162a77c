/* The control API (docs/control-api.md): routing, register, wait and
 * cancel for both listeners (control_routes.h), and the Unix socket's
 * listener. The TCP listener of a fleet is control_tcp.c; who may talk on
 * each is control_auth.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "address.h"
#include "burst.h"
#include "control.h"
#include "control_auth.h"
#include "control_routes.h"
#include "control_tcp.h"
#include "httpd.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/peer.h"
#include "net.h"
#include "outage.h"
#include "proto/control_api.h"
#include "register.h"
#include "base/util.h"
#include "wait.h"

#define BODY_MAX	CBD_CONTROL_BODY_MAX
#define SESSION_PREFIX	DT_CONTROL_SESSIONS "/"
#define SUSPEND_RETRIES 8

/* ---- responses ---- */

static void wipe_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

/* Takes `text` over. */
static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, char *text)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (text == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(text), text, wipe_free);
	if (resp == NULL) {
		wipe_free(text);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, "Content-Type", "application/json") != MHD_YES ||
	    MHD_add_response_header(resp, "Cache-Control", "no-store") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Takes `obj` over. */
static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_object *obj)
{
	const char *s;
	char *copy = NULL;

	if (obj == NULL)
		return MHD_NO;
	s = json_object_to_json_string_ext(obj,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s != NULL)
		copy = strdup(s);
	json_object_put(obj);
	return send_text(conn, status, copy);
}

/* The store's instance into `obj` (read under the store's lock: the
 * Redis store changes it when Redis lost its data). */
static void add_instance(struct cbd_control *ctl, json_object *obj)
{
	char inst[CBD_INSTANCE_LEN + 1];

	cbd_store_instance(ctl->store, inst);
	json_object_object_add(obj, "instance", json_object_new_string(inst));
}

/* Every error names the store's instance: a module told "unknown session"
 * compares it with the one it registered under, and so tells a session
 * that ended (same instance) from a helper that lost its memory. */
static enum MHD_Result send_error(struct cbd_control *ctl, struct MHD_Connection *conn,
				  unsigned status, const char *msg)
{
	json_object *obj = json_object_new_object();

	if (obj == NULL)
		return MHD_NO;
	json_object_object_add(obj, "error", json_object_new_string(msg));
	add_instance(ctl, obj);
	return send_json(conn, status, obj);
}

/* A limit's refusal: the error and, for the module to tell the limits
 * apart from any other failure, a fixed error_code. */
static enum MHD_Result send_refusal(struct cbd_control *ctl, struct MHD_Connection *conn,
				    unsigned status, const char *code, const char *msg)
{
	json_object *obj = json_object_new_object();

	if (obj == NULL)
		return MHD_NO;
	json_object_object_add(obj, "error", json_object_new_string(msg));
	json_object_object_add(obj, "error_code", json_object_new_string(code));
	add_instance(ctl, obj);
	return send_json(conn, status, obj);
}

/* Logs a limit's refusal of `key` at LOG_WARNING, at most one line per
 * distinct key and CBD_BURST_NAMED keys a minute (burst.h); the first line
 * of a window says what the previous one left unnamed. */
static void log_refusal(struct cbd_control *ctl, struct cbd_burst *b, const char *key,
			const char *what)
{
	struct cbd_burst_note note;
	char prev[120];

	if (!cbd_burst_hit(b, dt_now_ms(), key, &note))
		return;
	cbd_burst_note_text(&note, prev, sizeof(prev));
	dt_logf(ctl->log, LOG_WARNING,
		"register refused: %s (at most %d keys named per 60 s window, the rest "
		"counted%s)",
		what, CBD_BURST_NAMED, prev);
}

static enum MHD_Result send_empty(struct MHD_Connection *conn, unsigned status)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The store could not be reached (a fleet's Redis): nothing was decided,
 * and the module tries another replica or reports the outage. */
static enum MHD_Result send_store_down(struct cbd_control *ctl, struct MHD_Connection *conn)
{
	return send_refusal(ctl, conn, MHD_HTTP_SERVICE_UNAVAILABLE, DT_CONTROL_STORE_DOWN,
			    "the session store cannot be reached; try another replica");
}

enum MHD_Result cbd_control_send_error(struct cbd_control *ctl, struct MHD_Connection *conn,
				       unsigned status, const char *msg)
{
	return send_error(ctl, conn, status, msg);
}

enum MHD_Result cbd_control_send_refusal(struct cbd_control *ctl, struct MHD_Connection *conn,
					 unsigned status, const char *code, const char *msg)
{
	return send_refusal(ctl, conn, status, code, msg);
}

static enum MHD_Result created(struct cbd_control *ctl, struct MHD_Connection *conn, const char *id,
			       unsigned ttl)
{
	json_object *obj = json_object_new_object();
	char *short_url = dt_asprintf("%s/l/%s", ctl->conf->public_url, id);

	if (obj == NULL || short_url == NULL) {
		json_object_put(obj);
		free(short_url);
		return send_error(ctl, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, DT_OOM_TEXT);
	}
	json_object_object_add(obj, "id", json_object_new_string(id));
	json_object_object_add(obj, "short_url", json_object_new_string(short_url));
	json_object_object_add(obj, "expires_in", json_object_new_int((int)ttl));
	add_instance(ctl, obj);
	free(short_url);
	return send_json(conn, MHD_HTTP_CREATED, obj);
}

/* A signed registration names the signing key's host, or it is refused:
 * a compromised host must not show phones another host's name. */
static int host_mismatch(struct cbd_control *ctl, const struct cbd_creq *req,
			 const struct cbd_reg *r)
{
	struct cbd_burst_note note;
	char prev[120];

	if (!req->signed_by_key || strcmp(r->host, req->key.host) == 0)
		return 0;
	if (cbd_burst_hit(&ctl->host_mismatch, dt_now_ms(), req->key.id, &note)) {
		cbd_burst_note_text(&note, prev, sizeof(prev));
		dt_logf(ctl->log, LOG_WARNING,
			"register refused: key %s belongs to host %s but the registration names "
			"host %s (at most %d keys named per 60 s window, the rest counted%s)",
			req->key.id, req->key.host, r->shown[2], CBD_BURST_NAMED, prev);
	}
	return 1;
}

/* The quotas' keys. A requester ("uid:1000", "local:login user:root") and
 * an address key ("uid:1000", "rhost:10.0.0.5") name something on the host
 * that sent them: uid 1000 on jump-01 is not uid 1000 on jump-02, and a
 * client address seen through one host's network need not be the same
 * client elsewhere. So a signed registration's keys are its host's own
 * ("host=jump-01 uid:1000"), and each limit means on every host of a fleet
 * what it means on a single one. The Unix socket's keys stay as they are. */
#define QUOTA_SCOPE_MAX (sizeof("host= ") + DT_CONTROL_FIELD_MAX)

static void quota_key(const struct cbd_creq *req, const char *key, char *out, size_t size)
{
	if (req->signed_by_key)
		snprintf(out, size, "host=%s %s", req->key.host, key);
	else
		snprintf(out, size, "%s", key);
}

static enum MHD_Result add_session(struct cbd_control *ctl, struct MHD_Connection *conn,
				   const struct cbd_creq *req, struct cbd_reg *r)
{
	char id[CBD_ID_LEN + 1], what[2 * CBD_ADDRESS_KEY_MAX];
	char address_key[CBD_ADDRESS_KEY_MAX + 1], address[QUOTA_SCOPE_MAX + sizeof(address_key)];
	char requester[QUOTA_SCOPE_MAX + DT_CONTROL_REQUESTER_MAX + 1];
	char shown_requester[sizeof(requester)]; /* the same, as safe to log */
	struct cbd_new_session ns = {.state = r->state,
				     .number = r->number,
				     .user = r->shown[0],
				     .service = r->shown[1],
				     .host = r->shown[2],
				     .rhost = r->shown[3],
				     .authorize_url = r->authorize_url,
				     .requester = requester,
				     .address = address,
				     .owner = req->signed_by_key ? req->key.host : "",
				     .command = r->command,
				     .ttl_s = r->ttl};

	if (host_mismatch(ctl, req, r))
		return send_refusal(ctl, conn, MHD_HTTP_FORBIDDEN, DT_CONTROL_HOST_MISMATCH,
				    "this host key may only register sessions of its own host; "
				    "the registration names another host");
	cbd_address_key(r->requester_address, address_key, sizeof(address_key));
	quota_key(req, address_key, address, sizeof(address));
	quota_key(req, r->requester, requester, sizeof(requester));
	quota_key(req, r->shown[4], shown_requester, sizeof(shown_requester));
	switch (cbd_store_add(ctl->store, &ns, id)) {
	case CBD_OK:
		dt_logf(
		    ctl->log, LOG_INFO,
		    "registered id=%s user=%s service=%s host=%s rhost=%s requester=%s ttl=%us%s%s",
		    id, r->shown[0], r->shown[1], r->shown[2], r->shown[3], r->shown[4], r->ttl,
		    req->signed_by_key ? " key=" : "", req->signed_by_key ? req->key.id : "");
		return created(ctl, conn, id, r->ttl);
	case CBD_E_REQUESTER_FULL:
		/* A refusal of this requester's login, not a helper that cannot
		 * serve: the module maps 429 to PAM_AUTH_ERR. */
		snprintf(what, sizeof(what),
			 "requester %s has max_pending_per_requester (%u) sessions pending",
			 shown_requester, ctl->conf->max_pending_per_requester);
		log_refusal(ctl, &ctl->requester_full, shown_requester, what);
		return send_refusal(ctl, conn, MHD_HTTP_TOO_MANY_REQUESTS,
				    DT_CONTROL_REFUSED_REQUESTER,
				    "too many pending sessions for this requester "
				    "(max_pending_per_requester)");
	case CBD_E_ADDRESS_FULL:
		/* As above, for every account named from one address. */
		snprintf(what, sizeof(what),
			 "address %s has max_pending_per_address (%u) sessions pending", address,
			 ctl->conf->max_pending_per_address);
		dt_sanitize_text(what);
		log_refusal(ctl, &ctl->address_full, address, what);
		return send_refusal(ctl, conn, MHD_HTTP_TOO_MANY_REQUESTS,
				    DT_CONTROL_REFUSED_ADDRESS,
				    "too many pending sessions from this address "
				    "(max_pending_per_address)");
	case CBD_E_HOST_FULL:
		/* One fleet host at its quota: its own logins are refused, the
		 * other hosts' go on (the module maps 429 to PAM_AUTH_ERR). */
		snprintf(what, sizeof(what),
			 "host %s has max_pending_per_host (%u) sessions pending (key %s)",
			 req->key.host, ctl->conf->max_pending_per_host, req->key.id);
		dt_sanitize_text(what);
		log_refusal(ctl, &ctl->host_full, req->key.host, what);
		return send_refusal(ctl, conn, MHD_HTTP_TOO_MANY_REQUESTS, DT_CONTROL_REFUSED_HOST,
				    "too many pending sessions for this host "
				    "(max_pending_per_host)");
	case CBD_E_DUP:
		dt_logf(ctl->log, LOG_WARNING, "register refused: duplicate state");
		return send_error(ctl, conn, MHD_HTTP_CONFLICT, "duplicate state");
	case CBD_E_FULL:
		/* Others can bring this about (many addresses, many logins):
		 * "full" tells the module to refuse, not to fall back. */
		snprintf(what, sizeof(what), "full: max_pending (%u) reached",
			 ctl->conf->max_pending);
		log_refusal(ctl, &ctl->full, "", what);
		return send_refusal(ctl, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				    DT_CONTROL_REFUSED_FULL,
				    "too many pending sessions (max_pending)");
	case CBD_E_DOWN:
		return send_store_down(ctl, conn);
	default:
		return send_error(ctl, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "cannot store the session");
	}
}

static enum MHD_Result do_register(struct cbd_control *ctl, struct MHD_Connection *conn,
				   struct cbd_creq *req)
{
	struct cbd_reg r;
	char msg[160];
	json_object *root;
	enum MHD_Result ret;

	if (!cbd_content_type_is(conn, "application/json"))
		return send_error(ctl, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				  "Content-Type must be application/json");
	root = req->body.data != NULL ? dt_json_parse_object(req->body.data, req->body.len) : NULL;
	cbd_body_clear(&req->body);
	if (root == NULL)
		return send_error(ctl, conn, MHD_HTTP_BAD_REQUEST, "body must be a JSON object");
	memset(&r, 0, sizeof(r));
	if (cbd_register_parse(root, ctl->conf->session_ttl, &r, msg, sizeof(msg)) != 0)
		ret = r.error_code != NULL
			  ? send_refusal(ctl, conn, MHD_HTTP_BAD_REQUEST, r.error_code, msg)
			  : send_error(ctl, conn, MHD_HTTP_BAD_REQUEST, msg);
	else if (cbd_register_sanitize(&r) != 0)
		ret = send_error(ctl, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, DT_OOM_TEXT);
	else
		ret = add_session(ctl, conn, req, &r);
	cbd_register_free(&r);
	dt_json_wipe_put(root); /* it held the state */
	return ret;
}

/* ---- wait ---- */

static int parse_timeout(struct MHD_Connection *conn, unsigned *out)
{
	const char *t = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout");
	unsigned v = 0;
	size_t i;

	if (t == NULL) {
		*out = DT_CONTROL_WAIT_DEFAULT_S;
		return 0;
	}
	for (i = 0; t[i] != '\0'; i++) {
		if (t[i] < '0' || t[i] > '9' || i >= 2)
			return -1;
		v = v * 10 + (unsigned)(t[i] - '0');
	}
	if (v < 1 || v > DT_CONTROL_WAIT_MAX_S)
		return -1;
	*out = v;
	return 0;
}

/* The code goes out in a buffer we build and wipe ourselves. The code was
 * checked at the callback to hold no character JSON would escape. */
static enum MHD_Result send_approved(struct cbd_control *ctl, struct MHD_Connection *conn,
				     const char *id, char *code)
{
	char *text = dt_asprintf("{\"status\":\"approved\",\"code\":\"%s\"}", code);

	dt_free_secret(code);
	dt_logf(ctl->log, LOG_INFO, "released the code of id=%s", id);
	if (text == NULL)
		return send_error(ctl, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, DT_OOM_TEXT);
	return send_text(conn, MHD_HTTP_OK, text);
}

static enum MHD_Result send_status(struct cbd_control *ctl, struct MHD_Connection *conn,
				   const char *id, struct cbd_poll *p)
{
	json_object *obj;

	if (p->status == CBD_APPROVED)
		return send_approved(ctl, conn, id, p->code);
	obj = json_object_new_object();
	if (obj == NULL)
		return MHD_NO;
	json_object_object_add(obj, "status", json_object_new_string(cbd_status_name(p->status)));
	if (p->status == CBD_REFUSED)
		json_object_object_add(obj, "reason",
				       json_object_new_string(cbd_reason_name(p->reason)));
	dt_logf(ctl->log, LOG_DEBUG, "wait id=%s: %s", id, cbd_status_name(p->status));
	return send_json(conn, MHD_HTTP_OK, obj);
}

/* The session's state, or CBD_E_DOWN. With a grace, a wait asks the
 * store only if no wait found it down just now (outage.h): during an
 * outage at most one read per interval holds a thread, and the waits that
 * skip it are held like the one that asked. Without a grace every wait
 * asks: its answer would be a 503 on someone else's word. */
static enum cbd_rc poll_store(struct cbd_control *ctl, const char *id, struct cbd_creq *req,
			      struct cbd_poll *p)
{
	enum cbd_rc rc;

	if (ctl->conf->redis_failover_grace > 0 && cbd_outage_recent(&ctl->outage, dt_now_ms()))
		return CBD_E_DOWN;
	rc = cbd_store_poll(ctl->store, id, cbd_creq_owner(req), p);
	cbd_outage_note(&ctl->outage, rc == CBD_E_DOWN, dt_now_ms());
	return rc;
}

/* The store is down. A Sentinel failover takes seconds, and a login in
 * flight should not fail for it: with redis_failover_grace the wait stays
 * suspended through the outage (CBD_SUSPENDED), re-reading on the timer.
 * Nothing can be decided while the store is down, so waiting longer only
 * finds the session as the new primary has it. CBD_STOPPING: answer
 * store_down now (no grace, grace over, the wait's timeout reached, or
 * shutdown); CBD_RETRY: a notice came in between, read again. */
static enum cbd_suspend_rc ride_out_outage(struct cbd_control *ctl, struct MHD_Connection *conn,
					   const char *id, struct cbd_creq *req, uint64_t epoch)
{
	int64_t wake = 0;

	if (cbd_grace_step(&req->grace, ctl->conf->redis_failover_grace, dt_now_ms(),
			   req->deadline_ms, &wake) != CBD_GRACE_WAIT)
		return CBD_STOPPING;
	return cbd_waiters_suspend(ctl->waiters, &req->waiter, conn, id, wake, epoch);
}

static enum MHD_Result wait_step(struct cbd_control *ctl, struct MHD_Connection *conn,
				 const char *id, struct cbd_creq *req)
{
	struct cbd_poll p;
	uint64_t epoch;
	int64_t now, wake;
	int tries;

	for (tries = 0;; tries++) {
		if (cbd_wait_claims_taken_over(&ctl->claims, &req->claim)) {
			/* A newer wait of the host took over: answer before
			 * the store is read, so no code goes to this
			 * abandoned connection (wait_claims.h). */
			p = (struct cbd_poll){.status = CBD_PENDING};
			return send_status(ctl, conn, id, &p);
		}
		epoch = cbd_waiters_epoch(ctl->waiters);
		switch (poll_store(ctl, id, req, &p)) {
		case CBD_OK:
			break;
		case CBD_E_UNKNOWN:
			return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "unknown session");
		case CBD_E_DOWN:
			switch (ride_out_outage(ctl, conn, id, req, epoch)) {
			case CBD_SUSPENDED:
				return MHD_YES;
			case CBD_STOPPING:
				return send_store_down(ctl, conn);
			case CBD_RETRY:
				continue;
			}
			return send_store_down(ctl, conn);
		default:
			return send_error(ctl, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "store failed");
		}
		now = dt_now_ms();
		if (p.status != CBD_PENDING || now >= req->deadline_ms)
			return send_status(ctl, conn, id, &p);
		wake = p.expires_ms < req->deadline_ms ? p.expires_ms : req->deadline_ms;
		if (tries >= SUSPEND_RETRIES && wake > now + 100)
			wake = now + 100; /* heavy churn: look again soon */
		switch (cbd_waiters_suspend(ctl->waiters, &req->waiter, conn, id, wake, epoch)) {
		case CBD_SUSPENDED:
			return MHD_YES;
		case CBD_STOPPING:
			return send_status(ctl, conn, id, &p);
		case CBD_RETRY:
			if (tries >= SUSPEND_RETRIES)
				epoch = cbd_waiters_epoch(ctl->waiters);
			break;
		}
	}
}

/* A fleet host's wait, within its bounds (wait_claims.h): past
 * 2 * max_pending_per_host waits at once it is refused; an older wait of
 * the host on the same session is answered "pending" now. */
static enum MHD_Result claimed_wait(struct cbd_control *ctl, struct MHD_Connection *conn,
				    const char *id, struct cbd_creq *req)
{
	struct cbd_burst_note note;
	char prev[120];
	int took_over;

	if (cbd_wait_claims_take(&ctl->claims, &req->claim, req->key.host, id, &took_over) !=
	    CBD_CLAIM_OK) {
		if (cbd_burst_hit(&ctl->waits_full, dt_now_ms(), req->key.host, &note)) {
			cbd_burst_note_text(&note, prev, sizeof(prev));
			dt_logf(ctl->log, LOG_WARNING,
				"wait refused: host %s has %u waits open (2 * "
				"max_pending_per_host)%s",
				req->key.host, ctl->claims.max_per_host, prev);
		}
		return send_refusal(ctl, conn, MHD_HTTP_TOO_MANY_REQUESTS, DT_CONTROL_WAITS_FULL,
				    "too many waits open for this host "
				    "(2 * max_pending_per_host)");
	}
	if (took_over)
		cbd_waiters_wake(ctl->waiters, id);
	return wait_step(ctl, conn, id, req);
}

static enum MHD_Result do_wait(struct cbd_control *ctl, struct MHD_Connection *conn, const char *id,
			       struct cbd_creq *req)
{
	unsigned timeout;

	if (!req->wait_started) {
		if (parse_timeout(conn, &timeout) != 0)
			return send_error(ctl, conn, MHD_HTTP_BAD_REQUEST,
					  "timeout must be an integer 1..30");
		req->deadline_ms = dt_now_ms() + (int64_t)timeout * 1000;
		req->wait_started = 1;
		if (req->signed_by_key)
			return claimed_wait(ctl, conn, id, req);
	}
	return wait_step(ctl, conn, id, req);
}

/* ---- cancel ---- */

static enum MHD_Result do_cancel(struct cbd_control *ctl, struct MHD_Connection *conn,
				 const char *id, const struct cbd_creq *req)
{
	switch (cbd_store_cancel(ctl->store, id, cbd_creq_owner(req))) {
	case CBD_OK:
		break;
	case CBD_E_DOWN:
		return send_store_down(ctl, conn);
	default:
		return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "unknown session");
	}
	dt_logf(ctl->log, LOG_INFO, "cancelled id=%s", id);
	return send_empty(conn, MHD_HTTP_NO_CONTENT);
}

/* ---- routing ---- */

static enum MHD_Result route_session(struct cbd_control *ctl, struct MHD_Connection *conn,
				     const char *rest, const char *method, struct cbd_creq *req)
{
	const char *slash = strchr(rest, '/');
	size_t idlen = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	char id[CBD_ID_LEN + 1];

	if (idlen != CBD_ID_LEN)
		return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "unknown session");
	memcpy(id, rest, CBD_ID_LEN);
	id[CBD_ID_LEN] = '\0';
	if (!dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN))
		return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "unknown session");
	if (slash == NULL) {
		if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
			return do_cancel(ctl, conn, id, req);
	} else if (strcmp(slash, "/wait") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
			return do_wait(ctl, conn, id, req);
	} else {
		return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "not found");
	}
	return send_error(ctl, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
}

enum MHD_Result cbd_control_route(struct cbd_control *ctl, struct MHD_Connection *conn,
				  const char *url, const char *method, struct cbd_creq *req)
{
	if (strcmp(url, DT_CONTROL_SESSIONS) == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
			return do_register(ctl, conn, req);
		return send_error(ctl, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	}
	if (strncmp(url, SESSION_PREFIX, strlen(SESSION_PREFIX)) == 0)
		return route_session(ctl, conn, url + strlen(SESSION_PREFIX), method, req);
	return send_error(ctl, conn, MHD_HTTP_NOT_FOUND, "not found");
}

enum MHD_Result cbd_control_collect(struct cbd_control *ctl, struct cbd_creq *req,
				    const char *upload, size_t *upload_size)
{
	if (cbd_body_append(&req->body, upload, *upload_size) != 0) {
		dt_logf(ctl->log, LOG_WARNING, "control: request body over 8 KiB; dropped");
		return MHD_NO;
	}
	*upload_size = 0;
	return MHD_YES;
}

void cbd_creq_free(struct cbd_control *ctl, struct cbd_creq *req)
{
	cbd_waiters_forget(ctl->waiters, &req->waiter);
	cbd_wait_claims_drop(&ctl->claims, &req->claim); /* before its key (host) is wiped */
	cbd_body_clear(&req->body);
	OPENSSL_cleanse(&req->key, sizeof(req->key));
	free(req->target);
	free(req);
}

/* ---- the Unix socket's listener ---- */

/* First call for a request: check the peer and the declared size. */
static enum MHD_Result begin(struct cbd_control *ctl, struct MHD_Connection *conn, void **con_cls)
{
	struct cbd_creq *req;

	if (!cbd_auth_unix_peer(ctl->log, conn))
		return send_error(ctl, conn, MHD_HTTP_FORBIDDEN, "forbidden");
	if (cbd_body_too_long(conn, BODY_MAX))
		return send_error(ctl, conn, MHD_HTTP_CONTENT_TOO_LARGE, "body larger than 8 KiB");
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	req->body.limit = BODY_MAX;
	req->started = req->authed = 1; /* root or the helper's uid: any session */
	*con_cls = req;
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct cbd_control *ctl = cls;
	struct cbd_creq *req = *con_cls;

	(void)version;
	if (req == NULL)
		return begin(ctl, conn, con_cls);
	if (*upload_size != 0)
		return cbd_control_collect(ctl, req, upload, upload_size);
	return cbd_control_route(ctl, conn, url, method, req);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct cbd_control *ctl = cls;
	struct cbd_creq *req = *con_cls;

	(void)conn;
	(void)toe;
	if (req == NULL)
		return;
	cbd_creq_free(ctl, req);
	*con_cls = NULL;
}

/* ---- life cycle ---- */

static int start_server(struct cbd_control *ctl, struct dt_err *err)
{
	struct cbd_mhd_params p = {
	    .listen_fd = ctl->fd,
	    .extra_flags = MHD_ALLOW_SUSPEND_RESUME,
	    .connection_limit = 256,
	    .timeout_s = 60,
	    .memory_limit = 32 * 1024,
	    .handler = handle,
	    .completed = completed,
	    .cls = ctl,
	    .log = ctl->log,
	    .name = "control",
	};

	ctl->mhd = cbd_mhd_start(&p, err);
	return ctl->mhd != NULL ? 0 : -1;
}

/* Frees what cbd_control_start sets up before anything can fail: the
 * burst limiters' mutexes and the structure. Every way out of the control
 * listener goes through here, so none leaves a mutex undestroyed. */
static void control_free(struct cbd_control *ctl)
{
	cbd_burst_destroy(&ctl->requester_full);
	cbd_burst_destroy(&ctl->address_full);
	cbd_burst_destroy(&ctl->host_full);
	cbd_burst_destroy(&ctl->waits_full);
	cbd_burst_destroy(&ctl->full);
	cbd_burst_destroy(&ctl->host_mismatch);
	cbd_wait_claims_destroy(&ctl->claims);
	cbd_outage_destroy(&ctl->outage);
	free(ctl);
}

struct cbd_control *cbd_control_start(const struct cbd_conf *conf, struct cbd_store *store,
				      const struct dt_log *log, struct dt_err *err)
{
	struct cbd_control *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	if (cbd_wait_claims_init(&ctl->claims, 2 * conf->max_pending_per_host) != 0) {
		free(ctl);
		dt_err_set(err, DT_ERR_INTERNAL, "cannot create the control API's mutex");
		return NULL;
	}
	ctl->conf = conf;
	ctl->store = store;
	ctl->log = log;
	cbd_burst_init(&ctl->requester_full);
	cbd_burst_init(&ctl->address_full);
	cbd_burst_init(&ctl->host_full);
	cbd_burst_init(&ctl->waits_full);
	cbd_burst_init(&ctl->full);
	cbd_burst_init(&ctl->host_mismatch);
	cbd_outage_init(&ctl->outage);
	ctl->fd = cbd_listen_unix(conf->control, &ctl->ino, err);
	if (ctl->fd < 0) {
		control_free(ctl);
		return NULL;
	}
	ctl->waiters = cbd_waiters_start(store, log, err);
	if (ctl->waiters == NULL || start_server(ctl, err) != 0) {
		cbd_waiters_free(ctl->waiters);
		close(ctl->fd);
		cbd_unlink_unix(conf->control, ctl->ino);
		control_free(ctl);
		return NULL;
	}
	if (conf->control_listen != NULL && (ctl->tcp = cbd_control_tcp_start(ctl, err)) == NULL) {
		cbd_control_stop(ctl);
		return NULL;
	}
	return ctl;
}

void cbd_control_stop(struct cbd_control *ctl)
{
	if (ctl == NULL)
		return;
	cbd_waiters_shutdown(ctl->waiters);
	cbd_control_tcp_stop(ctl->tcp);
	MHD_stop_daemon(ctl->mhd); /* closes the listening socket too */
	cbd_waiters_free(ctl->waiters);
	cbd_unlink_unix(ctl->conf->control, ctl->ino);
	control_free(ctl);
}
