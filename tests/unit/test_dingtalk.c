/* The DingTalk client against the mock (run_dingtalk_tests.sh starts it):
 * each flow's success and refusals, the corp_id check, retries only where
 * they are safe and never past the deadline, the app token cache, the
 * directory, TLS verification and the proxy settings. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "base/clock.h"
#include "dingtalk/apptoken.h"
#include "dingtalk/exchange.h"
#include "dingtalk/ipban.h"
#include "dingtalk/retry.h"
#include "base/json.h"
#include "conf/cfg.h"
#include "conf/modcfg.h"
#include "base/util.h"

#define MOCK_CORP "dingmockcorp0000000000000000000000"

static const char *mock_url(void)
{
	return getenv("DT_MOCK_URL");
}

/* A module configuration pointing at `base`, plus extra "key = value" lines. */
static void load_cfg(struct dt_modcfg *cfg, const char *base, const char *extra)
{
	char text[4096];
	struct dt_err err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = 30;
	snprintf(text, sizeof(text),
		 "client_id = dingmockappkey\nclient_secret = mock-secret-0123456789\n"
		 "login_base = %s\napi_base = %s\noapi_base = %s\n"
		 "token_cache = %s/cache/app-token\n%s\n",
		 base, base, base, getenv("DT_WORK"), extra != NULL ? extra : "");
	if (dt_cfg_parse_text(text, strlen(text), "test", dt_modcfg_keys, cfg, NULL, NULL, &err) <
		0 ||
	    dt_modcfg_finish(cfg, &err) < 0)
		fail_msg("config: %s", err.msg);
}

static void admin(const char *method, const char *path, const char *body, char **answer)
{
	struct dt_http_opts opts = {.peer_name = "mock"};
	struct dt_http_response resp;
	struct dt_http h;
	struct dt_err err;
	char *url = dt_asprintf("%s%s", mock_url(), path);

	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	if (dt_http_request(&h, method, url, NULL, body, dt_now_ms() + 5000, &resp, &err) < 0)
		fail_msg("mock admin %s: %s", path, err.msg);
	assert_int_equal(resp.status, 200);
	if (answer != NULL)
		*answer = strdup(resp.body);
	dt_http_response_free(&resp);
	dt_http_cleanup(&h);
	free(url);
}

static void fault(const char *json)
{
	admin("POST", "/_mock/fault", json, NULL);
}

static unsigned calls(const char *endpoint)
{
	char *text = NULL;
	json_object *obj;
	unsigned n = 0;

	admin("GET", "/_mock/stats", NULL, &text);
	obj = dt_json_parse_object(text, strlen(text));
	if (dt_json_uint(obj, endpoint, 1000000, &n) < 0)
		n = 0;
	json_object_put(obj);
	free(text);
	return n;
}

/* Forgets every IP ban: this process's and the host's (the file beside
 * the token cache), as a new process on a host without one. */
static void forget_bans(void)
{
	char *file = dt_asprintf("%s/cache/app-token.ban", getenv("DT_WORK"));

	dt_ipban_forget();
	unlink(file);
	free(file);
}

static int reset(void **state)
{
	char *cache = dt_asprintf("%s/cache/app-token", getenv("DT_WORK"));

	(void)state;
	admin("POST", "/_mock/reset", "{}", NULL);
	forget_bans();
	unlink(cache);
	free(cache);
	return 0;
}

/* What the phone's redirect carries: approve as `person` at an authorize
 * page (`path_query` without redirect_uri) and read the code. */
static char *code_from(const char *base, const char *path_query, const char *person)
{
	char *url = dt_asprintf("%s%s&redirect_uri=http%%3A%%2F%%2F127.0.0.1%%2Fcb&mock_person=%s"
				"&mock_decision=approve",
				base, path_query, person);
	CURL *c = curl_easy_init();
	char *location = NULL, *code = NULL, *p;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, getenv("DT_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, fopen("/dev/null", "w"));
	if (curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) == CURLE_OK &&
	    location != NULL && (p = strstr(location, "code=")) != NULL)
		code = strndup(p + 5, strcspn(p + 5, "&"));
	curl_easy_cleanup(c);
	free(url);
	if (code == NULL)
		fail_msg("no code from %s", path_query);
	return code;
}

static char *oauth2_code(const char *person, int corpid)
{
	return code_from(mock_url(),
			 corpid ? "/oauth2/auth?response_type=code&client_id=dingmockappkey&scope="
				  "openid%20corpid&state=s&prompt=consent"
				: "/oauth2/auth?response_type=code&client_id=dingmockappkey&scope="
				  "openid&state=s&prompt=consent",
			 person);
}

static char *sns_code(const char *person)
{
	return code_from(mock_url(),
			 "/connect/qrconnect?appid=dingmockappkey&response_type=code&scope="
			 "snsapi_login&state=s",
			 person);
}

static char *inapp_code(const char *person)
{
	char body[256], *answer = NULL, *code;
	json_object *obj;

	snprintf(body, sizeof(body), "{\"person\":\"%s\",\"corpId\":\"" MOCK_CORP "\"}", person);
	admin("POST", "/_mock/inapp_code", body, &answer);
	obj = dt_json_parse_object(answer, strlen(answer));
	code = strdup(dt_json_string(obj, "code"));
	json_object_put(obj);
	free(answer);
	return code;
}

/* Runs dt_dingtalk_identify; returns its result with id and err filled. */
static int identify(const struct dt_modcfg *cfg, const char *code, int64_t budget_ms,
		    struct dt_identity *id, struct dt_err *err)
{
	struct dt_http_opts opts = {
	    .ca_file = cfg->ca_file, .proxy = cfg->proxy, .peer_name = "DingTalk"};
	struct dt_http h;
	int rc;

	dt_err_clear(err);
	assert_int_equal(dt_http_init(&h, &opts, err), 0);
	rc = dt_dingtalk_identify(&h, cfg, code, dt_now_ms() + budget_ms, id, err);
	dt_http_cleanup(&h);
	return rc;
}

#define assert_msg(err, needle)                                                                    \
	do {                                                                                       \
		if (strstr((err)->msg, (needle)) == NULL)                                          \
			fail_msg("message lacks \"%s\": %s", (needle), (err)->msg);                \
	} while (0)

#define assert_ok(rc, err)                                                                         \
	do {                                                                                       \
		if ((rc) != 0)                                                                     \
			fail_msg("failed: %s", (err)->msg);                                        \
	} while (0)

static void run_oauth2(const char *extra, const char *person, int corpid, int expect_rc,
		       enum dt_err_kind kind, const char *needle)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;
	int rc;

	load_cfg(&cfg, mock_url(), extra);
	code = oauth2_code(person, corpid);
	rc = identify(&cfg, code, 20000, &id, &err);
	if (expect_rc == 0)
		assert_ok(rc, &err);
	else {
		if (rc != -1)
			fail_msg("succeeded; expected: %s", needle);
		if (err.kind != kind)
			fail_msg("kind %d, not %d: %s", (int)err.kind, (int)kind, err.msg);
		assert_msg(&err, needle);
	}
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void test_oauth2_names_the_person(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), NULL);
	code = oauth2_code("alice", 0);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_string_equal(id.union_id, "uAlice0000000000000000iEiE");
	assert_string_equal(id.nick, "Alice Zhang");
	assert_null(id.corp_id);
	assert_int_equal(id.contact_type, -1);
	/* A code is single use: the second try is a refusal ("scan again"),
	 * and it is not retried. */
	dt_identity_free(&id);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "invalidParameter.authCode.notFound");
	assert_msg(&err, "scan again");
	assert_int_equal(calls("userAccessToken"), 2);
	/* A made-up code (anyone with the state can put one through the
	 * helper's callback): DingTalk's InvalidParameter blames the code, a
	 * refusal, not our bug (PAM_SERVICE_ERR, which failmode = safe would
	 * ignore). */
	dt_identity_free(&id);
	assert_int_equal(identify(&cfg, "made-up-code", 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "the code from the phone was refused");
	assert_msg(&err, "InvalidParameter");
	assert_int_equal(calls("userAccessToken"), 3);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void test_oauth2_corp_id_matches(void **state)
{
	(void)state;
	run_oauth2("corp_id = " MOCK_CORP, "alice", 1, 0, DT_OK, NULL);
}

static void test_oauth2_other_organisation_is_refused(void **state)
{
	(void)state;
	run_oauth2("corp_id = dingothercorp", "alice", 1, -1, DT_ERR_DENIED,
		   "logged in through organisation " MOCK_CORP ", not corp_id dingothercorp");
}

static void test_oauth2_without_corpid_scope_is_refused(void **state)
{
	(void)state;
	run_oauth2("corp_id = " MOCK_CORP, "alice", 0, -1, DT_ERR_DENIED, "no corpId");
}

static void test_throttled_then_success(void **state)
{
	(void)state;
	fault("{\"endpoint\":\"users_me\",\"mode\":\"throttled\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("users_me"), 2);
}

static void test_5xx_then_success(void **state)
{
	(void)state;
	fault("{\"endpoint\":\"users_me\",\"mode\":\"http500\",\"count\":2}");
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("users_me"), 3);
}

/* A code DingTalk may have seen is never sent again: a 5xx or a truncated
 * answer on the exchange ends the login as unavailable after one call. */
static void test_code_exchange_is_not_retried_after_5xx(void **state)
{
	(void)state;
	fault("{\"endpoint\":\"userAccessToken\",\"mode\":\"http500\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "HTTP 500 ServiceUnavailable");
	assert_int_equal(calls("userAccessToken"), 1);
	fault("{\"endpoint\":\"userAccessToken\",\"mode\":\"truncated\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "DingTalk");
	assert_int_equal(calls("userAccessToken"), 2);
}

/* Throttling refuses before any work: even the code exchange is retried. */
static void test_code_exchange_is_retried_when_throttled(void **state)
{
	(void)state;
	fault("{\"endpoint\":\"userAccessToken\",\"mode\":\"throttled\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("userAccessToken"), 2);
}

static void test_retries_stop_at_the_deadline(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	int64_t t0;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), NULL);
	code = oauth2_code("alice", 0);
	fault("{\"endpoint\":\"users_me\",\"mode\":\"throttled\"}");
	t0 = dt_now_ms();
	assert_int_equal(identify(&cfg, code, 1500, &id, &err), -1);
	assert_true(dt_now_ms() - t0 < 1500);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "QpsLimitForAppkeyAndApi");
	assert_msg(&err, " tries)");
	/* And with time enough, at most DT_RETRY_MAX_TRIES calls. */
	free(code);
	dt_identity_free(&id);
	code = oauth2_code("alice", 0);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_msg(&err, "(after 4 tries)");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void test_bad_answers_are_errors(void **state)
{
	(void)state;
	/* The mock's page is HTML, which is also how DingTalk's IP ban looks. */
	fault("{\"endpoint\":\"users_me\",\"mode\":\"nonjson\"}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL,
		   "HTTP 200 with an HTML page instead of JSON: DingTalk answers so when this "
		   "host's IP is banned");
	fault("{\"endpoint\":\"users_me\",\"mode\":\"wrongtypes\"}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "'unionId' is not a string");
	fault("{\"endpoint\":\"userAccessToken\",\"mode\":\"wrongtypes\"}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "without a usable accessToken");
	fault("{\"endpoint\":\"*\",\"mode\":\"none\"}");
	fault("{\"endpoint\":\"users_me\",\"mode\":\"truncated\"}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "(after 4 tries)");
}

static void test_sns_flow(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = sns");
	code = sns_code("bob");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_string_equal(id.union_id, "uBob00000000000000000000iEiE");
	assert_string_equal(id.nick, "Bob Li");
	dt_identity_free(&id);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "errcode 40078");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* In the code exchange only the host's own troubles (credentials,
 * whitelist, permissions, token, throttling, quota, busy, the signature's
 * clock and key, a wrong base, the ban, transport) are "unavailable":
 * anything else may come from the code whoever reached /callback sent,
 * 40035 (a parameter missing) included. (40035 from gettoken stays
 * unavailable: test_pam_flow's error table.) */
static void test_code_exchange_refusals_are_refusals(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = sns");
	fault("{\"endpoint\":\"sns_userinfo\",\"mode\":\"error\",\"errcode\":40035,"
	      "\"errmsg\":\"缺少参数\",\"count\":1}");
	code = sns_code("bob");
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "the code from the phone was refused: DingTalk sns/getuserinfo_bycode: "
			 "errcode 40035");
	assert_int_equal(calls("sns_userinfo"), 1);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void inapp_user_get_permission_is_the_apps(void)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	load_cfg(&cfg, mock_url(), "flow = inapp\ndirectory = yes\ncorp_id = " MOCK_CORP);
	fault("{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":60011,"
	      "\"errmsg\":\"没有调用该接口的权限\",\"count\":1}");
	code = inapp_code("alice");
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "DingTalk topapi/v2/user/get: errcode 60011");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* The directory calls about the person who scanned: an answer the account
 * can steer (400002 for a unionId DingTalk cannot read, 33012 for a userid
 * it rejects, a code not in the table, a record that cannot be used)
 * refuses; the app's own troubles stay "unavailable". */
static void test_person_lookups_refuse_what_the_account_steers(void **state)
{
	(void)state;
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"error\",\"errcode\":400002,"
	      "\"errmsg\":\"无效的参数\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_DENIED,
		   "DingTalk refused the call about the person who scanned: DingTalk "
		   "topapi/user/getbyunionid: errcode 400002");
	fault("{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":33012,"
	      "\"errmsg\":\"无效的userId\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_DENIED,
		   "DingTalk refused the call about the person who scanned: DingTalk "
		   "topapi/v2/user/get: errcode 33012");
	fault("{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":777777,"
	      "\"errmsg\":\"新的错误\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_DENIED, "errcode 777777");
	/* A record DingTalk sent (errcode 0) that cannot be used. */
	run_oauth2("directory = yes", "grace", 0, -1, DT_ERR_DENIED,
		   "the person's record is unusable (refused, not unavailable): DingTalk "
		   "topapi/user/getbyunionid: 'contact_type' is not 0 or 1");
	run_oauth2("directory = yes", "heidi", 0, -1, DT_ERR_DENIED,
		   "the person's record is unusable (refused, not unavailable): DingTalk "
		   "topapi/v2/user/get: 'title' is too long");
	/* getbyunionid just had 成员信息读权限, which v2/user/get needs too:
	 * its 60011 concerns the person. In flow inapp nothing proved the
	 * permission first: the app's, unavailable. */
	fault("{\"endpoint\":\"user_get\",\"mode\":\"error\",\"errcode\":60011,"
	      "\"errmsg\":\"没有调用该接口的权限\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_DENIED,
		   "refused, as this login's first look-up had the permission: DingTalk "
		   "topapi/v2/user/get: errcode 60011");
	inapp_user_get_permission_is_the_apps();
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"error\",\"errcode\":60020,"
	      "\"errmsg\":\"访问ip不在白名单之中\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
		   "DingTalk topapi/user/getbyunionid: errcode 60020");
}

static void test_sns_wrong_secret_is_a_refused_signature(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = sns\nclient_secret = not-the-secret");
	code = sns_code("bob");
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "DingTalk sns/getuserinfo_bycode: errcode 853004 (\"signature参数不正确");
	assert_msg(&err, "does not match the one DingTalk computes with the app's secret: check "
			 "client_secret");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void test_inapp_flow_and_token_cache(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	struct stat st;
	char *code, *cache;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = inapp\ncorp_id = " MOCK_CORP);
	code = inapp_code("alice");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_string_equal(id.user_id, "zhangalice01");
	assert_string_equal(id.union_id, "uAlice0000000000000000iEiE");
	assert_string_equal(id.nick, "Alice Zhang");
	assert_int_equal(calls("accessToken"), 1);
	/* The cache: root-only (well, owner-only), and used next time. */
	cache = dt_asprintf("%s/cache/app-token", getenv("DT_WORK"));
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	dt_identity_free(&id);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "errcode 40078");
	free(code);
	dt_identity_free(&id);
	code = inapp_code("bob");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_int_equal(calls("accessToken"), 1);
	free(code);
	dt_identity_free(&id);
	/* A cache file others could read is never trusted: it is replaced. */
	assert_int_equal(chmod(cache, 0644), 0);
	code = inapp_code("bob");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_int_equal(calls("accessToken"), 2);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(code);
	dt_identity_free(&id);
	/* In a directory others may write to, the cache is not used at all:
	 * every login fetches its own token. */
	*strrchr(cache, '/') = '\0';
	assert_int_equal(chmod(cache, 0777), 0);
	code = inapp_code("bob");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_int_equal(calls("accessToken"), 3);
	free(code);
	dt_identity_free(&id);
	code = inapp_code("bob");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_int_equal(calls("accessToken"), 4);
	assert_int_equal(chmod(cache, 0700), 0);
	free(code);
	free(cache);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* The cache's directory, lock and file get their modes whatever umask
 * the module runs under (su's caller chooses it). */
static void cache_modes_under_umask(mode_t mask)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	struct stat st;
	char *code, *dir = dt_asprintf("%s/cache", getenv("DT_WORK"));
	char *lock = dt_asprintf("%s/app-token.lock", dir),
	     *cache = dt_asprintf("%s/app-token", dir);
	char *rm = dt_asprintf("rm -rf '%s'", dir);
	mode_t old;

	load_cfg(&cfg, mock_url(), "flow = inapp\ncorp_id = " MOCK_CORP);
	assert_int_equal(system(rm), 0);
	code = inapp_code("alice");
	old = umask(mask);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	umask(old);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(lock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(code);
	dt_identity_free(&id);
	free(rm);
	free(cache);
	free(lock);
	free(dir);
	dt_modcfg_free(&cfg);
}

static void test_token_cache_modes_ignore_umask(void **state)
{
	(void)state;
	cache_modes_under_umask(0);
}

/* umask 0777 makes mkdir's directory mode 0, which only root may open to
 * set its mode (the module runs as root): a process that is not root
 * fetches without the cache then. */
static void test_token_cache_modes_ignore_umask_0777(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	cache_modes_under_umask(0777);
}

/* DingTalk refuses the cached token: one refresh, one more try. */
static void test_refused_token_is_refreshed_once(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = inapp\ncorp_id = " MOCK_CORP);
	code = inapp_code("alice");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	free(code);
	dt_identity_free(&id);
	fault("{\"endpoint\":\"inapp_userinfo\",\"mode\":\"badtoken\",\"count\":1}");
	code = inapp_code("alice");
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_int_equal(calls("accessToken"), 2);
	assert_int_equal(calls("inapp_userinfo"), 3);
	free(code);
	dt_identity_free(&id);
	/* A token refused even when fresh is an error, not a loop. */
	fault("{\"endpoint\":\"inapp_userinfo\",\"mode\":\"error\",\"errcode\":88,"
	      "\"sub_code\":\"40014\",\"message\":\"不合法的access_token\"}");
	code = inapp_code("alice");
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_msg(&err, "errcode 88 sub_code 40014");
	assert_int_equal(calls("inapp_userinfo"), 5);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

static void test_old_gettoken_api(void **state)
{
	struct dt_modcfg cfg;
	struct dt_http_opts opts = {.peer_name = "DingTalk"};
	struct dt_http h;
	struct dt_err err;
	char *token;

	(void)state;
	load_cfg(&cfg, mock_url(), "token_api = gettoken");
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	token = dt_app_token(&h, &cfg, 0, dt_now_ms() + 5000, &err);
	assert_non_null(token);
	assert_int_equal(calls("gettoken"), 1);
	assert_int_equal(calls("accessToken"), 0);
	dt_free_secret(token);
	dt_modcfg_free(&cfg);
	/* Wrong secret: errcode 40096, not cached. */
	load_cfg(&cfg, mock_url(), "token_api = gettoken\nclient_secret = wrong");
	assert_null(dt_app_token(&h, &cfg, 1, dt_now_ms() + 5000, &err));
	assert_msg(&err, "DingTalk gettoken: errcode 40096");
	assert_msg(&err, "pasted spaces");
	dt_http_cleanup(&h);
	dt_modcfg_free(&cfg);
}

static void test_directory(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "directory = yes");
	code = oauth2_code("alice", 0);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_string_equal(id.user_id, "zhangalice01");
	assert_string_equal(id.name, "Alice Zhang");
	assert_string_equal(id.email, "alice@example.com");
	assert_string_equal(id.title, "SRE");
	assert_int_equal(id.contact_type, 0);
	assert_int_equal(id.active, 1);
	assert_int_equal(id.n_dept_ids, 2);
	assert_true(id.dept_ids[0] == 1 && id.dept_ids[1] == 100);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
	run_oauth2("directory = yes", "carol", 0, -1, DT_ERR_DENIED,
		   "is an external contact of the organisation");
	run_oauth2("directory = yes", "eve", 0, -1, DT_ERR_DENIED,
		   "unionId uEve000000000000000000000iEiE: DingTalk topapi/user/getbyunionid: "
		   "errcode 60121");
}

/* The IP ban lasts minutes ({"status":1111,"wait":5}): the login gives up
 * at once, and later ones in this process do not call DingTalk until it
 * ends. */
static void test_ip_ban_gives_up_at_once(void **state)
{
	int64_t t0 = dt_now_ms();
	unsigned before;

	(void)state;
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"ipban\",\"count\":1}");
	run_oauth2(
	    "directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
	    "DingTalk topapi/user/getbyunionid: status 1111: DingTalk has banned this host's "
	    "IP from every API for 5 minutes");
	assert_true(dt_now_ms() - t0 < 5000);
	assert_int_equal(calls("getbyunionid"), 1);
	before = calls("userAccessToken");
	/* The mock no longer bans, but the ban's five minutes are not over. */
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
		   "DingTalk userAccessToken: not called: DingTalk banned this host's IP (status "
		   "1111) and the ban lasts ");
	assert_int_equal(calls("userAccessToken"), before);
	assert_int_equal(calls("getbyunionid"), 1);
	/* A ban DingTalk says is short ends, and logins resume. */
	forget_bans();
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"ipban\",\"wait\":0.01,\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL, "for 1 s");
	dt_retry_sleep(700, dt_now_ms() + 10000, 0);
	run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static char *read_text(const char *path)
{
	static char text[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

static int file_has_ban(const char *file, const char *origin)
{
	const char *text = read_text(file);
	json_object *obj = dt_json_parse_object(text, strlen(text)), *bans, *end;
	int found = obj != NULL && json_object_object_get_ex(obj, "bans", &bans) &&
		    json_object_object_get_ex(bans, origin, &end) &&
		    json_object_get_int64(end) > dt_wall_ms();

	json_object_put(obj);
	return found;
}

/* The file's ends are compared before any arithmetic (INT64_MIN would
 * overflow into a ban), and a process recording its ban keeps the bans
 * another process recorded for another base URL. */
static void ip_ban_file_extremes_and_merging(const char *file)
{
	char text[512];

	dt_ipban_forget();
	snprintf(text, sizeof(text), "{\"bans\":{\"%s\":-9223372036854775808}}", mock_url());
	write_text(file, text);
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	dt_ipban_forget();
	snprintf(text, sizeof(text), "{\"bans\":{\"%s\":9223372036854775807}}", mock_url());
	write_text(file, text);
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "the ban lasts 60 minutes more");
	/* Another process met a ban of another origin; this one meets its own. */
	dt_ipban_forget();
	snprintf(text, sizeof(text), "{\"bans\":{\"https://other.invalid\":%lld}}",
		 (long long)(dt_wall_ms() + 600000));
	write_text(file, text);
	fault("{\"endpoint\":\"users_me\",\"mode\":\"ipban\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "for 5 minutes");
	assert_true(file_has_ban(file, "https://other.invalid"));
	assert_true(file_has_ban(file, mock_url()));
	dt_ipban_forget();
}

/* Each login is a process of its own: the ban is kept for the host's
 * later logins in a root-only file beside the token cache, which they
 * trust only when it is safe, and never for longer than an hour. */
static void test_ip_ban_is_shared_by_the_hosts_logins(void **state)
{
	char *file = dt_asprintf("%s/cache/app-token.ban", getenv("DT_WORK"));
	char *dir = dt_asprintf("%s/cache", getenv("DT_WORK"));
	char text[256];
	struct stat st;
	unsigned before;
	FILE *f;

	(void)state;
	/* Flow A, no directory: the file is made even where no token is. */
	fault("{\"endpoint\":\"users_me\",\"mode\":\"ipban\",\"count\":1}");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "for 5 minutes");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* A new process: nothing in memory, the file says banned. */
	dt_ipban_forget();
	before = calls("userAccessToken");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL,
		   "DingTalk userAccessToken: not called: DingTalk banned this host's IP");
	assert_int_equal(calls("userAccessToken"), before);
	/* A file others could have written is not trusted. */
	dt_ipban_forget();
	assert_int_equal(chmod(file, 0644), 0);
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	/* A ban of days (a clock set back, a garbled file) is an hour. */
	dt_ipban_forget();
	snprintf(text, sizeof(text), "{\"bans\":{\"%s\":%lld}}", mock_url(),
		 (long long)(dt_wall_ms() + 10LL * 86400 * 1000));
	assert_non_null(f = fopen(file, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(file, 0600), 0);
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL, "the ban lasts 60 minutes more");
	/* Nor is one in a directory others may write to. */
	dt_ipban_forget();
	assert_int_equal(chmod(dir, 0777), 0);
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(chmod(dir, 0700), 0);
	/* Another origin's ban, or one that has ended, stops nothing. */
	dt_ipban_forget();
	snprintf(text, sizeof(text), "{\"bans\":{\"https://elsewhere.invalid\":%lld,\"%s\":%lld}}",
		 (long long)(dt_wall_ms() + 600000), mock_url(), (long long)(dt_wall_ms() - 1000));
	assert_non_null(f = fopen(file, "w"));
	fputs(text, f);
	fclose(f);
	run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
	ip_ban_file_extremes_and_merging(file);
	free(file);
	free(dir);
}

/* The app token cache that every process of the host shares outlives a
 * ban: a ban is not the token's fault, so the cached token is neither
 * dropped nor replaced, and serves again once the ban is over; a ban on
 * the token request itself caches nothing. */
static void test_ip_ban_keeps_the_cached_token(void **state)
{
	char *cache = dt_asprintf("%s/cache/app-token", getenv("DT_WORK"));
	char before[4096], after[4096];
	FILE *f;
	size_t n;

	(void)state;
	run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("accessToken"), 1);
	assert_non_null(f = fopen(cache, "r"));
	n = fread(before, 1, sizeof(before) - 1, f);
	before[n] = '\0';
	fclose(f);
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"ipban\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL, "status 1111");
	assert_non_null(f = fopen(cache, "r"));
	n = fread(after, 1, sizeof(after) - 1, f);
	after[n] = '\0';
	fclose(f);
	assert_string_equal(before, after);
	forget_bans();
	run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("accessToken"), 1);
	/* Banned while fetching the token: nothing cached, nothing retried. */
	unlink(cache);
	forget_bans();
	fault("{\"endpoint\":\"accessToken\",\"mode\":\"ipban\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
		   "DingTalk oauth2/accessToken: status 1111");
	assert_int_equal(calls("accessToken"), 2);
	assert_int_equal(access(cache, F_OK), -1);
	free(cache);
}

/* 853002: the message says how far this host's clock is from DingTalk's,
 * measured by the Date header of its answer. */
static void test_sns_clock_skew_is_measured(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	const char *at;
	long skew = 0;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "flow = sns");
	code = sns_code("bob");
	fault("{\"endpoint\":\"sns_userinfo\",\"mode\":\"clockskew\",\"seconds\":120}");
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "errcode 853002");
	assert_msg(&err, "more than a minute off DingTalk's clock: keep this host's clock in sync");
	at = strstr(err.msg, "this host's clock is ");
	if (at == NULL || sscanf(at, "this host's clock is %ld s behind", &skew) != 1 ||
	    skew < 118 || skew > 122)
		fail_msg("no skew of about 120 s: %s", err.msg);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* Every documented throttle backs off and tries again within the
 * deadline, the minute-based ones too. */
static void test_documented_throttles_back_off(void **state)
{
	static const char *const v1[] = {"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",
					 "Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi",
					 "Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi",
					 NULL};
	static const int oapi[] = {90001, 90005, 90017, 0};
	char text[256];
	int i;

	(void)state;
	for (i = 0; v1[i] != NULL; i++) {
		unsigned before = calls("users_me");

		snprintf(text, sizeof(text),
			 "{\"endpoint\":\"users_me\",\"mode\":\"throttled\",\"code\":\"%s\","
			 "\"count\":1}",
			 v1[i]);
		fault(text);
		run_oauth2(NULL, "alice", 0, 0, DT_OK, NULL);
		assert_int_equal(calls("users_me"), before + 2);
	}
	for (i = 0; oapi[i] != 0; i++) {
		unsigned before = calls("getbyunionid");

		snprintf(text, sizeof(text),
			 "{\"endpoint\":\"getbyunionid\",\"mode\":\"throttled\",\"errcode\":%d,"
			 "\"count\":1}",
			 oapi[i]);
		fault(text);
		run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
		assert_int_equal(calls("getbyunionid"), before + 2);
	}
}

/* errcode 88 / sub_code 40000, "access_token is blank": DingTalk got no
 * token; a new one is fetched and the call tried once more. */
static void test_blank_token_gets_a_new_one(void **state)
{
	(void)state;
	run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("accessToken"), 1);
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"blanktoken\",\"count\":1}");
	run_oauth2("directory = yes", "alice", 0, 0, DT_OK, NULL);
	assert_int_equal(calls("accessToken"), 2);
	assert_int_equal(calls("getbyunionid"), 3);
	/* Every time: an error that says so, not a loop. */
	fault("{\"endpoint\":\"getbyunionid\",\"mode\":\"blanktoken\"}");
	run_oauth2("directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
		   "errcode 88 sub_code 40000 (\"access_token is blank\"): DingTalk received no "
		   "access token");
	assert_int_equal(calls("getbyunionid"), 5);
}

/* A base with a path reaches paths DingTalk does not serve: HTTP 200 with
 * errcode 404, which names the setting to check. */
static void test_wrong_base_says_check_api_base(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), NULL);
	free(cfg.api_base);
	cfg.api_base = dt_asprintf("%s/wrong", mock_url());
	code = oauth2_code("alice", 0);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err,
		   "DingTalk userAccessToken: errcode 404 (\"请求的URI地址不存在\"): DingTalk "
		   "does not know this URL");
	assert_msg(&err, "check api_base");
	assert_int_equal(calls("userAccessToken"), 0);
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
	load_cfg(&cfg, mock_url(), "directory = yes\ntoken_api = gettoken");
	free(cfg.oapi_base);
	cfg.oapi_base = dt_asprintf("%s/wrong", mock_url());
	code = oauth2_code("alice", 0);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "DingTalk gettoken: errcode 404");
	assert_msg(&err, "oapi_base");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* The app's permissions at the mock (its /_mock/permissions). */
static void grant(const char *json_list)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"granted\":%s}", json_list);
	admin("POST", "/_mock/permissions", body, NULL);
}

/* An external contact is no employee: v2/user/get does not find them
 * (60121), extcontact/get holds their record. */
static void test_external_contact_through_extcontact(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "directory = yes\nallow_external = yes");
	code = oauth2_code("carol", 0);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_string_equal(id.user_id, "extcarol04");
	assert_null(id.email); /* typed by an employee: never taken */
	assert_string_equal(id.title, "Consultant");
	assert_int_equal(id.contact_type, 1);
	assert_int_equal(id.active, -1); /* DingTalk keeps none for them */
	assert_int_equal(id.n_dept_ids, 0);
	assert_int_equal(calls("extcontact_get"), 1);
	assert_int_equal(calls("user_get"), 0);
	free(code);
	dt_identity_free(&id);
	/* Without qyapi_ext_read: only an external contact reaches the call,
	 * so whoever scans chose the failure: refused (failmode must not let
	 * them in), naming the permission for the administrator. */
	grant("[\"Contact.User.Read\",\"qyapi_get_member\",\"email\"]");
	code = oauth2_code("carol", 0);
	assert_int_equal(identify(&cfg, code, 20000, &id, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_msg(&err, "external contact uCarol0000000000000000iEiE: refused, not unavailable "
			 "(only their logins make this call): DingTalk topapi/extcontact/get");
	assert_msg(&err, "DingTalk topapi/extcontact/get: errcode 60011");
	assert_msg(&err, "企业外部联系人读权限 (qyapi_ext_read: read external contacts)");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
	/* 33012 (无效的userId), the error extcontact/get's page lists, too. */
	admin("POST", "/_mock/reset", "{}", NULL);
	fault("{\"endpoint\":\"extcontact_get\",\"mode\":\"error\",\"errcode\":33012,"
	      "\"errmsg\":\"无效的userId\",\"count\":1}");
	run_oauth2("directory = yes\nallow_external = yes", "carol", 0, -1, DT_ERR_DENIED,
		   "DingTalk topapi/extcontact/get: errcode 33012");
	/* DingTalk failing there (5xx) is no excuse either. */
	fault("{\"endpoint\":\"extcontact_get\",\"mode\":\"http500\",\"count\":5}");
	run_oauth2("directory = yes\nallow_external = yes", "carol", 0, -1, DT_ERR_DENIED,
		   "refused, not unavailable (only their logins make this call): DingTalk "
		   "topapi/extcontact/get: HTTP 500");
}

/* A person who left is not found: refused as such, not as "inactive". */
static void test_leaver_is_not_found(void **state)
{
	(void)state;
	run_oauth2("directory = yes", "frank", 0, -1, DT_ERR_DENIED,
		   "unionId uFrank0000000000000000iEiE: DingTalk topapi/user/getbyunionid: "
		   "errcode 60121 (\"找不到该用户\"): not found in the organisation (never a "
		   "member, or has left it): refused");
	/* Someone who has not activated DingTalk is found, with active = 0. */
	run_oauth2("directory = yes", "dave", 0, 0, DT_OK, NULL);
}

/* Left-out fields are absent, whatever the reason. */
static void test_fields_left_out_are_absent(void **state)
{
	struct dt_modcfg cfg;
	struct dt_identity id;
	struct dt_err err;
	char *code;

	(void)state;
	load_cfg(&cfg, mock_url(), "directory = yes");
	code = oauth2_code("mallory", 0);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_null(id.email);
	assert_null(id.org_email);
	assert_null(id.job_number);
	free(code);
	dt_identity_free(&id);
	grant("[\"Contact.User.Read\",\"qyapi_get_member\"]");
	code = oauth2_code("alice", 0);
	assert_ok(identify(&cfg, code, 20000, &id, &err), &err);
	assert_null(id.email); /* without 邮箱等个人信息 */
	assert_string_equal(id.title, "SRE");
	free(code);
	dt_identity_free(&id);
	dt_modcfg_free(&cfg);
}

/* A missing permission is named, and is no throttling: one call, no
 * back-off until the deadline. */
static void test_missing_permissions_are_named(void **state)
{
	int64_t t0 = dt_now_ms();

	(void)state;
	grant("[\"qyapi_get_member\",\"qyapi_ext_read\",\"email\"]");
	run_oauth2(NULL, "alice", 0, -1, DT_ERR_UNAVAIL,
		   "DingTalk contact/users/me: HTTP 403 "
		   "Forbidden.AccessDenied.AccessTokenPermissionDenied (\"没有调用该接口的权限\"): "
		   "the app lacks the permission 通讯录个人信息读权限 (Contact.User.Read");
	assert_int_equal(calls("users_me"), 1);
	assert_true(dt_now_ms() - t0 < 10000);
	grant("[\"Contact.User.Read\",\"qyapi_ext_read\",\"email\"]");
	run_oauth2(
	    "directory = yes", "alice", 0, -1, DT_ERR_UNAVAIL,
	    "DingTalk topapi/user/getbyunionid: errcode 60011 (\"没有调用该接口的权限\"): the "
	    "app lacks the permission 成员信息读权限 (qyapi_get_member: read member "
	    "information)");
}

static void test_tls(void **state)
{
	struct dt_modcfg cfg;
	struct dt_http_opts opts = {.peer_name = "DingTalk"};
	struct dt_http h;
	struct dt_err err;
	char *token, extra[512];

	(void)state;
	/* The test CA is not in the system store: refused, and not retried. */
	load_cfg(&cfg, getenv("DT_TLS_URL"), NULL);
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	assert_null(dt_app_token(&h, &cfg, 1, dt_now_ms() + 5000, &err));
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_msg(&err, "certificate");
	assert_null(strstr(err.msg, "tries"));
	dt_http_cleanup(&h);
	dt_modcfg_free(&cfg);
	/* With ca_file naming it, the same server is trusted. */
	snprintf(extra, sizeof(extra), "ca_file = %s", getenv("DT_TEST_CA"));
	load_cfg(&cfg, getenv("DT_TLS_URL"), extra);
	opts.ca_file = cfg.ca_file;
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	token = dt_app_token(&h, &cfg, 1, dt_now_ms() + 5000, &err);
	if (token == NULL)
		fail_msg("%s", err.msg);
	dt_free_secret(token);
	dt_http_cleanup(&h);
	dt_modcfg_free(&cfg);
}

static void test_proxy_settings(void **state)
{
	struct dt_modcfg cfg;
	struct dt_http_opts opts = {.proxy = "http://127.0.0.1:9", .peer_name = "DingTalk"};
	struct dt_http h;
	struct dt_err err;
	char *token;

	(void)state;
	load_cfg(&cfg, mock_url(), NULL);
	/* `proxy` is used: a dead proxy fails the call. */
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	assert_null(dt_app_token(&h, &cfg, 1, dt_now_ms() + 3000, &err));
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	dt_http_cleanup(&h);
	/* The environment is ignored unless proxy_env says otherwise. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	unsetenv("no_proxy");
	opts.proxy = NULL;
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	token = dt_app_token(&h, &cfg, 1, dt_now_ms() + 3000, &err);
	if (token == NULL)
		fail_msg("%s", err.msg);
	dt_free_secret(token);
	h.proxy_env = 1;
	assert_null(dt_app_token(&h, &cfg, 1, dt_now_ms() + 3000, &err));
	unsetenv("http_proxy");
	dt_http_cleanup(&h);
	dt_modcfg_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_oauth2_names_the_person, reset),
	    cmocka_unit_test_setup(test_oauth2_corp_id_matches, reset),
	    cmocka_unit_test_setup(test_oauth2_other_organisation_is_refused, reset),
	    cmocka_unit_test_setup(test_oauth2_without_corpid_scope_is_refused, reset),
	    cmocka_unit_test_setup(test_throttled_then_success, reset),
	    cmocka_unit_test_setup(test_5xx_then_success, reset),
	    cmocka_unit_test_setup(test_code_exchange_is_not_retried_after_5xx, reset),
	    cmocka_unit_test_setup(test_code_exchange_is_retried_when_throttled, reset),
	    cmocka_unit_test_setup(test_retries_stop_at_the_deadline, reset),
	    cmocka_unit_test_setup(test_bad_answers_are_errors, reset),
	    cmocka_unit_test_setup(test_sns_flow, reset),
	    cmocka_unit_test_setup(test_sns_wrong_secret_is_a_refused_signature, reset),
	    cmocka_unit_test_setup(test_inapp_flow_and_token_cache, reset),
	    cmocka_unit_test_setup(test_token_cache_modes_ignore_umask, reset),
	    cmocka_unit_test_setup(test_token_cache_modes_ignore_umask_0777, reset),
	    cmocka_unit_test_setup(test_refused_token_is_refreshed_once, reset),
	    cmocka_unit_test_setup(test_old_gettoken_api, reset),
	    cmocka_unit_test_setup(test_directory, reset),
	    cmocka_unit_test_setup(test_ip_ban_gives_up_at_once, reset),
	    cmocka_unit_test_setup(test_ip_ban_keeps_the_cached_token, reset),
	    cmocka_unit_test_setup(test_ip_ban_is_shared_by_the_hosts_logins, reset),
	    cmocka_unit_test_setup(test_sns_clock_skew_is_measured, reset),
	    cmocka_unit_test_setup(test_documented_throttles_back_off, reset),
	    cmocka_unit_test_setup(test_blank_token_gets_a_new_one, reset),
	    cmocka_unit_test_setup(test_wrong_base_says_check_api_base, reset),
	    cmocka_unit_test_setup(test_external_contact_through_extcontact, reset),
	    cmocka_unit_test_setup(test_code_exchange_refusals_are_refusals, reset),
	    cmocka_unit_test_setup(test_person_lookups_refuse_what_the_account_steers, reset),
	    cmocka_unit_test_setup(test_leaver_is_not_found, reset),
	    cmocka_unit_test_setup(test_fields_left_out_are_absent, reset),
	    cmocka_unit_test_setup(test_missing_permissions_are_named, reset),
	    cmocka_unit_test_setup(test_tls, reset),
	    cmocka_unit_test_setup(test_proxy_settings, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
