#include "config.h"

#include "login/helper_client.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/util.h"
#include "conf/helper_urls.h"
#include "login/sign_refusal.h"
#include "proto/control_api.h"

/* The host part is ignored on a Unix socket, but HTTP needs one. */
#define HELPER_URL "http://localhost"

/* Sends one request to ln's listener: `path` (with its query) after the
 * replica's base URL, signed when ln has a key. Any answer is a success
 * here, except a signed request's 401 or 403, which is the service
 * refusing this host (sign_refusal.h). Sets ln->elsewhere on a failure
 * that another replica might not have. */
static int send_request(struct dt_helper_link *ln, const char *method, const char *path,
			const char *body, int64_t deadline_ms, struct dt_http_response *resp,
			struct dt_err *err)
{
	struct dt_reqsign_headers signed_by;
	char url[DT_HELPER_URL_MAX + 256];
	int rc;

	ln->elsewhere = 0;
	ln->host_refused = 0;
	snprintf(url, sizeof(url), "%s%s", ln->base != NULL ? ln->base : HELPER_URL, path);
	if (ln->key != NULL &&
	    dt_reqsign_headers(ln->key, method, path, body, body != NULL ? strlen(body) : 0,
			       dt_wall_ms() / 1000, &signed_by, err) < 0)
		return -1;
	rc = dt_http_request(ln->http, method, url, ln->key != NULL ? signed_by.lines : NULL, body,
			     deadline_ms, resp, err);
	if (ln->key != NULL)
		OPENSSL_cleanse(&signed_by, sizeof(signed_by));
	if (rc < 0) {
		ln->elsewhere = err->kind == DT_ERR_UNAVAIL || err->kind == DT_ERR_TIMEOUT;
		return -1;
	}
	if (ln->key != NULL && (resp->status == 401 || resp->status == 403)) {
		dt_sign_refusal(resp, ln->base, ln->host != NULL ? ln->host : "", err);
		dt_http_response_free(resp);
		ln->elsewhere = 1;
		ln->host_refused = 1;
		return -1;
	}
	return 0;
}

/* A 5xx other than "full" is this replica unable to serve (503 store_down
 * among them): another replica may. */
static void note_server_error(struct dt_helper_link *ln, const struct dt_http_response *resp)
{
	ln->elsewhere = ln->base != NULL && resp->status >= 500 && resp->status <= 599;
}

/* Parses a helper answer that must be a JSON object. */
static json_object *parse_object(const struct dt_http_response *resp, const char *what,
				 struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(resp->body, resp->len);

	if (obj == NULL)
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "helper: %s: HTTP %ld with an answer that is not a JSON object", what,
			   resp->status);
	return obj;
}

static int helper_error(const struct dt_http_response *resp, const char *what, struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(resp->body, resp->len);
	const char *msg = obj != NULL ? dt_json_string(obj, "error") : NULL;
	char shown[200];

	snprintf(shown, sizeof(shown), "%s", msg != NULL ? msg : "no reason given");
	dt_sanitize_text(shown);
	json_object_put(obj);
	return dt_err_set(err, DT_ERR_UNAVAIL, "helper: %s refused with HTTP %ld: %s", what,
			  resp->status, shown);
}

/* Which limit a refused registration hit. Every one of them is a state
 * that people other than the helper's operator can bring about (many
 * logins pending from one requester, one address, or everywhere), so each
 * is a refusal: were "full" an outage, whoever fills the helper would open
 * failmode's door and the recovery prompt for everyone. Only a 503 that
 * names itself "full" counts; any other 5xx stays "cannot serve". */
static enum dt_helper_refusal refusal_of(const struct dt_http_response *resp)
{
	json_object *obj;
	const char *code;
	enum dt_helper_refusal r = DT_HELPER_REFUSED_NONE;

	if (resp->status != 429 && resp->status != 503)
		return r;
	obj = dt_json_parse_object(resp->body, resp->len);
	code = obj != NULL ? dt_json_string(obj, "error_code") : NULL;
	if (resp->status == 429 && code != NULL && strcmp(code, DT_CONTROL_REFUSED_ADDRESS) == 0)
		r = DT_HELPER_REFUSED_ADDRESS;
	else if (resp->status == 429 && code != NULL && strcmp(code, DT_CONTROL_REFUSED_HOST) == 0)
		r = DT_HELPER_REFUSED_HOST;
	else if (resp->status == 429)
		r = DT_HELPER_REFUSED_REQUESTER;
	else if (code != NULL && strcmp(code, DT_CONTROL_REFUSED_FULL) == 0)
		r = DT_HELPER_REFUSED_FULL;
	json_object_put(obj);
	return r;
}

static char *registration_json(const struct dt_helper_registration *reg)
{
	json_object *o = json_object_new_object();
	char *out = NULL;

	if (o == NULL)
		return NULL;
	if (json_object_object_add(o, "state", json_object_new_string(reg->state)) == 0 &&
	    json_object_object_add(o, "number", json_object_new_int((int)reg->number)) == 0 &&
	    json_object_object_add(o, "user", json_object_new_string(reg->user)) == 0 &&
	    json_object_object_add(o, "service", json_object_new_string(reg->service)) == 0 &&
	    json_object_object_add(o, "host", json_object_new_string(reg->host)) == 0 &&
	    json_object_object_add(o, "rhost", json_object_new_string(reg->rhost)) == 0 &&
	    json_object_object_add(o, "authorize_url",
				   json_object_new_string(reg->authorize_url)) == 0 &&
	    json_object_object_add(o, "requester", json_object_new_string(reg->requester)) == 0 &&
	    json_object_object_add(o, "requester_address",
				   json_object_new_string(reg->requester_address)) == 0 &&
	    json_object_object_add(o, "ttl", json_object_new_int((int)reg->ttl)) == 0 &&
	    (reg->command == NULL || reg->command[0] == '\0' ||
	     json_object_object_add(o, "command", json_object_new_string(reg->command)) == 0))
		out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	/* The serialized form holds the state: wipe json-c's copy too. */
	dt_json_wipe_put(o);
	return out;
}

static int read_registration(json_object *obj, struct dt_helper_session *out, struct dt_err *err)
{
	const char *id = dt_json_string(obj, "id");
	const char *url = dt_json_string(obj, "short_url");
	const char *instance = dt_json_string(obj, "instance");

	if (id == NULL || !dt_is_token(id, 8, sizeof(out->id) - 1) || url == NULL ||
	    strlen(url) > 512 || dt_json_uint(obj, "expires_in", 3600, &out->expires_in) < 0)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "helper: the registration answer lacks id, short_url or "
				  "expires_in");
	/* Without it a later 404 could not be told apart from a restart:
	 * a helper that does not name its instance is not used at all. */
	if (instance == NULL || !dt_is_token(instance, 8, sizeof(out->instance) - 1))
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "helper: the registration answer lacks a valid instance (a "
				  "helper older than this module?)");
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return dt_err_set(err, DT_ERR_UNAVAIL, "helper: short_url is not an http(s) URL");
	snprintf(out->id, sizeof(out->id), "%s", id);
	snprintf(out->instance, sizeof(out->instance), "%s", instance);
	out->short_url = strdup(url);
	if (out->short_url == NULL)
		return dt_err_oom(err);
	dt_sanitize_text(out->short_url);
	return 0;
}

int dt_helper_register(struct dt_helper_link *ln, const struct dt_helper_registration *reg,
		       int64_t deadline_ms, struct dt_helper_session *out, struct dt_err *err)
{
	struct dt_http_response resp;
	json_object *obj;
	char *body = registration_json(reg);
	int rc;

	memset(out, 0, sizeof(*out));
	if (body == NULL)
		return dt_err_oom(err);
	rc = send_request(ln, "POST", DT_CONTROL_SESSIONS, body, deadline_ms, &resp, err);
	dt_free_secret(body);
	if (rc < 0)
		return -1;
	if (resp.status != 201) {
		helper_error(&resp, "registration", err);
		out->refused = refusal_of(&resp);
		if (out->refused != DT_HELPER_REFUSED_NONE)
			err->kind = DT_ERR_DENIED;
		else if (resp.status == 409)
			/* The state is already registered: with fresh random
			 * states that is this very login, stored by a replica
			 * that answered too late and then tried again on the
			 * next. Its session exists, so the fleet is not
			 * unavailable; the login fails closed. */
			err->kind = DT_ERR_DENIED;
		else
			note_server_error(ln, &resp);
		dt_http_response_free(&resp);
		return -1;
	}
	obj = parse_object(&resp, "registration", err);
	dt_http_response_free(&resp);
	if (obj == NULL)
		return -1;
	rc = read_registration(obj, out, err);
	json_object_put(obj);
	return rc;
}

static int read_wait(json_object *obj, struct dt_wait_result *out, struct dt_err *err)
{
	const char *status = dt_json_string(obj, "status");
	const char *s;

	if (status == NULL)
		return dt_err_set(err, DT_ERR_UNAVAIL, "helper: wait answer without status");
	if (strcmp(status, DT_CONTROL_PENDING) == 0)
		out->status = DT_WAIT_PENDING;
	else if (strcmp(status, DT_CONTROL_EXPIRED) == 0)
		out->status = DT_WAIT_EXPIRED;
	else if (strcmp(status, DT_CONTROL_REFUSED) == 0) {
		out->status = DT_WAIT_REFUSED;
		s = dt_json_string(obj, "reason");
		snprintf(out->reason, sizeof(out->reason), "%s", s != NULL ? s : "unknown");
		dt_sanitize_text(out->reason);
	} else if (strcmp(status, DT_CONTROL_APPROVED) == 0) {
		s = dt_json_string(obj, "code");
		if (s == NULL || s[0] == '\0' || strlen(s) > DT_CONTROL_CODE_MAX)
			return dt_err_set(err, DT_ERR_UNAVAIL, "helper: approved without a code");
		out->status = DT_WAIT_APPROVED;
		out->code = strdup(s);
		if (out->code == NULL)
			return dt_err_oom(err);
	} else
		return dt_err_set(err, DT_ERR_UNAVAIL, "helper: unknown wait status");
	return 0;
}

/* A 404 for session s: ended at this helper instance, or lost with
 * another one. */
static int session_unknown(const struct dt_helper_link *ln, const struct dt_http_response *resp,
			   const struct dt_helper_session *s, struct dt_wait_result *out,
			   struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(resp->body, resp->len);
	const char *instance = obj != NULL ? dt_json_string(obj, "instance") : NULL;
	int same = instance != NULL && s->instance[0] != '\0' && strcmp(instance, s->instance) == 0;

	json_object_put(obj);
	if (same) {
		out->status = DT_WAIT_GONE;
		return 0;
	}
	out->lost = 1;
	/* A fleet keeps its instance in the shared store: another one means
	 * the store lost its data, or this replica uses another store. */
	if (ln->base != NULL)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "helper %s no longer knows session %s (%s): the service's store "
				  "lost it, or this replica does not share the others' store",
				  ln->base, s->id,
				  instance != NULL ? "its instance changed" : "no instance named");
	return dt_err_set(err, DT_ERR_UNAVAIL,
			  "helper: the helper no longer knows session %s: it was restarted "
			  "(%s)",
			  s->id, instance != NULL ? "its instance changed" : "no instance named");
}

int dt_helper_wait(struct dt_helper_link *ln, const struct dt_helper_session *s, unsigned timeout_s,
		   int64_t deadline_ms, struct dt_wait_result *out, struct dt_err *err)
{
	struct dt_http_response resp;
	json_object *obj;
	char path[160];
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), DT_CONTROL_SESSIONS "/%s/wait?timeout=%u", s->id, timeout_s);
	if (send_request(ln, "GET", path, NULL, deadline_ms, &resp, err) < 0)
		return -1;
	if (resp.status == 404) {
		rc = session_unknown(ln, &resp, s, out, err);
		dt_http_response_free(&resp);
		return rc;
	}
	if (resp.status != 200) {
		helper_error(&resp, "wait", err);
		note_server_error(ln, &resp);
		/* A limit (429 waits_full: this host's waits at the service)
		 * is a refusal like the registration's limits, never an
		 * outage that failmode would let past. */
		if (resp.status == 429)
			err->kind = DT_ERR_DENIED;
		dt_http_response_free(&resp);
		return -1;
	}
	obj = parse_object(&resp, "wait", err);
	dt_http_response_free(&resp);
	if (obj == NULL)
		return -1;
	rc = read_wait(obj, out, err);
	dt_json_wipe_put(obj);
	return rc;
}

int dt_helper_cancel(struct dt_helper_link *ln, const char *id, int64_t deadline_ms,
		     struct dt_err *err)
{
	struct dt_http_response resp;
	char path[128];
	int rc = 0;

	snprintf(path, sizeof(path), DT_CONTROL_SESSIONS "/%s", id);
	if (send_request(ln, "DELETE", path, NULL, deadline_ms, &resp, err) < 0)
		return -1;
	if (resp.status != 204 && resp.status != 404) {
		rc = helper_error(&resp, "cancel", err);
		note_server_error(ln, &resp);
	}
	dt_http_response_free(&resp);
	return rc;
}

int dt_helper_probe(struct dt_helper_link *ln, int64_t deadline_ms, char instance[64],
		    struct dt_err *err)
{
	struct dt_http_response resp;
	json_object *obj;
	const char *named;
	char path[160], id[32];
	int rc = -1;

	instance[0] = '\0';
	if (dt_random_token(id, sizeof(id), 12) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the random number generator failed");
	snprintf(path, sizeof(path), DT_CONTROL_SESSIONS "/%s/wait?timeout=1", id);
	if (send_request(ln, "GET", path, NULL, deadline_ms, &resp, err) < 0)
		return -1;
	obj = resp.status == 404 ? dt_json_parse_object(resp.body, resp.len) : NULL;
	named = obj != NULL ? dt_json_string(obj, "instance") : NULL;
	if (named != NULL && dt_is_token(named, 8, 63)) {
		snprintf(instance, 64, "%s", named);
		rc = 0;
	} else if (resp.status == 404)
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "helper: a wait on an unknown session answered 404 without an instance "
			   "(not dingtalk-callbackd, or an older one?)");
	else {
		helper_error(&resp, "a wait on an unknown session", err);
		note_server_error(ln, &resp);
	}
	json_object_put(obj);
	dt_http_response_free(&resp);
	return rc;
}

void dt_helper_session_free(struct dt_helper_session *s)
{
	free(s->short_url);
	s->short_url = NULL;
}

void dt_wait_result_free(struct dt_wait_result *r)
{
	dt_free_secret(r->code);
	r->code = NULL;
}
