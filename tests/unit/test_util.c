/* Small shared pieces: encodings, random values, sanitizing, URLs, the
 * session's secrets, and the map file. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/cfg.h"
#include "access/mapfile.h"
#include "base/peer.h"
#include "conf/modcfg.h"
#include "login/requester.h"
#include "login/session.h"
#include "base/util.h"
#include "proto/control_api.h"

/* helper_user: a name or a numeric uid; an unknown name is a
 * configuration error naming the key. */
static void test_peer_user(void **state)
{
	struct dt_err err;
	uid_t uid = 1;

	(void)state;
	assert_int_equal(dt_peer_user_uid("helper_user", "root", &uid, &err), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(dt_peer_user_uid("helper_user", "4243", &uid, &err), 0);
	assert_int_equal(uid, 4243);
	assert_int_equal(dt_peer_user_uid("helper_user", "no-such-user-dt", &uid, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_string_equal(err.msg, "helper_user: no user 'no-such-user-dt' on this host");
	assert_int_equal(dt_peer_user_uid("helper_user", "-1", &uid, &err), -1);
	assert_int_equal(dt_peer_user_uid("helper_user", "4294967295", &uid, &err), -1);
	assert_int_equal(dt_peer_uid(-1, &uid), -1);
}

/* The peer rule in the process's own terms: root and its own uid trusted,
 * any other uid not. Returns 0 when it holds, for a child's exit status. */
static int peer_rule_holds(void)
{
	const uid_t self = geteuid();
	const uid_t other = self == 4243 ? 4244 : 4243;

	return dt_peer_trusted(0) && dt_peer_trusted(self) && !dt_peer_trusted(other) ? 0 : 1;
}

/* A root process trusts a root peer alone; one that is not root also a
 * peer of its own uid (a helper that runs as the same user). As root the
 * second half runs in a child that has become nobody. */
static void test_peer_trusted(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(peer_rule_holds(), 0);
	if (geteuid() != 0)
		return;
	assert_false(dt_peer_trusted(65534));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(setgid(65534) != 0 || setuid(65534) != 0 ? 2 : peer_rule_holds());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* One spelling of "out of memory", with or without where it happened. */
static void test_out_of_memory(void **state)
{
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_err_oom(&err), -1);
	assert_int_equal(err.kind, DT_ERR_NOMEM);
	assert_string_equal(err.msg, "out of memory");
	assert_int_equal(dt_err_oom_in(&err, "/etc/x.conf"), -1);
	assert_int_equal(err.kind, DT_ERR_NOMEM);
	assert_string_equal(err.msg, "/etc/x.conf: out of memory");
	assert_string_equal(dt_err_kind_name(DT_ERR_NOMEM), "out of memory");
	assert_int_equal(dt_err_oom(NULL), -1);
}

static void test_urlencode(void **state)
{
	char *s = dt_urlencode("a b&c=d/é~._-");

	(void)state;
	assert_string_equal(s, "a%20b%26c%3Dd%2F%C3%A9~._-");
	free(s);
}

static void test_base64url(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(dt_base64url((const unsigned char *)"\xfb\xff", 2, out, sizeof(out)), 3);
	assert_string_equal(out, "-_8");
	assert_int_equal(dt_base64url((const unsigned char *)"abc", 3, out, sizeof(out)), 4);
	assert_string_equal(out, "YWJj");
	assert_int_equal(dt_base64url((const unsigned char *)"abc", 3, out, 4), -1);
}

static void test_random_token_shape(void **state)
{
	char a[64], b[64];

	(void)state;
	assert_int_equal(dt_random_token(a, sizeof(a), 24), 0);
	assert_int_equal(dt_random_token(b, sizeof(b), 24), 0);
	assert_int_equal(strlen(a), 32);
	assert_true(dt_is_token(a, 32, 32));
	assert_string_not_equal(a, b);
	assert_int_equal(dt_random_token(a, 8, 24), -1);
}

static void test_random_range_covers_all_values(void **state)
{
	int seen[100] = {0}, i, distinct = 0;
	unsigned v;

	(void)state;
	for (i = 0; i < 5000; i++) {
		assert_int_equal(dt_random_range(10, 99, &v), 0);
		assert_true(v >= 10 && v <= 99);
		seen[v]++;
	}
	for (i = 10; i <= 99; i++)
		distinct += seen[i] > 0;
	assert_int_equal(distinct, 90);
	assert_int_equal(dt_random_range(5, 4, &v), -1);
}

static void test_is_token(void **state)
{
	(void)state;
	assert_true(dt_is_token("abc-_Z9", 1, 10));
	assert_false(dt_is_token("abc", 4, 10));
	assert_false(dt_is_token("abcdef", 1, 5));
	assert_false(dt_is_token("a/b", 1, 5));
	assert_false(dt_is_token("", 1, 5));
	assert_false(dt_is_token(NULL, 0, 5));
}

static void test_sanitize_text(void **state)
{
	char s1[] = "Mal\033[31mlory\r\n\x7f";
	char s2[] = "\xe5\xbc\xa0\xe4\xb8\x89 ok";   /* valid UTF-8 stays */
	char s3[] = "bad\xff\xfe utf8 \xc2\x9b csi"; /* invalid and C1 go */

	(void)state;
	dt_sanitize_text(s1);
	assert_string_equal(s1, "Mal?[31mlory???");
	dt_sanitize_text(s2);
	assert_string_equal(s2, "\xe5\xbc\xa0\xe4\xb8\x89 ok");
	dt_sanitize_text(s3);
	assert_string_equal(s3, "bad?? utf8 ?? csi");
}

static void test_session_and_authorize_url(void **state)
{
	char client_id[] = "ding app&x", login_base[] = "https://login.dingtalk.com";
	struct dt_modcfg cfg;
	struct dt_session s1, s2;
	char *url;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.client_id = client_id;
	cfg.login_base = login_base;
	assert_int_equal(dt_session_new(&s1, NULL), 0);
	assert_int_equal(dt_session_new(&s2, NULL), 0);
	assert_true(s1.number >= 10 && s1.number <= 99);
	assert_int_equal(strlen(s1.state), DT_STATE_LEN);
	assert_string_not_equal(s1.state, s2.state);
	url = dt_authorize_url(&cfg, &s1, NULL);
	assert_non_null(strstr(url, "https://login.dingtalk.com/oauth2/auth?response_type=code"));
	assert_non_null(strstr(url, "&client_id=ding%20app%26x&"));
	assert_non_null(strstr(url, "&scope=openid&"));
	assert_non_null(strstr(url, s1.state));
	assert_non_null(strstr(url, "&prompt=consent"));
	assert_null(strstr(url, "redirect_uri"));
	free(url);
	dt_session_wipe(&s1);
	assert_int_equal(s1.state[0], '\0');
}

static void test_authorize_url_per_flow(void **state)
{
	char client_id[] = "dingapp", login_base[] = "https://login.dingtalk.com",
	     oapi_base[] = "https://oapi.dingtalk.com", corp[] = "dingcorp";
	struct dt_modcfg cfg;
	struct dt_session s;
	struct dt_err err;
	char *url;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.client_id = client_id;
	cfg.login_base = login_base;
	cfg.oapi_base = oapi_base;
	assert_int_equal(dt_session_new(&s, NULL), 0);
	cfg.corp_id = corp;
	url = dt_authorize_url(&cfg, &s, NULL);
	assert_non_null(strstr(url, "/oauth2/auth?"));
	assert_non_null(strstr(url, "&scope=openid%20corpid&corpId=dingcorp&"));
	free(url);
	cfg.flow = DT_FLOW_SNS;
	url = dt_authorize_url(&cfg, &s, NULL);
	assert_non_null(strstr(url, "https://oapi.dingtalk.com/connect/qrconnect?appid=dingapp"
				    "&response_type=code&scope=snsapi_login&state="));
	assert_non_null(strstr(url, s.state));
	assert_null(strstr(url, "redirect_uri"));
	free(url);
	cfg.flow = DT_FLOW_INAPP;
	cfg.corp_id = NULL;
	assert_null(dt_authorize_url(&cfg, &s, &err)); /* no corp_id */
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "corp_id"));
	cfg.corp_id = corp;
	url = dt_authorize_url(&cfg, &s, NULL);
	assert_non_null(strstr(url, "dingtalk-inapp:?corpId=dingcorp&state="));
	assert_non_null(strstr(url, s.state));
	/* The page's dd.requestAuthCode needs the AppKey. */
	assert_non_null(strstr(url, "&clientId=dingapp"));
	assert_string_equal(strstr(url, "&clientId="), "&clientId=dingapp");
	free(url);
	cfg.client_id = corp + 8; /* "" */
	assert_null(dt_authorize_url(&cfg, &s, &err));
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "client_id"));
	cfg.client_id = login_base; /* not a token: it would break the pseudo-URL */
	assert_null(dt_authorize_url(&cfg, &s, &err));
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "client_id"));
}

static int finish_with(const char *extra, struct dt_err *err)
{
	char text[512];
	struct dt_modcfg cfg;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(text, sizeof(text), "client_id = a\nclient_secret = b\n%s\n", extra);
	rc = dt_cfg_parse_text(text, strlen(text), "t", dt_modcfg_keys, &cfg, NULL, NULL, err);
	if (rc == 0)
		rc = dt_modcfg_finish(&cfg, err);
	dt_modcfg_free(&cfg);
	return rc;
}

static void test_client_keys_are_checked(void **state)
{
	struct dt_err err;

	(void)state;
	assert_int_equal(finish_with("flow = sns\ntoken_api = gettoken\ndirectory = yes", &err), 0);
	assert_int_equal(finish_with("flow = inapp", &err), -1);
	assert_non_null(strstr(err.msg, "flow = inapp needs corp_id"));
	assert_int_equal(finish_with("flow = inapp\ncorp_id = dingcorp", &err), 0);
	assert_int_equal(finish_with("flow = qr", &err), -1);
	assert_non_null(strstr(err.msg, "oauth2|sns|inapp"));
	assert_int_equal(finish_with("token_cache = relative/file", &err), -1);
	assert_non_null(strstr(err.msg, "must be an absolute path"));
	assert_int_equal(finish_with("oapi_base = http://oapi.example.com", &err), -1);
	assert_non_null(strstr(err.msg, "oapi_base"));
	assert_int_equal(finish_with("corp_id = ding\x01corp", &err), -1);
}

#define MAP                                                                                        \
	"# unionId   accounts\n"                                                                   \
	"\n"                                                                                       \
	"uAlice  alice alice-admin\n"                                                              \
	"  uBob\tbob   \r\n"                                                                       \
	"uCarol carol # trailing words are accounts too\n"

/* The helper's per-requester quota key: the real uid of a setuid caller,
 * whatever else it says; address and account for a remote login; service
 * and account otherwise; bounded. */
static void test_requester(void **state)
{
	char out[DT_CONTROL_REQUESTER_MAX + 1], big[1000];

	(void)state;
	dt_requester(out, sizeof(out), 1001, "10.0.0.5", "sudo", "root");
	assert_string_equal(out, "uid:1001");
	dt_requester(out, sizeof(out), 0, "10.0.0.5", "sshd", "alice");
	assert_string_equal(out, "rhost:10.0.0.5 user:alice");
	dt_requester(out, sizeof(out), 0, "", "login", "alice");
	assert_string_equal(out, "local:login user:alice");
	dt_requester(out, sizeof(out), 0, NULL, "login", NULL);
	assert_string_equal(out, "local:login user:-");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dt_requester(out, sizeof(out), 0, big, "sshd", big);
	assert_true(strlen(out) <= DT_CONTROL_REQUESTER_MAX);
	assert_true(strncmp(out, "rhost:xxx", 9) == 0);
}

/* The requester without the account, for the helper's per-address quota:
 * the same three cases and prefixes, the account never in it. */
static void test_requester_address(void **state)
{
	char out[DT_CONTROL_REQUESTER_MAX + 1], big[1000];

	(void)state;
	dt_requester_address(out, sizeof(out), 1001, "10.0.0.5", "sudo");
	assert_string_equal(out, "uid:1001");
	dt_requester_address(out, sizeof(out), 0, "2001:db8::5", "sshd");
	assert_string_equal(out, "rhost:2001:db8::5");
	dt_requester_address(out, sizeof(out), 0, "", "login");
	assert_string_equal(out, "local:login");
	dt_requester_address(out, sizeof(out), 0, NULL, NULL);
	assert_string_equal(out, "local:-");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dt_requester_address(out, sizeof(out), 0, big, "sshd");
	assert_true(strlen(out) <= DT_CONTROL_REQUESTER_MAX);
	assert_true(strncmp(out, "rhost:xxx", 9) == 0);
}

static void test_map_lookup(void **state)
{
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	assert_int_equal(
	    dt_map_match_text(MAP, strlen(MAP), "m", "uAlice", "alice-admin", &r, &err), 0);
	assert_true(r.allowed);
	assert_int_equal(dt_map_match_text(MAP, strlen(MAP), "m", "uBob", "bob", &r, &err), 0);
	assert_true(r.allowed);
	assert_int_equal(dt_map_match_text(MAP, strlen(MAP), "m", "uBob", "alice", &r, &err), 0);
	assert_false(r.allowed);
	assert_true(r.known);
	assert_string_equal(r.other_user, "bob");
	assert_int_equal(dt_map_match_text(MAP, strlen(MAP), "m", "uEve", "alice", &r, &err), 0);
	assert_false(r.allowed);
	assert_false(r.known);
	/* A prefix of a unionId is not that unionId. */
	assert_int_equal(dt_map_match_text(MAP, strlen(MAP), "m", "uAli", "alice", &r, &err), 0);
	assert_false(r.allowed);
}

static void test_map_errors_name_the_line(void **state)
{
	const char *bad = "uAlice alice\nuLonely\n";
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	/* Even when an earlier line matches: a broken file fails every login. */
	assert_int_equal(dt_map_match_text(bad, strlen(bad), "/etc/m", "uAlice", "alice", &r, &err),
			 -1);
	assert_string_equal(err.msg,
			    "/etc/m:2: 'uLonely' names no local account (want 'unionId user...')");
}

static void test_map_long_lines(void **state)
{
	size_t n = 100000;
	char *text = malloc(n + 32);
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	memset(text, 'x', n);
	strcpy(text + n, " alice\nuAlice alice\n");
	assert_int_equal(dt_map_match_text(text, strlen(text), "m", "uAlice", "alice", &r, &err),
			 0);
	assert_true(r.allowed);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peer_user),
	    cmocka_unit_test(test_peer_trusted),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_urlencode),
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_random_token_shape),
	    cmocka_unit_test(test_random_range_covers_all_values),
	    cmocka_unit_test(test_is_token),
	    cmocka_unit_test(test_sanitize_text),
	    cmocka_unit_test(test_session_and_authorize_url),
	    cmocka_unit_test(test_authorize_url_per_flow),
	    cmocka_unit_test(test_client_keys_are_checked),
	    cmocka_unit_test(test_requester),
	    cmocka_unit_test(test_requester_address),
	    cmocka_unit_test(test_map_lookup),
	    cmocka_unit_test(test_map_errors_name_the_line),
	    cmocka_unit_test(test_map_long_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
