/* One DingTalk API call: the two envelopes (api.dingtalk.com's v1.0 and
 * oapi.dingtalk.com's errcode), retries for the right cases only, and an
 * error that names the code, DingTalk's message and what to do. */
#ifndef DT_API_H
#define DT_API_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/http.h"

enum dt_envelope {
	DT_ENV_V1,   /* HTTP status + {"code","message","requestid"} */
	DT_ENV_OAPI, /* HTTP 200 + {"errcode","errmsg"} (errcode 0 = ok) */
};

/* What a failed call calls for. */
enum dt_api_class {
	DT_API_FAIL,	  /* report it: trying again gives the same answer */
	DT_API_RETRY,	  /* DingTalk is failing (5xx, busy): try again later */
	DT_API_THROTTLED, /* refused before any work was done: back off, try again */
	DT_API_TOKEN,	  /* the access token was refused: refresh it, try once more */
	/* DingTalk banned this host's IP for minutes (status 1111): give up
	 * at once, and send nothing to that origin until the ban ends
	 * (dingtalk/ipban.h); the wait hint is the ban's length. */
	DT_API_BANNED,
	/* The app lacks the API's permission (60011,
	 * AccessTokenPermissionDenied): reported like DT_API_FAIL, unless an
	 * earlier call of the login proved it (permission_proven). */
	DT_API_PERMISSION,
	/* DingTalk refused the request itself: a parameter missing or
	 * refused, a code it does not know or that was used, a userid it
	 * rejects, an error code not in our table. Not tried again. In the
	 * call that carries the person's code (single_use) it blames that
	 * code, and in one about the person (names_person) that person: a
	 * refusal (DT_ERR_DENIED), since whoever reached the helper's
	 * callback with the state chose the code, and whoever scanned chose
	 * the account. Only causes that cannot depend on either (the app's
	 * credentials, whitelist, permissions, token, throttling, quota,
	 * DingTalk busy, the signature's clock and key, a wrong base URL, the
	 * IP ban, transport failures) keep their "unavailable". */
	DT_API_REFUSED,
};

struct dt_api_call {
	const char *name;   /* "userAccessToken": names the API in messages */
	const char *method; /* GET, POST */
	const char *url;    /* may carry a token in its query: never logged */
	const char *const *headers;
	const char *body; /* JSON or NULL */
	enum dt_envelope envelope;
	/* The request carries a single-use code: once DingTalk may have seen
	 * it, a second try would only report it used. Such a call is tried
	 * again only when it never left or was throttled, and DT_API_REFUSED
	 * answers to it are refusals (see above). */
	int single_use;
	/* The request asks about the person DingTalk named in this login
	 * (their token, unionId or userid): the account they chose to scan
	 * with steers the answer, so DT_API_REFUSED answers are refusals
	 * here too, never "unavailable" (SECURITY.md, failmode). */
	int names_person;
	/* An earlier call of this login succeeded with the permission this
	 * one needs (getbyunionid before v2/user/get: both 成员信息读权限), so a
	 * permission refusal here concerns the person, not the app: a
	 * refusal too. */
	int permission_proven;
	/* A request signed over a timestamp (flow B): that timestamp (wall
	 * clock, ms), so that DingTalk's "more than a minute off" (853002)
	 * says how far off this host's clock is. 0: not signed. */
	int64_t signed_at_ms;
};

/* What a clock error is measured against: the signed request's timestamp
 * and the Date header of DingTalk's answer (0 when it had none). */
struct dt_api_clock {
	int64_t sent_ms;
	int64_t server_s;
};

/* Performs the call, retrying with backoff and jitter within the deadline.
 * Returns the answer's JSON object (the caller frees it, wiping it with
 * dt_json_wipe_put if it holds secrets), or NULL with err set and *cls
 * saying why (cls may be NULL). */
json_object *dt_api_call(struct dt_http *h, const struct dt_api_call *c, int64_t deadline_ms,
			 enum dt_api_class *cls, struct dt_err *err);

/* Interpreting answers (api_errors.c). Each sets err and returns what
 * the failure calls for; *wait_ms receives a server's own back-off hint
 * (for DT_API_BANNED, the ban's length). */
enum dt_api_class dt_api_v1_error(const char *api, long status, const char *body, size_t len,
				  int64_t *wait_ms, struct dt_err *err);
enum dt_api_class dt_api_oapi_error(const char *api, json_object *obj, struct dt_err *err);
/* The same; `clock` (or NULL) measures the skew 853002 reports. */
enum dt_api_class dt_api_oapi_error_at(const char *api, json_object *obj,
				       const struct dt_api_clock *clock, struct dt_err *err);
enum dt_api_class dt_api_http_error(const char *api, long status, const char *body, size_t len,
				    int64_t *wait_ms, struct dt_err *err);
/* DingTalk's IP ban ({"status":1111,"wait":N}, N in minutes) in any
 * answer: 1 (err set, DT_ERR_UNAVAIL; *ban_ms how long it lasts) or 0.
 * The caller gives up at once (dingtalk/ipban.h). */
int dt_api_ip_ban(const char *api, json_object *obj, int64_t *ban_ms, struct dt_err *err);
/* An answer that is not JSON at all (HTTP `status`): an HTML page names
 * DingTalk's other form of IP ban as a cause, with what to do. Sets err
 * (DT_ERR_UNAVAIL) and returns DT_API_FAIL: neither a ban nor a proxy's
 * page goes away within one login. */
enum dt_api_class dt_api_not_json(const char *api, long status, const char *body, size_t len,
				  struct dt_err *err);

#endif
