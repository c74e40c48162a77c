/* The `helper` key (conf/helper_urls.c): one Unix socket or a list of
 * https replicas, every refusal explained; and the module's fleet keys
 * as dt_modcfg loads them (the host key, the line that set `helper`). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/helper_urls.h"
#include "conf/modcfg.h"

static void parses(const char *text, unsigned n, const char *first, const char *last)
{
	struct dt_helper_urls u;
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_helper_urls_parse(text, &u, &err) != 0)
		fail_msg("'%s' refused: %s", text, err.msg);
	assert_null(u.socket);
	assert_int_equal(u.n, n);
	assert_string_equal(u.url[0], first);
	assert_string_equal(u.url[n - 1], last);
}

static void refused(const char *text, const char *why)
{
	struct dt_helper_urls u;
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_helper_urls_parse(text, &u, &err) != -1)
		fail_msg("'%s' was accepted", text);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	if (strstr(err.msg, why) == NULL || strncmp(err.msg, "helper: ", 8) != 0)
		fail_msg("'%s': the error \"%s\" lacks \"%s\"", text, err.msg, why);
}

static void test_unix_socket_alone(void **state)
{
	struct dt_helper_urls u;
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_helper_urls_parse("unix:/run/x/control.sock", &u, &err), 0);
	assert_string_equal(u.socket, "/run/x/control.sock");
	assert_int_equal(u.n, 0);
	refused("unix:run/control.sock", "needs an absolute path");
	refused("unix:/run/a.sock https://a.example", "must be the only helper");
	refused("https://a.example unix:/run/a.sock", "must be the only helper");
}

static void test_https_lists(void **state)
{
	(void)state;
	parses("https://a.example:8788", 1, "https://a.example:8788", "https://a.example:8788");
	parses("https://a.example:8788 https://b.example:8788", 2, "https://a.example:8788",
	       "https://b.example:8788");
	parses("https://a.example,https://b.example, https://c.example\thttps://10.0.0.4:443", 4,
	       "https://a.example", "https://10.0.0.4:443");
	parses("https://[::1]:8788, https://[2001:db8::7]", 2, "https://[::1]:8788",
	       "https://[2001:db8::7]");
	/* A pasted trailing slash is not a path. */
	parses("https://a.example/", 1, "https://a.example", "https://a.example");
	parses("https://a.example:8788/", 1, "https://a.example:8788", "https://a.example:8788");
}

static void test_refusals_are_explained(void **state)
{
	(void)state;
	refused("http://a.example:8788", "plain http is refused");
	refused("https://a.example http://b.example", "'http://b.example': plain http is refused");
	refused("https://a.example/v1", "a path, query or fragment is not allowed");
	refused("https://a.example?x=1", "a path, query or fragment is not allowed");
	refused("https://a.example#x", "a path, query or fragment is not allowed");
	refused("https://user:pw@a.example", "user information (user@) is not allowed");
	refused("https://a.example:0", "is not https://HOST[:PORT]");
	refused("https://a.example:65536", "is not https://HOST[:PORT]");
	refused("https://a.example:http", "is not https://HOST[:PORT]");
	refused("https://a.example:", "is not https://HOST[:PORT]");
	refused("https://", "is not https://HOST[:PORT]");
	refused("https://-a.example", "is not https://HOST[:PORT]");
	refused("https://a_b.example", "is not https://HOST[:PORT]");
	refused("https://[::1", "is not https://HOST[:PORT]");
	refused("https://[zz::1]", "is not https://HOST[:PORT]");
	refused("HTTPS://a.example", "is not supported");
	refused("ftp://a.example", "is not supported");
	refused("a.example:8788", "is not supported");
	refused("https://a.example https://a.example", "'https://a.example' is listed twice");
	refused(", ,", "no URL given");
	refused("https://a1 https://a2 https://a3 https://a4 https://a5 https://a6 https://a7 "
		"https://a8 https://a9",
		"more than 8 URLs");
}

/* ---- the keys as the module loads them ---- */

static char *write_temp(const char *text, mode_t mode)
{
	char *path = strdup("/tmp/dt-fleetcfg-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* A key of this host: "KEY_ID SECRET" (43 characters of base64url). */
#define HOST_KEY "# this host\nh-test AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"

/* Loads `text` (with credentials) for `service`, one extra argument. */
static int load(const char *text, const char *arg, struct dt_modcfg *cfg, struct dt_err *err,
		char **conf_path)
{
	char body[2048], conf_arg[512];
	const char *argv[] = {conf_arg, arg};
	int rc;

	snprintf(body, sizeof(body), "client_id = dingabc\nclient_secret = s\n%s", text);
	*conf_path = write_temp(body, 0600);
	snprintf(conf_arg, sizeof(conf_arg), "conf=%s", *conf_path);
	dt_err_clear(err);
	rc = dt_modcfg_load_for(cfg, "sshd", arg != NULL ? 2 : 1, argv, err);
	return rc;
}

static void done(struct dt_modcfg *cfg, char *conf_path)
{
	dt_modcfg_free(cfg);
	unlink(conf_path);
	free(conf_path);
}

static void test_fleet_loads_the_host_key(void **state)
{
	char *key = write_temp(HOST_KEY, 0600), *conf;
	char text[512];
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	snprintf(text, sizeof(text),
		 "helper = https://a.example:8788, https://b.example:8788\nhelper_key_file = %s\n"
		 "helper_ca_file = /etc/ssl/certs/ca-certificates.crt\n",
		 key);
	assert_int_equal(load(text, NULL, &cfg, &err, &conf), 0);
	assert_int_equal(cfg.helpers.n, 2);
	assert_null(cfg.helper_socket);
	assert_string_equal(cfg.helper_key.id, "h-test");
	assert_int_equal(cfg.helper_key.secret[31], 31);
	done(&cfg, conf);
	/* The default single host needs no key. */
	assert_int_equal(load("", NULL, &cfg, &err, &conf), 0);
	assert_int_equal(cfg.helpers.n, 0);
	assert_string_equal(cfg.helper_socket, DT_CONTROL_SOCKET);
	assert_string_equal(cfg.helper_key.id, "");
	done(&cfg, conf);
	unlink(key);
	free(key);
}

/* A fleet without its key is a configuration error naming the file. */
static void test_fleet_key_file_missing_or_unsafe(void **state)
{
	char *key = write_temp(HOST_KEY, 0644), *conf;
	char text[512];
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	assert_int_equal(load("helper = https://a.example\n"
			      "helper_key_file = /nonexistent/pam_dingtalk.hostkey\n",
			      NULL, &cfg, &err, &conf),
			 -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "helper_key_file (needed by helper = https://...): "));
	assert_non_null(strstr(err.msg, "/nonexistent/pam_dingtalk.hostkey"));
	done(&cfg, conf);
	/* Readable by others: refused. */
	snprintf(text, sizeof(text), "helper = https://a.example\nhelper_key_file = %s\n", key);
	assert_int_equal(load(text, NULL, &cfg, &err, &conf), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, key));
	done(&cfg, conf);
	assert_int_equal(load("helper = https://a.example\nhelper_key_file = hostkey\n", NULL, &cfg,
			      &err, &conf),
			 -1);
	assert_string_equal(err.msg, "helper_key_file: 'hostkey' must be an absolute path");
	done(&cfg, conf);
	assert_int_equal(
	    load("helper = https://a.example\nhelper_ca_file = ca.pem\n", NULL, &cfg, &err, &conf),
	    -1);
	assert_string_equal(err.msg, "helper_ca_file: 'ca.pem' must be an absolute path");
	done(&cfg, conf);
	unlink(key);
	free(key);
}

/* A bad `helper` is named by its file and line, or as an argument. */
static void test_helper_errors_name_their_origin(void **state)
{
	char *conf;
	char want[600];
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	/* Line 4: the two credentials, a comment, then the key. */
	assert_int_equal(load("# fleet\nhelper = http://a.example\n", NULL, &cfg, &err, &conf), -1);
	snprintf(want, sizeof(want), "%s:4: helper: 'http://a.example': plain http is refused",
		 conf);
	assert_non_null(strstr(err.msg, want));
	done(&cfg, conf);
	/* The line of the section that applies (sshd), not the top's. */
	assert_int_equal(load("helper = unix:/run/a.sock\n[service sshd]\nhelper = https://a/x\n"
			      "[service sudo]\nhelper = https://b/y\n",
			      NULL, &cfg, &err, &conf),
			 -1);
	snprintf(want, sizeof(want), "%s:5: helper: 'https://a/x'", conf);
	assert_non_null(strstr(err.msg, want));
	done(&cfg, conf);
	assert_int_equal(
	    load("helper = https://a.example\n", "helper=http://b.example", &cfg, &err, &conf), -1);
	assert_non_null(
	    strstr(err.msg, "module argument: helper: 'http://b.example': plain http is refused"));
	done(&cfg, conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unix_socket_alone),
	    cmocka_unit_test(test_https_lists),
	    cmocka_unit_test(test_refusals_are_explained),
	    cmocka_unit_test(test_fleet_loads_the_host_key),
	    cmocka_unit_test(test_fleet_key_file_missing_or_unsafe),
	    cmocka_unit_test(test_helper_errors_name_their_origin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
