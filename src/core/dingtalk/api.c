#include "config.h"

#include "dingtalk/api.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "dingtalk/ipban.h"
#include "dingtalk/retry.h"
#include "base/util.h"

/* Another try needs at least this much of the deadline left. */
#define TRY_RESERVE_MS 500

/* Reads a successful HTTP exchange per the envelope. Returns the object or
 * NULL with err and *cls set. */
static json_object *interpret(const struct dt_api_call *c, const struct dt_http_response *resp,
			      enum dt_api_class *cls, int64_t *wait_ms, struct dt_err *err)
{
	const struct dt_api_clock clock = {.sent_ms = c->signed_at_ms, .server_s = resp->date_s};
	json_object *obj, *v;
	int has_errcode;

	if (c->envelope == DT_ENV_V1 && resp->status != 200) {
		*cls = dt_api_v1_error(c->name, resp->status, resp->body, resp->len, wait_ms, err);
		return NULL;
	}
	if (c->envelope == DT_ENV_OAPI && resp->status != 200) {
		*cls =
		    dt_api_http_error(c->name, resp->status, resp->body, resp->len, wait_ms, err);
		return NULL;
	}
	obj = dt_json_parse_object(resp->body, resp->len);
	if (obj == NULL) {
		*cls = dt_api_not_json(c->name, resp->status, resp->body, resp->len, err);
		return NULL;
	}
	if (dt_api_ip_ban(c->name, obj, wait_ms, err)) {
		*cls = DT_API_BANNED;
		dt_json_wipe_put(obj);
		return NULL;
	}
	has_errcode = json_object_object_get_ex(obj, "errcode", &v);
	/* api.dingtalk.com answers a path it does not know with HTTP 200 in
	 * the errcode envelope ({"errcode":404,...}); its own answers carry
	 * no errcode. */
	if (c->envelope == DT_ENV_V1 && !has_errcode)
		return obj;
	if (has_errcode && json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0)
		return obj;
	*cls = dt_api_oapi_error_at(c->name, obj, &clock, err);
	dt_json_wipe_put(obj);
	return NULL;
}

static void note_tries(struct dt_err *err, unsigned tries)
{
	size_t n = strlen(err->msg);

	if (tries > 1 && n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, " (after %u tries)", tries);
}

json_object *dt_api_call(struct dt_http *h, const struct dt_api_call *c, int64_t deadline_ms,
			 enum dt_api_class *cls_out, struct dt_err *err)
{
	struct dt_http_response resp;
	enum dt_api_class cls = DT_API_FAIL;
	json_object *obj = NULL;
	unsigned attempt;

	/* A ban seen earlier in this process: sending would only feed it. */
	if (dt_ipban_check(c->name, c->url, err)) {
		if (cls_out != NULL)
			*cls_out = DT_API_BANNED;
		return NULL;
	}
	for (attempt = 1;; attempt++) {
		int64_t wait_ms = 0;

		if (dt_http_request(h, c->method, c->url, c->headers, c->body, deadline_ms, &resp,
				    err) < 0) {
			cls = err->kind == DT_ERR_UNAVAIL && h->transient &&
				      (!c->single_use || h->unsent)
				  ? DT_API_RETRY
				  : DT_API_FAIL;
		} else {
			obj = interpret(c, &resp, &cls, &wait_ms, err);
			dt_http_response_free(&resp);
			if (obj != NULL)
				return obj;
			if (cls == DT_API_BANNED)
				dt_ipban_note(c->url, wait_ms);
			if (c->single_use && cls == DT_API_RETRY)
				cls = DT_API_FAIL; /* DingTalk may have used the code */
		}
		if ((cls != DT_API_RETRY && cls != DT_API_THROTTLED) ||
		    attempt >= DT_RETRY_MAX_TRIES ||
		    dt_retry_sleep(dt_retry_delay_ms(attempt, wait_ms), deadline_ms,
				   TRY_RESERVE_MS) < 0)
			break;
	}
	note_tries(err, attempt);
	/* The code came through the phone's side, where the person at the
	 * terminal can put any code with the right state: DingTalk refusing
	 * it must not read as an outage (failmode, recovery codes) nor as our
	 * bug (PAM_SERVICE_ERR, which failmode = safe ignores). */
	if (c->single_use && cls == DT_API_REFUSED && err->kind != DT_ERR_DENIED) {
		err->kind = DT_ERR_DENIED;
		dt_err_prefix(err, "the code from the phone was refused: ");
	} else if (c->names_person && cls == DT_API_PERMISSION && c->permission_proven) {
		err->kind = DT_ERR_DENIED;
		dt_err_prefix(err, "refused, as this login's first look-up had the permission: ");
	} else if (c->names_person && cls == DT_API_REFUSED && err->kind != DT_ERR_DENIED) {
		/* Which account was scanned steers this answer (api.h). */
		err->kind = DT_ERR_DENIED;
		dt_err_prefix(err, "DingTalk refused the call about the person who scanned: ");
	}
	if (cls_out != NULL)
		*cls_out = cls;
	return NULL;
}
