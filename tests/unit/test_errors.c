/* The DingTalk client's pure parts: the flow B signature (the documented
 * test vector), backoff bounds, and one test per row of the error table in
 * docs/dingtalk-api.md: the line names the code, DingTalk's message and
 * what to do, and the kind decides the PAM code (pam_code_for:
 * DT_ERR_DENIED -> PAM_AUTH_ERR, DT_ERR_UNAVAIL -> PAM_AUTHINFO_UNAVAIL). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "dingtalk/api.h"
#include "dingtalk/directory.h"
#include "dingtalk/ipban.h"
#include "base/json.h"
#include "dingtalk/retry.h"
#include "dingtalk/sign.h"
#include "base/util.h"

static void test_sns_signature_vector(void **state)
{
	char b64[DT_SIGN_B64_SIZE];
	char *param;

	(void)state;
	assert_int_equal(dt_sns_sign("testappSecret", 1546084445901LL, b64, sizeof(b64)), 0);
	assert_string_equal(b64, "HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE=");
	param = dt_sns_signature_param("testappSecret", 1546084445901LL);
	/* Encoded exactly once. */
	assert_string_equal(param, "HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D");
	free(param);
	assert_int_equal(dt_sns_sign("testappSecret", 1546084445901LL, b64, 44), -1);
	assert_int_equal(dt_sns_sign("testappSecret", -1, b64, sizeof(b64)), -1);
}

static void test_retry_delay_grows_with_jitter_and_cap(void **state)
{
	unsigned attempt, i;

	(void)state;
	for (attempt = 1; attempt <= 8; attempt++) {
		int64_t ceiling = DT_RETRY_BASE_MS << (attempt - 1);
		if (ceiling > DT_RETRY_CAP_MS)
			ceiling = DT_RETRY_CAP_MS;
		for (i = 0; i < 50; i++) {
			int64_t d = dt_retry_delay_ms(attempt, 0);
			assert_true(d >= ceiling / 2 && d <= ceiling);
		}
	}
	/* A server's own hint wins when it is longer. */
	assert_true(dt_retry_delay_ms(1, 5000) == 5000);
}

static void test_retry_never_sleeps_past_the_deadline(void **state)
{
	int64_t t0 = dt_now_ms();

	(void)state;
	assert_int_equal(dt_retry_sleep(2000, t0 + 1000, 0), -1);
	assert_true(dt_now_ms() - t0 < 100);
	assert_int_equal(dt_retry_sleep(50, t0 + 1000, 500), 0);
	assert_true(dt_now_ms() - t0 >= 50);
}

struct row {
	const char *body;	/* the answer */
	long status;		/* HTTP status (v1) or 0 for an oapi errcode answer */
	enum dt_err_kind kind;	/* -> PAM code */
	enum dt_api_class cls;	/* retried? refreshed? */
	const char *names;	/* the code as the line names it */
	const char *advice;	/* what the administrator reads */
	const char *dt_message; /* DingTalk's message, quoted */
};

static const struct row rows[] = {
    /* IP whitelist */
    {"{\"code\":\"Forbidden.AccessDenied.IpNotInWhiteList\",\"message\":\"ip not in "
     "whitelist\",\"requestid\":\"R\"}",
     403, DT_ERR_UNAVAIL, DT_API_FAIL, "HTTP 403 Forbidden.AccessDenied.IpNotInWhiteList",
     "add it in the developer console", "ip not in whitelist"},
    {"{\"errcode\":60020,\"errmsg\":\"访问ip不在白名单之中\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 60020", "egress IP", "访问ip不在白名单之中"},
    /* bad or expired token */
    {"{\"errcode\":40014,\"errmsg\":\"不合法的access_token\"}", 0, DT_ERR_UNAVAIL, DT_API_TOKEN,
     "errcode 40014", "refreshed and the call tried once more", "不合法的access_token"},
    {"{\"errcode\":42001,\"errmsg\":\"access_token超时\"}", 0, DT_ERR_UNAVAIL, DT_API_TOKEN,
     "errcode 42001", "refreshed", "access_token超时"},
    {"{\"errcode\":88,\"sub_code\":\"40014\",\"sub_msg\":\"不合法的access_token\","
     "\"errmsg\":\"ding talk error[subcode=40014]\"}",
     0, DT_ERR_UNAVAIL, DT_API_TOKEN, "errcode 88 sub_code 40014", "refreshed",
     "不合法的access_token"},
    {"{\"code\":\"InvalidAuthentication\",\"message\":\"不合法的access_token\"}", 400,
     DT_ERR_UNAVAIL, DT_API_TOKEN, "HTTP 400 InvalidAuthentication", "refreshed",
     "不合法的access_token"},
    /* no token reached DingTalk: a new one, one more try */
    {"{\"errcode\":88,\"sub_code\":\"40000\",\"sub_msg\":\"access_token is blank\","
     "\"errmsg\":\"ding talk error[subcode=40000,submsg=access_token is blank]\"}",
     0, DT_ERR_UNAVAIL, DT_API_TOKEN, "errcode 88 sub_code 40000", "received no access token",
     "access_token is blank"},
    {"{\"errcode\":41001,\"errmsg\":\"缺少access_token参数\"}", 0, DT_ERR_UNAVAIL, DT_API_TOKEN,
     "errcode 41001", "a new one is fetched", "缺少access_token参数"},
    {"{\"code\":\"accesstoken.expired\",\"message\":\"expired\"}", 400, DT_ERR_UNAVAIL,
     DT_API_TOKEN, "HTTP 400 accesstoken.expired", "refreshed", "expired"},
    /* wrong AppKey / AppSecret */
    {"{\"errcode\":40096,\"errmsg\":\"不合法的appKey或appSecret\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 40096", "pasted spaces", "不合法的appKey或appSecret"},
    {"{\"errcode\":40089,\"errmsg\":\"不合法的corpid或corpsecret\"}", 0, DT_ERR_UNAVAIL,
     DT_API_FAIL, "errcode 40089", "pasted spaces", "不合法的corpid或corpsecret"},
    {"{\"code\":\"invalidClientIdOrSecret\",\"message\":\"无效的clientId或clientSecret\"}", 400,
     DT_ERR_UNAVAIL, DT_API_FAIL, "HTTP 400 invalidClientIdOrSecret", "pasted spaces",
     "无效的clientId或clientSecret"},
    {"{\"errcode\":40035,\"errmsg\":\"缺少参数 corpid or appkey\"}", 0, DT_ERR_UNAVAIL,
     DT_API_REFUSED, "errcode 40035", "check that client_id and client_secret are set",
     "缺少参数 corpid or appkey"},
    /* a path or API name DingTalk does not know: the configured bases */
    {"{\"errcode\":404,\"errmsg\":\"请求的URI地址不存在\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 404", "check api_base", "请求的URI地址不存在"},
    {"{\"errcode\":22,\"sub_msg\":\"不合法ApiName\",\"errmsg\":\"Invalid method\"}", 0,
     DT_ERR_UNAVAIL, DT_API_FAIL, "errcode 22", "check oapi_base", "Invalid method"},
    /* code unknown, used or expired */
    {"{\"errcode\":40078,\"errmsg\":\"不存在的临时授权码\"}", 0, DT_ERR_DENIED, DT_API_REFUSED,
     "errcode 40078", "scan again", "不存在的临时授权码"},
    {"{\"errcode\":40102,\"errmsg\":\"code已过期\"}", 0, DT_ERR_DENIED, DT_API_REFUSED,
     "errcode 40102", "scan again", "code已过期"},
    {"{\"errcode\":42008,\"errmsg\":\"code已使用\"}", 0, DT_ERR_DENIED, DT_API_REFUSED,
     "errcode 42008", "scan again", "code已使用"},
    {"{\"code\":\"invalidParameter.authCode.notFound\",\"message\":\"不合法的临时授权码\"}", 400,
     DT_ERR_DENIED, DT_API_REFUSED, "HTTP 400 invalidParameter.authCode.notFound", "scan again",
     "不合法的临时授权码"},
    {"{\"code\":\"invalidCode\",\"message\":\"code无效\"}", 409, DT_ERR_DENIED, DT_API_REFUSED,
     "HTTP 409 invalidCode", "scan again", "code无效"},
    /* not a member */
    {"{\"errcode\":60121,\"errmsg\":\"找不到该用户\"}", 0, DT_ERR_DENIED, DT_API_FAIL,
     "errcode 60121", "not found in the organisation (never a member, or has left it)",
     "找不到该用户"},
    /* missing API permission */
    {"{\"errcode\":60011,\"errmsg\":\"没有调用该接口的权限\"}", 0, DT_ERR_UNAVAIL,
     DT_API_PERMISSION, "errcode 60011", "grant the one the API's page names under 权限管理",
     "没有调用该接口的权限"},
    {"{\"errcode\":88,\"sub_code\":\"60011\",\"sub_msg\":\"没有调用该接口的权限\","
     "\"errmsg\":\"ding talk error[subcode=60011]\"}",
     0, DT_ERR_UNAVAIL, DT_API_PERMISSION, "errcode 88 sub_code 60011", "under 权限管理",
     "没有调用该接口的权限"},
    {"{\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\",\"message\":\"没有权限"
     "\"}",
     403, DT_ERR_UNAVAIL, DT_API_PERMISSION,
     "HTTP 403 Forbidden.AccessDenied.AccessTokenPermissionDenied", "open-dev.dingtalk.com",
     "没有权限"},
    /* throttled */
    {"{\"errcode\":90018,\"errmsg\":\"当前企业调用该接口超过限制\"}", 0, DT_ERR_UNAVAIL,
     DT_API_THROTTLED, "errcode 90018", "backing off", "当前企业调用该接口超过限制"},
    {"{\"errcode\":90002,\"errmsg\":\"QPS\"}", 0, DT_ERR_UNAVAIL, DT_API_THROTTLED, "errcode 90002",
     "backing off", "QPS"},
    {"{\"code\":\"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi\",\"message\":\"限流\"}", 403,
     DT_ERR_UNAVAIL, DT_API_THROTTLED, "HTTP 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
     "backing off", "限流"},
    {"{\"code\":\"Forbidden.AccessDenied.QpsLimitForApi\",\"message\":\"限流\"}", 403,
     DT_ERR_UNAVAIL, DT_API_THROTTLED, "HTTP 403 Forbidden.AccessDenied.QpsLimitForApi",
     "backing off", "限流"},
    {"{\"code\":\"Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi\",\"message\":\"m\"}", 403,
     DT_ERR_UNAVAIL, DT_API_THROTTLED,
     "HTTP 403 Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi", "backing off", "m"},
    {"{\"code\":\"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi\",\"message\":\"m\"}", 403,
     DT_ERR_UNAVAIL, DT_API_THROTTLED, "HTTP 403 Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",
     "per minute", "m"},
    {"{\"code\":\"Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi\",\"message\":\"m\"}", 403,
     DT_ERR_UNAVAIL, DT_API_THROTTLED,
     "HTTP 403 Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi", "per minute", "m"},
    {"{\"errcode\":90001,\"errmsg\":\"暂时禁用\"}", 0, DT_ERR_UNAVAIL, DT_API_THROTTLED,
     "errcode 90001", "backing off", "暂时禁用"},
    {"{\"errcode\":90010,\"errmsg\":\"暂时禁用\"}", 0, DT_ERR_UNAVAIL, DT_API_THROTTLED,
     "errcode 90010", "backing off", "暂时禁用"},
    {"{\"errcode\":90017,\"errmsg\":\"CorpId个数超过限制\"}", 0, DT_ERR_UNAVAIL, DT_API_THROTTLED,
     "errcode 90017", "backing off", "CorpId个数超过限制"},
    /* monthly quota */
    {"{\"errcode\":90020,\"errmsg\":\"超过月调用量\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 90020", "monthly API quota", "超过月调用量"},
    {"{\"code\":\"Forbidden.AccessDenied.ApiCountLimitForOrg\",\"message\":\"quota\"}", 403,
     DT_ERR_UNAVAIL, DT_API_FAIL, "Forbidden.AccessDenied.ApiCountLimitForOrg", "monthly API quota",
     "quota"},
    {"{\"code\":\"ApiCountLimitForOrg\",\"message\":\"quota\"}", 403, DT_ERR_UNAVAIL, DT_API_FAIL,
     "HTTP 403 ApiCountLimitForOrg", "monthly API quota", "quota"},
    /* directory look-up failures */
    {"{\"errcode\":33012,\"errmsg\":\"无效的userid\"}", 0, DT_ERR_UNAVAIL, DT_API_REFUSED,
     "errcode 33012", "retry the login", "无效的userid"},
    {"{\"errcode\":400002,\"errmsg\":\"无效的参数\"}", 0, DT_ERR_INTERNAL, DT_API_REFUSED,
     "errcode 400002", "please report it", "无效的参数"},
    {"{\"errcode\":-1,\"errmsg\":\"系统繁忙\"}", 0, DT_ERR_UNAVAIL, DT_API_RETRY, "errcode -1",
     "retry later", "系统繁忙"},
    /* flow B signature failures, as DingTalk's error code list names them */
    {"{\"errcode\":853001,\"errmsg\":\"timestamp参数格式不正确\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 853001", "milliseconds since the epoch", "timestamp参数格式不正确"},
    {"{\"errcode\":853002,\"errmsg\":\"相差超过1分钟\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 853002", "more than a minute off DingTalk's clock: keep this host's clock in sync",
     "相差超过1分钟"},
    {"{\"errcode\":853003,\"errmsg\":\"accessKey参数不合法\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 853003", "check client_id", "accessKey参数不合法"},
    {"{\"errcode\":853004,\"errmsg\":\"signature参数不正确\"}", 0, DT_ERR_UNAVAIL, DT_API_FAIL,
     "errcode 853004", "check client_secret", "signature参数不正确"},
    /* the mock's old texts no longer stand for codes */
    {"{\"errcode\":99999,\"errmsg\":\"invalid signature\"}", 0, DT_ERR_UNAVAIL, DT_API_REFUSED,
     "errcode 99999", "see DingTalk's error code list", "invalid signature"},
    /* unknown codes still name themselves; in the exchange of the person's
     * code, DT_API_REFUSED makes them a refusal (test_single_use_refusals) */
    {"{\"errcode\":77777,\"errmsg\":\"新错误\"}", 0, DT_ERR_UNAVAIL, DT_API_REFUSED,
     "errcode 77777", "see DingTalk's error code list", "新错误"},
    {NULL, 0, DT_OK, DT_API_FAIL, NULL, NULL, NULL},
};

static void test_every_row_of_the_error_table(void **state)
{
	const struct row *r;
	char want[256];

	(void)state;
	for (r = rows; r->body != NULL; r++) {
		struct dt_err err;
		enum dt_api_class cls;
		int64_t wait = 0;

		dt_err_clear(&err);
		if (r->status != 0) {
			cls = dt_api_v1_error("someApi", r->status, r->body, strlen(r->body), &wait,
					      &err);
		} else {
			json_object *obj = dt_json_parse_object(r->body, strlen(r->body));
			assert_non_null(obj);
			cls = dt_api_oapi_error("someApi", obj, &err);
			json_object_put(obj);
		}
		snprintf(want, sizeof(want), "(\"%s\")", r->dt_message);
		if (err.kind != r->kind || cls != r->cls || strstr(err.msg, r->names) == NULL ||
		    strstr(err.msg, r->advice) == NULL || strstr(err.msg, want) == NULL ||
		    strncmp(err.msg, "DingTalk someApi: ", 18) != 0)
			fail_msg("row %s: kind %d class %d: %s", r->names, err.kind, cls, err.msg);
	}
}

static void test_http_errors_without_a_dingtalk_body(void **state)
{
	struct dt_err err;
	int64_t wait = 0;
	const char *html = "<html><body>502 Bad Gateway</body></html>";
	const char *ban = "{\"status\":1111,\"wait\":5,\"message\":\"banned\"}";

	(void)state;
	assert_int_equal(dt_api_v1_error("x", 502, html, strlen(html), &wait, &err), DT_API_RETRY);
	assert_non_null(strstr(err.msg, "HTTP 502 without a DingTalk error body: DingTalk is "
					"failing, retry later"));
	assert_int_equal(dt_api_http_error("x", 429, "", 0, &wait, &err), DT_API_THROTTLED);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_int_equal(dt_api_http_error("x", 404, "", 0, &wait, &err), DT_API_FAIL);
	assert_non_null(strstr(err.msg, "check api_base/oapi_base"));
	/* A 5xx is DingTalk failing whatever code it names. */
	assert_int_equal(dt_api_v1_error("x", 503,
					 "{\"code\":\"ServiceUnavailable\",\"message\":\"m\"}", 47,
					 &wait, &err),
			 DT_API_RETRY);
	/* The IP ban: "wait" counts minutes; nothing retries it. */
	assert_int_equal(dt_api_http_error("x", 403, ban, strlen(ban), &wait, &err), DT_API_BANNED);
	assert_int_equal(wait, 5 * 60 * 1000);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_non_null(strstr(err.msg, "status 1111"));
	assert_non_null(strstr(err.msg, "banned this host's IP from every API for 5 minutes"));
}

/* {"status":1111,"wait":N}: N minutes, five when absent or unreadable,
 * at most an hour. */
static void test_ip_ban_lengths(void **state)
{
	static const struct {
		const char *body;
		int64_t ms;
		const char *said;
	} cases[] = {
	    {"{\"status\":1111,\"wait\":5,\"source\":\"x5\",\"punish\":\"deny\"}", 300000,
	     "for 5 minutes"},
	    {"{\"status\":1111,\"wait\":1}", 60000, "for 1 minute "},
	    {"{\"status\":1111}", 300000, "for 5 minutes"},
	    {"{\"status\":1111,\"wait\":\"5\"}", 300000, "for 5 minutes"},
	    {"{\"status\":1111,\"wait\":-3}", 300000, "for 5 minutes"},
	    {"{\"status\":1111,\"wait\":100000}", 3600000, "for 60 minutes"},
	    {"{\"status\":1111,\"wait\":0.5}", 30000, "for 30 s"},
	    {NULL, 0, NULL},
	};
	struct dt_err err;
	int i;

	(void)state;
	for (i = 0; cases[i].body != NULL; i++) {
		json_object *obj = dt_json_parse_object(cases[i].body, strlen(cases[i].body));
		int64_t ms = 0;

		assert_int_equal(dt_api_ip_ban("x", obj, &ms, &err), 1);
		if (ms != cases[i].ms || strstr(err.msg, cases[i].said) == NULL ||
		    err.kind != DT_ERR_UNAVAIL)
			fail_msg("%s: %lld ms: %s", cases[i].body, (long long)ms, err.msg);
		json_object_put(obj);
	}
}

/* A remembered ban stops calls to its origin only, and only until it ends. */
static void test_ip_ban_is_remembered_per_origin(void **state)
{
	struct dt_err err;

	(void)state;
	dt_ipban_forget();
	assert_int_equal(dt_ipban_check("a", "https://oapi.example.invalid/gettoken?x=1", &err), 0);
	dt_ipban_note("https://oapi.example.invalid/topapi/v2/user/get?access_token=s", 300000);
	assert_int_equal(dt_ipban_check("gettoken", "https://oapi.example.invalid/gettoken", &err),
			 1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_non_null(strstr(err.msg,
			       "DingTalk gettoken: not called: DingTalk banned this "
			       "host's IP (status 1111) and the ban lasts 5 minutes more"));
	/* The query (a token) is not part of what is remembered or said. */
	assert_null(strstr(err.msg, "access_token"));
	assert_int_equal(dt_ipban_check("a", "https://api.example.invalid/v1.0/x", &err), 0);
	assert_int_equal(dt_ipban_check("a", "https://oapi.example.invalid:8443/x", &err), 0);
	/* Wide bounds: valgrind may be slow between the two calls. */
	dt_ipban_note("http://127.0.0.1:1/x", 2000);
	assert_int_equal(dt_ipban_check("a", "http://127.0.0.1:1/y", &err), 1);
	dt_retry_sleep(2100, dt_now_ms() + 10000, 0);
	assert_int_equal(dt_ipban_check("a", "http://127.0.0.1:1/y", &err), 0);
	dt_ipban_forget();
	assert_int_equal(dt_ipban_check("a", "https://oapi.example.invalid/gettoken", &err), 0);
}

/* 853002 says how far off this host's clock is, by DingTalk's Date header. */
static void test_clock_skew_is_measured(void **state)
{
	const char *body = "{\"errcode\":853002,\"errmsg\":\"相差超过1分钟\"}";
	json_object *obj = dt_json_parse_object(body, strlen(body));
	struct dt_api_clock behind = {.sent_ms = 1700000000123LL, .server_s = 1700000120};
	struct dt_api_clock ahead = {.sent_ms = 1700000300999LL, .server_s = 1700000000};
	struct dt_api_clock no_date = {.sent_ms = 1700000000000LL, .server_s = 0};
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_api_oapi_error_at("sns", obj, &behind, &err), DT_API_FAIL);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_non_null(strstr(err.msg, "keep this host's clock in sync (NTP) (this host's clock "
					"is 120 s behind DingTalk's, by the Date header"));
	dt_api_oapi_error_at("sns", obj, &ahead, &err);
	assert_non_null(strstr(err.msg, "is 300 s ahead of DingTalk's"));
	dt_api_oapi_error_at("sns", obj, &no_date, &err);
	assert_non_null(strstr(err.msg, "no Date header"));
	/* Not a signed request: no measure. */
	dt_api_oapi_error("sns", obj, &err);
	assert_null(strstr(err.msg, "Date header"));
	json_object_put(obj);
}

static void test_oapi_answers_of_the_wrong_shape(void **state)
{
	const char *bodies[] = {"{\"errcode\":\"0\",\"errmsg\":\"ok\"}", "{\"errmsg\":\"ok\"}",
				"{\"errcode\":1.5}", NULL};
	struct dt_err err;
	int i;

	(void)state;
	for (i = 0; bodies[i] != NULL; i++) {
		json_object *obj = dt_json_parse_object(bodies[i], strlen(bodies[i]));
		assert_int_equal(dt_api_oapi_error("x", obj, &err), DT_API_FAIL);
		assert_non_null(strstr(err.msg, "without a numeric errcode"));
		json_object_put(obj);
	}
}

static void test_server_text_is_sanitized(void **state)
{
	const char *body = "{\"errcode\":60020,\"errmsg\":\"evil\\u001b[31m\\nline\"}";
	json_object *obj = dt_json_parse_object(body, strlen(body));
	struct dt_err err;

	(void)state;
	dt_api_oapi_error("x", obj, &err);
	json_object_put(obj);
	assert_null(strchr(err.msg, '\033'));
	assert_null(strchr(err.msg, '\n'));
}

/* An answer about another userid, or one without the unionid the login
 * named, describes somebody else, or nobody the login can vouch for: a
 * refusal, and id keeps the userid it asked about. */
static void read_user_names_the_person_asked_about(void)
{
	static const char other_user[] = "{\"userid\":\"u2\",\"unionid\":\"U1\"}";
	static const char no_union[] = "{\"userid\":\"u1\",\"email\":\"a@x\"}";
	static const char same[] = "{\"userid\":\"u1\",\"unionid\":\"U1\"}";
	struct dt_identity id;
	struct dt_err err;
	json_object *obj;

	memset(&id, 0, sizeof(id));
	id.user_id = strdup("u1");
	id.union_id = strdup("U1");
	obj = dt_json_parse_object(other_user, strlen(other_user));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), -1);
	json_object_put(obj);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "asked about userid u1, answered about u2"));
	free(id.user_id);
	id.user_id = strdup("u1");
	obj = dt_json_parse_object(no_union, strlen(no_union));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), -1);
	json_object_put(obj);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "belongs to unionId (none given), not U1"));
	assert_null(id.email);
	obj = dt_json_parse_object(same, strlen(same));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), 0);
	json_object_put(obj);
	assert_string_equal(id.user_id, "u1");
	dt_identity_free(&id);
}

static void test_directory_user_types_are_checked(void **state)
{
	const char *good = "{\"userid\":\"u1\",\"unionid\":\"U\",\"name\":\"N\",\"email\":\"e@x\","
			   "\"job_number\":\"7\",\"active\":true,\"dept_id_list\":[1,100]}";
	const char *bad[] = {
	    "{\"userid\":1}",
	    "{\"userid\":\"u1\",\"active\":\"true\"}",
	    "{\"userid\":\"u1\",\"dept_id_list\":[\"1\"]}",
	    "{\"userid\":\"u1\",\"dept_id_list\":1}",
	    "{\"userid\":\"u1\",\"email\":[]}",
	    "{\"name\":\"no userid\"}",
	    NULL,
	};
	struct dt_identity id;
	struct dt_err err;
	json_object *obj;
	int i;

	(void)state;
	memset(&id, 0, sizeof(id));
	obj = dt_json_parse_object(good, strlen(good));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), 0);
	json_object_put(obj);
	assert_string_equal(id.user_id, "u1");
	assert_string_equal(id.email, "e@x");
	assert_string_equal(id.job_number, "7");
	assert_int_equal(id.active, 1);
	assert_int_equal(id.n_dept_ids, 2);
	assert_true(id.dept_ids[1] == 100);
	dt_identity_free(&id);
	for (i = 0; bad[i] != NULL; i++) {
		memset(&id, 0, sizeof(id));
		obj = dt_json_parse_object(bad[i], strlen(bad[i]));
		if (dt_directory_read_user(obj, &id, &err) != -1 || err.kind != DT_ERR_UNAVAIL)
			fail_msg("accepted %s", bad[i]);
		json_object_put(obj);
		dt_identity_free(&id);
	}
	/* The directory must name the person the login named. */
	memset(&id, 0, sizeof(id));
	id.union_id = strdup("OTHER");
	obj = dt_json_parse_object(good, strlen(good));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	json_object_put(obj);
	dt_identity_free(&id);
	read_user_names_the_person_asked_about();
}

/* A refusal for lack of a permission names the one to grant: the API's
 * own (permission.c), or the ones DingTalk lists itself. The 403 answer's
 * shape is the one the page "添加接口调用权限" shows, capitals included. */
static void test_permission_refusals_name_the_permission(void **state)
{
	static const char oapi[] = "{\"errcode\":60011,\"errmsg\":\"没有调用该接口的权限\"}";
	static const char v1[] =
	    "{\"AccessDeniedDetail\":{\"requiredScopes\":[\"Contact.User.Read\"]},"
	    "\"Code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\","
	    "\"HostId\":\"dingtalk-inner.aliyuncs.com\",\"Message\":\"没有调用该接口的权限\","
	    "\"RequestId\":\"R1\"}";
	static const char other[] =
	    "{\"code\":\"Forbidden.AccessDenied.AccessTokenPermissionDenied\","
	    "\"message\":\"没有调用该接口的权限\",\"requestid\":\"R2\","
	    "\"accessdenieddetail\":{\"requiredScopes\":[\"Contact.Org.Read\",\"x\\u001b[31m\"]}}";
	json_object *obj = dt_json_parse_object(oapi, strlen(oapi));
	struct dt_err err;
	int64_t wait = 0;

	(void)state;
	assert_int_equal(dt_api_oapi_error("topapi/v2/user/get", obj, &err), DT_API_PERMISSION);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_non_null(strstr(err.msg, "the app lacks the permission 成员信息读权限 "
					"(qyapi_get_member: read member information)"));
	assert_int_equal(dt_api_oapi_error("topapi/extcontact/get", obj, &err), DT_API_PERMISSION);
	assert_non_null(strstr(err.msg, "企业外部联系人读权限 (qyapi_ext_read"));
	assert_int_equal(dt_api_oapi_error("topapi/v2/user/getuserinfo", obj, &err),
			 DT_API_PERMISSION);
	assert_non_null(strstr(err.msg, "(qyapi_base: the basic permission"));
	json_object_put(obj);
	/* Not throttling (a 403 without a lower-case code was): no back-off,
	 * and the permission DingTalk named. */
	assert_int_equal(dt_api_v1_error("contact/users/me", 403, v1, strlen(v1), &wait, &err),
			 DT_API_PERMISSION);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_non_null(strstr(err.msg,
			       "HTTP 403 Forbidden.AccessDenied.AccessTokenPermissionDenied "
			       "(\"没有调用该接口的权限\")"));
	assert_non_null(strstr(err.msg, "通讯录个人信息读权限 (Contact.User.Read: read a person's "
					"own contact details)"));
	assert_non_null(strstr(err.msg, "权限管理"));
	/* Scopes this client does not know are named as DingTalk gave them,
	 * sanitized. */
	assert_int_equal(
	    dt_api_v1_error("contact/users/me", 403, other, strlen(other), &wait, &err),
	    DT_API_PERMISSION);
	assert_non_null(strstr(err.msg, "lacks the permission Contact.Org.Read, x"));
	assert_null(strchr(err.msg, '\x1b'));
}

/* DingTalk leaves out what is empty or not permitted; "" is absent too.
 * An external contact's record (topapi/extcontact/get) has no unionid,
 * must name the userid asked about, and its email is not taken. */
static void test_directory_absent_fields_and_external_records(void **state)
{
	static const char empties[] = "{\"userid\":\"u1\",\"name\":\"N\",\"email\":\"\","
				      "\"org_email\":\"\",\"title\":\"\",\"job_number\":\"\"}";
	static const char ext[] =
	    "{\"userid\":\"x9\",\"name\":\"王经理\",\"company_name\":\"钉钉\","
	    "\"email\":\"w@partner.example\",\"title\":\"CFO\","
	    "\"follower_user_id\":\"m1\",\"label_ids\":[1]}";
	struct dt_identity id;
	struct dt_err err;
	json_object *obj;

	(void)state;
	memset(&id, 0, sizeof(id));
	id.active = -1;
	obj = dt_json_parse_object(empties, strlen(empties));
	assert_int_equal(dt_directory_read_user(obj, &id, &err), 0);
	json_object_put(obj);
	assert_string_equal(id.name, "N");
	assert_null(id.email);
	assert_null(id.org_email);
	assert_null(id.title);
	assert_null(id.job_number);
	assert_int_equal(id.active, -1); /* left out: not "false", not "true" */
	assert_int_equal(id.n_dept_ids, 0);
	dt_identity_free(&id);

	memset(&id, 0, sizeof(id));
	id.user_id = strdup("x9");
	obj = dt_json_parse_object(ext, strlen(ext));
	assert_int_equal(dt_directory_read_external(obj, &id, &err), 0);
	assert_string_equal(id.user_id, "x9");
	assert_null(id.email); /* typed by an employee: never read */
	assert_string_equal(id.title, "CFO");
	assert_int_equal(id.active, -1);
	dt_identity_free(&id);
	memset(&id, 0, sizeof(id));
	id.user_id = strdup("someone-else");
	assert_int_equal(dt_directory_read_external(obj, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "asked about userid someone-else, answered about x9"));
	json_object_put(obj);
	dt_identity_free(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sns_signature_vector),
	    cmocka_unit_test(test_retry_delay_grows_with_jitter_and_cap),
	    cmocka_unit_test(test_retry_never_sleeps_past_the_deadline),
	    cmocka_unit_test(test_every_row_of_the_error_table),
	    cmocka_unit_test(test_http_errors_without_a_dingtalk_body),
	    cmocka_unit_test(test_ip_ban_lengths),
	    cmocka_unit_test(test_ip_ban_is_remembered_per_origin),
	    cmocka_unit_test(test_clock_skew_is_measured),
	    cmocka_unit_test(test_oapi_answers_of_the_wrong_shape),
	    cmocka_unit_test(test_server_text_is_sanitized),
	    cmocka_unit_test(test_directory_user_types_are_checked),
	    cmocka_unit_test(test_permission_refusals_name_the_permission),
	    cmocka_unit_test(test_directory_absent_fields_and_external_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
