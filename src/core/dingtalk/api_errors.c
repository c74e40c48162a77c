#include "config.h"

/* What each DingTalk error means for the administrator: one line that
 * names the code, DingTalk's message and what to do (docs/dingtalk-api.md,
 * "Error codes"). */
#include <stdio.h>
#include <string.h>

#include "dingtalk/api.h"
#include "dingtalk/exchange.h"
#include "dingtalk/permission.h"
#include "base/json.h"
#include "base/util.h"

/* Why a call failed, as far as the administrator can act on it. Each cause
 * decides the error's kind, how the caller goes on (api.h) and the advice;
 * several codes share one cause. */
enum cause {
	CODE_USED,
	BAD_APP,
	WHITELIST,
	PERMISSION,
	TOKEN,
	THROTTLED,
	QUOTA,
	NOT_MEMBER,
	BAD_PARAM,
	USERID_REJECTED,
	BUSY,
	STALE_TIMESTAMP,
	BAD_SIGNATURE,
	UNLISTED,
};

struct error_advice {
	enum dt_err_kind kind;
	enum dt_api_class cls;
	const char *advice; /* NULL: DingTalk's own list is all there is */
};

/* UNLISTED stands for every code not listed below: DT_API_REFUSED, so that
 * in the exchange of the person's code an unknown answer is a refusal
 * (api.h), and elsewhere "unavailable" as before. */
// clang-format off
static const struct error_advice causes[] = {
	[CODE_USED]       = {DT_ERR_DENIED,   DT_API_REFUSED,
		"the authorization code is unknown, used or expired: scan again"},
	[BAD_APP]         = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"the AppKey or AppSecret is wrong: check client_id and client_secret "
		"for pasted spaces or a wrong app"},
	[WHITELIST]       = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"this host's egress IP is not in the app's server IP whitelist (服务器出口IP): "
		"add it in the developer console"},
	/* The advice names the API's own permission (permission.h). */
	[PERMISSION]      = {DT_ERR_UNAVAIL,  DT_API_FAIL, NULL},
	[TOKEN]           = {DT_ERR_UNAVAIL,  DT_API_TOKEN,
		"the access token was refused or has expired: "
		"it is refreshed and the call tried once more"},
	[THROTTLED]       = {DT_ERR_UNAVAIL,  DT_API_THROTTLED,
		"DingTalk is throttling this app (about 20 calls per second per API): "
		"backing off; if it persists, spread logins out"},
	[QUOTA]           = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"the organisation's monthly API quota is exhausted: raise the quota in the "
		"developer console (login and contact APIs are exempt)"},
	/* DingTalk forgets a person who leaves: 60121 is also "has left". */
	[NOT_MEMBER]      = {DT_ERR_DENIED,   DT_API_FAIL,
		"not found in the organisation (never a member, or has left it): refused"},
	[BAD_PARAM]       = {DT_ERR_INTERNAL, DT_API_REFUSED,
		"DingTalk refused a parameter: this is a bug in pam_dingtalk, please report it"},
	[USERID_REJECTED] = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk rejected the userid: the directory changed under us, retry the login"},
	[BUSY]            = {DT_ERR_UNAVAIL,  DT_API_RETRY,
		"DingTalk is busy (系统繁忙): retry later"},
	[STALE_TIMESTAMP] = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk refused the request's timestamp as stale: "
		"keep this host's clock in sync (NTP)"},
	[BAD_SIGNATURE]   = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk refused the signature: "
		"check client_secret for pasted spaces or a wrong app"},
	[UNLISTED]        = {DT_ERR_UNAVAIL,  DT_API_REFUSED, NULL},
};

static const struct {
	const char *code; /* v1 code text, or an oapi errcode in decimal */
	enum cause cause;
} codes[] = {
	/* api.dingtalk.com v1.0 */
	{"invalidParameter.authCode.notFound",                 CODE_USED},
	{"invalidCode",                                        CODE_USED},
	{"invalidClientIdOrSecret",                            BAD_APP},
	{"Forbidden.AccessDenied.IpNotInWhiteList",            WHITELIST},
	{"Forbidden.AccessDenied.AccessTokenPermissionDenied", PERMISSION},
	{"InvalidAuthentication",                              TOKEN},
	{"accesstoken.expired",                                TOKEN},
	{"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",     THROTTLED},
	{"Forbidden.AccessDenied.QpsLimitForApi",              THROTTLED},
	{"Forbidden.AccessDenied.ApiCountLimitForOrg",         QUOTA},
	{"ApiCountLimitForOrg",                                QUOTA},
	{"AuthenticationFailed.MissingParameter",              BAD_PARAM},
	{"MissingParameter",                                   BAD_PARAM},
	{"InvalidParameter",                                   BAD_PARAM},
	/* oapi.dingtalk.com errcode */
	{"60020",  WHITELIST},
	{"40014",  TOKEN},
	{"42001",  TOKEN},
	{"40096",  BAD_APP},
	{"40089",  BAD_APP},
	{"40078",  CODE_USED},
	{"40102",  CODE_USED},
	{"42008",  CODE_USED},
	{"60121",  NOT_MEMBER},
	{"60011",  PERMISSION},
	{"90018",  THROTTLED},
	{"90002",  THROTTLED},
	{"90020",  QUOTA},
	{"33012",  USERID_REJECTED},
	{"400002", BAD_PARAM},
	{"-1",     BUSY},
	/* Legacy snsapi_login signature errors (UNCONFIRMED codes; the mock
	 * uses these and the messages below are matched as well). */
	{"853001", STALE_TIMESTAMP},
	{"853002", BAD_SIGNATURE},
	{"853003", BAD_APP},
	{NULL,     UNLISTED},
};

/* The sns endpoint's documented failures come as messages. */
static const struct {
	const char *text;
	const char *code;
} by_message[] = {
	{"request expired",   "853001"},
	{"invalid signature", "853002"},
	{"invalid appid",     "853003"},
	{NULL,                NULL},
};
// clang-format on

static const struct error_advice *find_advice(const char *code, const char *message)
{
	int i;

	for (i = 0; codes[i].code != NULL; i++)
		if (strcmp(codes[i].code, code) == 0)
			return &causes[codes[i].cause];
	for (i = 0; by_message[i].text != NULL; i++)
		if (message != NULL && strstr(message, by_message[i].text) != NULL)
			return find_advice(by_message[i].code, NULL);
	return &causes[UNLISTED];
}

/* Copies server text for a log line: bounded and without control characters. */
static void copy_shown(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text != NULL ? text : "");
	dt_sanitize_text(out);
}

/* `answer` (may be NULL) lets a permission refusal name what DingTalk
 * asked for. */
static enum dt_api_class report(const char *api, const char *what, const char *code,
				const char *message, json_object *answer, struct dt_err *err)
{
	const struct error_advice *e = find_advice(code, message);
	char shown_code[96], shown_msg[200], advice[400];

	copy_shown(shown_code, sizeof(shown_code), code);
	copy_shown(shown_msg, sizeof(shown_msg), message);
	if (e == &causes[PERMISSION])
		dt_permission_advice(api, answer, advice, sizeof(advice));
	else
		snprintf(advice, sizeof(advice), "%s",
			 e->advice != NULL ? e->advice : "see DingTalk's error code list");
	dt_err_set(err, e->kind, "DingTalk %s: %s%s (\"%s\"): %s", api, what, shown_code, shown_msg,
		   advice);
	return e->cls;
}

/* A v1 error's text field: DingTalk's gateway spells some answers with
 * capitals ("Code", "Message": the permission refusal on the page
 * "添加接口调用权限"), and its SDKs accept both. */
static const char *v1_text(json_object *obj, const char *lower, const char *upper)
{
	const char *v = dt_json_string(obj, lower);

	return v != NULL ? v : dt_json_string(obj, upper);
}

int dt_api_ip_ban(const char *api, json_object *obj, int64_t *wait_ms, struct dt_err *err)
{
	unsigned status = 0, wait = 0;

	if (obj == NULL || dt_json_uint(obj, "status", 100000, &status) < 0 || status != 1111)
		return 0;
	if (dt_json_uint(obj, "wait", 3600, &wait) < 0)
		wait = 60;
	*wait_ms = (int64_t)wait * 1000;
	dt_err_set(err, DT_ERR_UNAVAIL,
		   "DingTalk %s: status 1111, this host's IP is banned for %u s (over 10,000 calls "
		   "in 20 s from one IP): find what calls DingTalk so often; logins resume after "
		   "the ban",
		   api, wait);
	return 1;
}

/* The first non-blank byte of an HTML document or fragment. */
static int html_page(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	return i < len && body[i] == '<';
}

enum dt_api_class dt_api_not_json(const char *api, long status, const char *body, size_t len,
				  struct dt_err *err)
{
	if (html_page(body, len))
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk %s: HTTP %ld with an HTML page instead of JSON: DingTalk "
			   "answers so when this host's IP is banned (over 10,000 calls in 20 s "
			   "from one IP: find what calls DingTalk so often and wait some minutes); "
			   "a proxy in between or a DingTalk outage can too",
			   api, status);
	else
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk %s: HTTP %ld with a body that is not a JSON object (a proxy's "
			   "page or a DingTalk outage?)",
			   api, status);
	return DT_API_FAIL;
}

enum dt_api_class dt_api_http_error(const char *api, long status, const char *body, size_t len,
				    int64_t *wait_ms, struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(body, len);
	int banned = dt_api_ip_ban(api, obj, wait_ms, err);

	json_object_put(obj);
	if (banned)
		return DT_API_THROTTLED;
	if (status == 429 || status == 403) {
		dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: HTTP %ld: %s", api, status,
			   causes[THROTTLED].advice);
		return DT_API_THROTTLED;
	}
	dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: HTTP %ld without a DingTalk error body%s",
		   api, status,
		   status >= 500 ? ": DingTalk is failing, retry later"
				 : ": check api_base/oapi_base and any proxy in between");
	return status >= 500 ? DT_API_RETRY : DT_API_FAIL;
}

enum dt_api_class dt_api_v1_error(const char *api, long status, const char *body, size_t len,
				  int64_t *wait_ms, struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(body, len);
	enum dt_api_class cls;
	char what[32];

	if (obj == NULL || v1_text(obj, "code", "Code") == NULL) {
		json_object_put(obj);
		return dt_api_http_error(api, status, body, len, wait_ms, err);
	}
	snprintf(what, sizeof(what), "HTTP %ld ", status);
	cls = report(api, what, v1_text(obj, "code", "Code"), v1_text(obj, "message", "Message"),
		     obj, err);
	json_object_put(obj);
	/* Whatever the code says, a 5xx is DingTalk failing. */
	if ((cls == DT_API_FAIL || cls == DT_API_REFUSED) && status >= 500)
		cls = DT_API_RETRY;
	return cls;
}

enum dt_api_class dt_api_oapi_error(const char *api, json_object *obj, struct dt_err *err)
{
	json_object *v;
	const char *sub = dt_json_string(obj, "sub_code");
	char code[24];

	/* topapi wraps some failures as errcode 88 with the real code in
	 * sub_code (a string). */
	if (sub != NULL && sub[0] != '\0' && json_object_object_get_ex(obj, "errcode", &v) &&
	    json_object_get_int64(v) == 88)
		return report(api, "errcode 88 sub_code ", sub, dt_json_string(obj, "sub_msg"), obj,
			      err);
	if (!json_object_object_get_ex(obj, "errcode", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk %s: an answer without a numeric errcode: check oapi_base",
			   api);
		return DT_API_FAIL;
	}
	snprintf(code, sizeof(code), "%lld", (long long)json_object_get_int64(v));
	return report(api, "errcode ", code, dt_json_string(obj, "errmsg"), obj, err);
}
