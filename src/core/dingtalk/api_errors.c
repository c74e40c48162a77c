#include "config.h"

/* What each DingTalk error means for the administrator: one line that
 * names the code, DingTalk's message and what to do (docs/dingtalk-api.md,
 * "Error codes"). */
#include <stdio.h>
#include <string.h>

#include "dingtalk/api.h"
#include "dingtalk/exchange.h"
#include "dingtalk/ipban.h"
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
	TOKEN_BLANK,
	THROTTLED,
	THROTTLED_MINUTE,
	QUOTA,
	NOT_MEMBER,
	BAD_PARAM,
	MISSING_PARAM,
	USERID_REJECTED,
	BUSY,
	TIMESTAMP_FORMAT,
	CLOCK_SKEW,
	BAD_ACCESS_KEY,
	BAD_SIGNATURE,
	WRONG_PATH,
	WRONG_API_NAME,
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
	[PERMISSION]      = {DT_ERR_UNAVAIL,  DT_API_PERMISSION, NULL},
	[TOKEN]           = {DT_ERR_UNAVAIL,  DT_API_TOKEN,
		"the access token was refused or has expired: "
		"it is refreshed and the call tried once more"},
	[TOKEN_BLANK]     = {DT_ERR_UNAVAIL,  DT_API_TOKEN,
		"DingTalk received no access token: a new one is fetched and the call tried "
		"once more; if this persists, something between this host and oapi_base "
		"(a proxy) drops the URL's query"},
	[THROTTLED]       = {DT_ERR_UNAVAIL,  DT_API_THROTTLED,
		"DingTalk is throttling this app (about 20 calls per second per API): "
		"backing off; if it persists, spread logins out"},
	[THROTTLED_MINUTE] = {DT_ERR_UNAVAIL, DT_API_THROTTLED,
		"DingTalk is throttling this app per minute on this API: backing off within "
		"the login's time; if it persists, fewer calls per minute (other programs "
		"using the same AppKey count too)"},
	[QUOTA]           = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"the organisation's monthly API quota is exhausted: raise the quota in the "
		"developer console (login and contact APIs are exempt)"},
	/* DingTalk forgets a person who leaves: 60121 is also "has left". */
	[NOT_MEMBER]      = {DT_ERR_DENIED,   DT_API_FAIL,
		"not found in the organisation (never a member, or has left it): refused"},
	[BAD_PARAM]       = {DT_ERR_INTERNAL, DT_API_REFUSED,
		"DingTalk refused a parameter: this is a bug in pam_dingtalk, please report it"},
	/* REFUSED: in the exchange, the code the person sent may be what
	 * is missing (api.h). */
	[MISSING_PARAM]   = {DT_ERR_UNAVAIL,  DT_API_REFUSED,
		"DingTalk received the request without a parameter it needs (for gettoken: "
		"the appkey): check that client_id and client_secret are set and that no "
		"proxy rewrites the request"},
	/* REFUSED: the userid is the person's (api.h, names_person). */
	[USERID_REJECTED] = {DT_ERR_UNAVAIL,  DT_API_REFUSED,
		"DingTalk rejected the userid: the directory changed under us, retry the login"},
	[BUSY]            = {DT_ERR_UNAVAIL,  DT_API_RETRY,
		"DingTalk is busy (系统繁忙): retry later"},
	/* The flow B signature's four failures, as DingTalk's global error
	 * code list names them (docs/dingtalk-api.md, [errors]). */
	[TIMESTAMP_FORMAT] = {DT_ERR_UNAVAIL, DT_API_FAIL,
		"DingTalk could not read the request's timestamp as milliseconds since the "
		"epoch: check this host's clock (date -u); if it is right, report a bug"},
	[CLOCK_SKEW]      = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"the request's timestamp is more than a minute off DingTalk's clock: "
		"keep this host's clock in sync (NTP)"},
	[BAD_ACCESS_KEY]  = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk knows no app with this accessKey: check client_id (the app's AppKey)"},
	[BAD_SIGNATURE]   = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"the signature does not match the one DingTalk computes with the app's secret: "
		"check client_secret for pasted spaces or a wrong app"},
	/* A wrong path answers HTTP 200 in the errcode envelope, even on
	 * api.dingtalk.com. */
	[WRONG_PATH]      = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk does not know this URL (请求的URI地址不存在): check api_base and "
		"oapi_base: each is only an origin such as https://api.dingtalk.com, "
		"without a path"},
	[WRONG_API_NAME]  = {DT_ERR_UNAVAIL,  DT_API_FAIL,
		"DingTalk does not know this API (不合法ApiName): check oapi_base: only the "
		"origin https://oapi.dingtalk.com, without a path"},
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
	{"Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi", THROTTLED},
	{"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",     THROTTLED_MINUTE},
	{"Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi", THROTTLED_MINUTE},
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
	/* 90001-90014 and 90017: "temporarily disabled" for calling too
	 * often, per server, organisation, app or API ([errors]). */
	{"90001",  THROTTLED},
	{"90003",  THROTTLED},
	{"90004",  THROTTLED},
	{"90005",  THROTTLED},
	{"90006",  THROTTLED},
	{"90007",  THROTTLED},
	{"90008",  THROTTLED},
	{"90009",  THROTTLED},
	{"90010",  THROTTLED},
	{"90011",  THROTTLED},
	{"90012",  THROTTLED},
	{"90013",  THROTTLED},
	{"90014",  THROTTLED},
	{"90017",  THROTTLED},
	{"90020",  QUOTA},
	{"33012",  USERID_REJECTED},
	{"400002", BAD_PARAM},
	{"40035",  MISSING_PARAM},
	{"41001",  TOKEN_BLANK},
	{"-1",     BUSY},
	{"404",    WRONG_PATH},
	{"22",     WRONG_API_NAME},
	{"853001", TIMESTAMP_FORMAT},
	{"853002", CLOCK_SKEW},
	{"853003", BAD_ACCESS_KEY},
	{"853004", BAD_SIGNATURE},
	{NULL,     UNLISTED},
};

/* errcode 88 (鉴权异常) names its cause in sub_code; these sub-codes
 * mean something else there than as errcodes of their own. */
static const struct {
	const char *code;
	enum cause cause;
} sub_codes[] = {
	{"40000", TOKEN_BLANK}, /* "access_token is blank" */
	{NULL,    UNLISTED},
};
// clang-format on

static enum cause find_cause(const char *code, int sub_code)
{
	int i;

	for (i = 0; sub_code && sub_codes[i].code != NULL; i++)
		if (strcmp(sub_codes[i].code, code) == 0)
			return sub_codes[i].cause;
	for (i = 0; codes[i].code != NULL; i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].cause;
	return UNLISTED;
}

/* Copies server text for a log line: bounded and without control characters. */
static void copy_shown(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text != NULL ? text : "");
	dt_sanitize_text(out);
}

/* How far this host's clock was from DingTalk's when it sent a signed
 * request, as far as the answer's Date header tells (1 s resolution). */
static void describe_skew(const struct dt_api_clock *clock, char *out, size_t size)
{
	int64_t skew;

	if (clock == NULL || clock->sent_ms <= 0) {
		out[0] = '\0';
		return;
	}
	if (clock->server_s <= 0) {
		snprintf(out, size,
			 " (DingTalk's answer had no Date header to measure the skew "
			 "against: compare date -u with an NTP server)");
		return;
	}
	skew = clock->sent_ms / 1000 - clock->server_s;
	if (skew > 1 || skew < -1)
		snprintf(out, size,
			 " (this host's clock is %lld s %s DingTalk's, by the Date "
			 "header of its answer)",
			 (long long)(skew < 0 ? -skew : skew), skew < 0 ? "behind" : "ahead of");
	else
		snprintf(out, size,
			 " (by the Date header of DingTalk's answer the clocks now "
			 "agree within a second: the request took long on the way, or "
			 "the clock was just corrected)");
}

/* `answer` (may be NULL) lets a permission refusal name what DingTalk
 * asked for. */
static enum dt_api_class report(const char *api, const char *what, const char *code,
				const char *message, int sub_code, const struct dt_api_clock *clock,
				json_object *answer, struct dt_err *err)
{
	enum cause cause = find_cause(code, sub_code);
	const struct error_advice *e = &causes[cause];
	char shown_code[96], shown_msg[200], skew[200], advice[400];

	copy_shown(shown_code, sizeof(shown_code), code);
	copy_shown(shown_msg, sizeof(shown_msg), message);
	if (cause == CLOCK_SKEW)
		describe_skew(clock, skew, sizeof(skew));
	else
		skew[0] = '\0';
	if (cause == PERMISSION)
		dt_permission_advice(api, answer, advice, sizeof(advice));
	else
		snprintf(advice, sizeof(advice), "%s",
			 e->advice != NULL ? e->advice : "see DingTalk's error code list");
	dt_err_set(err, e->kind, "DingTalk %s: %s%s (\"%s\"): %s%s", api, what, shown_code,
		   shown_msg, advice, skew);
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

/* The ban's length: `wait` minutes ([rate-limit]), a number; absent or
 * unreadable, the documented five minutes; bounded by DT_IPBAN_MAX_MS. */
static int64_t ban_length_ms(json_object *obj)
{
	json_object *v;
	double minutes;

	if (!json_object_object_get_ex(obj, "wait", &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return DT_IPBAN_DEFAULT_MS;
	minutes = json_object_get_double(v);
	if (!(minutes >= 0)) /* NaN too */
		return DT_IPBAN_DEFAULT_MS;
	if (minutes * 60000.0 >= (double)DT_IPBAN_MAX_MS)
		return DT_IPBAN_MAX_MS;
	return (int64_t)(minutes * 60000.0 + 0.5);
}

int dt_api_ip_ban(const char *api, json_object *obj, int64_t *ban_ms, struct dt_err *err)
{
	unsigned status = 0;
	char length[32];

	if (obj == NULL || dt_json_uint(obj, "status", 100000, &status) < 0 || status != 1111)
		return 0;
	*ban_ms = ban_length_ms(obj);
	dt_ipban_duration(*ban_ms, length, sizeof(length));
	dt_err_set(err, DT_ERR_UNAVAIL,
		   "DingTalk %s: status 1111: DingTalk has banned this host's IP from every API "
		   "for %s (over 10,000 calls in 20 s from one IP): logins through DingTalk fail "
		   "until then, without calling it again; find what calls DingTalk so often from "
		   "this IP (other programs behind the same NAT count too)",
		   api, length);
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
		return DT_API_BANNED;
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
	cls = report(api, what, v1_text(obj, "code", "Code"), v1_text(obj, "message", "Message"), 0,
		     NULL, obj, err);
	json_object_put(obj);
	/* Whatever the code says, a 5xx is DingTalk failing. */
	if ((cls == DT_API_FAIL || cls == DT_API_REFUSED) && status >= 500)
		cls = DT_API_RETRY;
	return cls;
}

enum dt_api_class dt_api_oapi_error(const char *api, json_object *obj, struct dt_err *err)
{
	return dt_api_oapi_error_at(api, obj, NULL, err);
}

enum dt_api_class dt_api_oapi_error_at(const char *api, json_object *obj,
				       const struct dt_api_clock *clock, struct dt_err *err)
{
	json_object *v;
	const char *sub = dt_json_string(obj, "sub_code");
	char code[24];

	/* topapi wraps some failures as errcode 88 with the real code in
	 * sub_code (a string). */
	if (sub != NULL && sub[0] != '\0' && json_object_object_get_ex(obj, "errcode", &v) &&
	    json_object_get_int64(v) == 88)
		return report(api, "errcode 88 sub_code ", sub, dt_json_string(obj, "sub_msg"), 1,
			      clock, obj, err);
	if (!json_object_object_get_ex(obj, "errcode", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk %s: an answer without a numeric errcode: check oapi_base",
			   api);
		return DT_API_FAIL;
	}
	snprintf(code, sizeof(code), "%lld", (long long)json_object_get_int64(v));
	return report(api, "errcode ", code, dt_json_string(obj, "errmsg"), 0, clock, obj, err);
}
