/* The one config parser: trimming, types, unknown keys, sections, and the
 * file safety checks; the module's list-valued keys parsed once. */
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

#include "conf/cfg.h"
#include "conf/base_url.h"
#include "conf/modcfg.h"

static const char *const colours[] = {"red", "green", NULL};

struct sample {
	char *name;
	char *secret;
	unsigned count;
	int flag;
	int colour;
};

static const struct dt_cfg_key sample_keys[] = {
    {"name", DT_CFG_STRING, offsetof(struct sample, name), 0, 0, NULL, 0},
    {"secret", DT_CFG_STRING, offsetof(struct sample, secret), 0, 0, NULL, 1},
    {"count", DT_CFG_UINT, offsetof(struct sample, count), 1, 10, NULL, 0},
    {"flag", DT_CFG_BOOL, offsetof(struct sample, flag), 0, 0, NULL, 0},
    {"colour", DT_CFG_ENUM, offsetof(struct sample, colour), 0, 0, colours, 0},
    DT_CFG_END,
};

static int parse(const char *text, struct sample *s, struct dt_err *err)
{
	memset(s, 0, sizeof(*s));
	dt_err_clear(err);
	return dt_cfg_parse_text(text, strlen(text), "t.conf", sample_keys, s, NULL, NULL, err);
}

static void test_values_are_trimmed(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	assert_int_equal(
	    parse("  name =  alice \t\r\n# c\n\nsecret=\tabc  \ncount = 7\nflag = yes\n"
		  "colour = green\n",
		  &s, &err),
	    0);
	assert_string_equal(s.name, "alice");
	assert_string_equal(s.secret, "abc");
	assert_int_equal(s.count, 7);
	assert_int_equal(s.flag, 1);
	assert_int_equal(s.colour, 1);
	dt_cfg_free(sample_keys, &s);
	assert_null(s.name);
}

static void test_unknown_key_names_file_and_line(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	assert_int_equal(parse("name = a\n\nnmae = b\n", &s, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_string_equal(err.msg, "t.conf:3: unknown key 'nmae'");
	dt_cfg_free(sample_keys, &s);
}

static void test_bad_values_are_explained(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	assert_int_equal(parse("count = 11\n", &s, &err), -1);
	assert_string_equal(err.msg,
			    "t.conf:1: key 'count' wants a whole number from 1 to 10, not '11'");
	assert_int_equal(parse("count = -1\n", &s, &err), -1);
	assert_int_equal(parse("count = 3x\n", &s, &err), -1);
	assert_int_equal(parse("flag = maybe\n", &s, &err), -1);
	assert_string_equal(err.msg, "t.conf:1: key 'flag' wants yes or no, not 'maybe'");
	assert_int_equal(parse("colour = blue\n", &s, &err), -1);
	assert_string_equal(err.msg, "t.conf:1: key 'colour' wants one of red|green, not 'blue'");
	assert_int_equal(parse("name =\n", &s, &err), -1);
	assert_string_equal(err.msg, "t.conf:1: key 'name' has an empty value");
	assert_int_equal(parse("just words\n", &s, &err), -1);
	assert_string_equal(err.msg, "t.conf:1: expected 'key = value'");
	assert_int_equal(parse(" = x\n", &s, &err), -1);
	dt_cfg_free(sample_keys, &s);
}

static void test_secret_values_are_never_echoed(void **state)
{
	struct sample s;
	struct dt_err err;
	struct dt_cfg_key keys[] = {
	    {"secret", DT_CFG_UINT, offsetof(struct sample, count), 1, 2, NULL, 1}, DT_CFG_END};

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    dt_cfg_parse_text("secret = hunter2\n", 17, "t.conf", keys, &s, NULL, NULL, &err), -1);
	assert_null(strstr(err.msg, "hunter2"));
	assert_non_null(strstr(err.msg, "(hidden)"));
}

static void test_sections_need_a_handler(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	assert_int_equal(parse("[service sudo]\nname = x\n", &s, &err), -1);
	assert_string_equal(err.msg, "t.conf:1: unknown section '[service sudo]'");
	assert_int_equal(parse("[broken\n", &s, &err), -1);
	dt_cfg_free(sample_keys, &s);
}

static void test_later_values_override(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	assert_int_equal(parse("name = a\nname = b\n", &s, &err), 0);
	assert_string_equal(s.name, "b");
	dt_cfg_free(sample_keys, &s);
}

static void test_nul_byte_is_refused(void **state)
{
	struct sample s;
	struct dt_err err;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    dt_cfg_parse_text("name = a\0b\n", 11, "t.conf", sample_keys, &s, NULL, NULL, &err),
	    -1);
}

static char *write_temp(const char *text, mode_t mode)
{
	char *path = strdup("/tmp/dt-cfg-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void test_file_protection(void **state)
{
	struct sample s;
	struct dt_err err;
	char *path = write_temp("name = a\n", 0600);
	char link[64];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_SECRET, sample_keys, &s, NULL, NULL, &err),
			 0);
	assert_string_equal(s.name, "a");
	chmod(path, 0640);
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_SECRET, sample_keys, &s, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "mode 0640 is too open"));
	/* A public file may be readable, but never writable, by others. */
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_PUBLIC, sample_keys, &s, NULL, NULL, &err),
			 0);
	chmod(path, 0620);
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_PUBLIC, sample_keys, &s, NULL, NULL, &err),
			 -1);
	chmod(path, 0600);
	snprintf(link, sizeof(link), "%s.lnk", path);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(dt_cfg_load_file(link, DT_FILE_SECRET, sample_keys, &s, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "symbolic links are refused"));
	unlink(link);
	unlink(path);
	free(path);
	dt_cfg_free(sample_keys, &s);
}

/* As root, a configuration file of another user is refused (giving a
 * file away takes root). */
static void test_file_owner(void **state)
{
	struct sample s;
	struct dt_err err;
	char *path;

	(void)state;
	if (geteuid() != 0)
		skip();
	path = write_temp("name = a\n", 0600);
	memset(&s, 0, sizeof(s));
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_SECRET, sample_keys, &s, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "must be owned by root"));
	unlink(path);
	free(path);
	dt_cfg_free(sample_keys, &s);
}

static void test_oversized_file_is_refused(void **state)
{
	struct sample s;
	struct dt_err err;
	size_t n = DT_CFG_MAX_BYTES + 1;
	char *big = malloc(n + 1);
	char *path;

	(void)state;
	memset(big, '#', n);
	big[n] = '\0';
	path = write_temp(big, 0600);
	memset(&s, 0, sizeof(s));
	assert_int_equal(dt_cfg_load_file(path, DT_FILE_SECRET, sample_keys, &s, NULL, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "larger than"));
	unlink(path);
	free(path);
	free(big);
}

static void test_module_config_defaults_and_arguments(void **state)
{
	char *path = write_temp("client_id = dingabc\nclient_secret = s3cret \n", 0600);
	char conf_arg[64];
	const char *argv[] = {conf_arg, "timeout=30", "debug"};
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	snprintf(conf_arg, sizeof(conf_arg), "conf=%s", path);
	assert_int_equal(dt_modcfg_load(&cfg, 3, argv, &err), 0);
	assert_string_equal(cfg.client_secret, "s3cret");
	assert_int_equal(cfg.timeout, 30);
	assert_int_equal(cfg.debug, 1);
	assert_string_equal(cfg.helper, DT_DEFAULT_HELPER);
	assert_string_equal(cfg.api_base, DT_DEFAULT_API_BASE);
	dt_modcfg_free(&cfg);
	argv[1] = "nosuchoption";
	assert_int_equal(dt_modcfg_load(&cfg, 2, argv, &err), -1);
	assert_string_equal(err.msg, "module argument 'nosuchoption': unknown");
	dt_modcfg_free(&cfg);
	argv[1] = "client_secret=leaked";
	assert_int_equal(dt_modcfg_load(&cfg, 2, argv, &err), -1);
	assert_non_null(strstr(err.msg, "'client_secret': refused: files in /etc/pam.d"));
	assert_null(strstr(err.msg, "leaked"));
	dt_modcfg_free(&cfg);
	argv[1] = "bad\033[2Jarg";
	assert_int_equal(dt_modcfg_load(&cfg, 2, argv, &err), -1);
	assert_string_equal(err.msg, "module argument 'bad?[2Jarg': unknown");
	dt_modcfg_free(&cfg);
	argv[1] = "api_base=http://dingtalk.example.com";
	assert_int_equal(dt_modcfg_load(&cfg, 2, argv, &err), -1);
	assert_non_null(strstr(err.msg, "only allowed to a loopback"));
	dt_modcfg_free(&cfg);
	unlink(path);
	free(path);
}

static void test_module_config_requires_credentials(void **state)
{
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(dt_modcfg_finish(&cfg, &err), -1);
	assert_string_equal(err.msg, "required key 'client_id' is not set");
	dt_modcfg_free(&cfg);
}

static int load_for(const char *text, const char *service, struct dt_modcfg *cfg,
		    struct dt_err *err, const char *extra_arg)
{
	char *path = write_temp(text, 0600);
	char conf_arg[512];
	const char *argv[] = {conf_arg, extra_arg};
	int rc;

	snprintf(conf_arg, sizeof(conf_arg), "conf=%s", path);
	dt_err_clear(err);
	rc = dt_modcfg_load_for(cfg, service, extra_arg != NULL ? 2 : 1, argv, err);
	unlink(path);
	free(path);
	return rc;
}

#define CREDENTIALS "client_id = dingabc\nclient_secret = s\n"

static void test_service_sections(void **state)
{
	const char *text = CREDENTIALS "timeout = 20\n"
				       "[service sudo]\ntimeout = 40\nfailmode = safe\n"
				       "[ service  sshd ]\ntimeout = 50\n";
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	assert_int_equal(load_for(text, "sudo", &cfg, &err, NULL), 0);
	assert_int_equal(cfg.timeout, 40);
	assert_int_equal(cfg.failmode, DT_FAILMODE_SAFE);
	dt_modcfg_free(&cfg);
	assert_int_equal(load_for(text, "sshd", &cfg, &err, NULL), 0);
	assert_int_equal(cfg.timeout, 50);
	assert_int_equal(cfg.failmode, DT_FAILMODE_SECURE);
	dt_modcfg_free(&cfg);
	assert_int_equal(load_for(text, "login", &cfg, &err, NULL), 0);
	assert_int_equal(cfg.timeout, 20);
	dt_modcfg_free(&cfg);
	/* A module argument is the most specific of all. */
	assert_int_equal(load_for(text, "sudo", &cfg, &err, "timeout=60"), 0);
	assert_int_equal(cfg.timeout, 60);
	dt_modcfg_free(&cfg);
}

static void test_bad_sections(void **state)
{
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	assert_int_equal(load_for(CREDENTIALS "[sudo]\ntimeout = 40\n", "sudo", &cfg, &err, NULL),
			 -1);
	assert_non_null(strstr(err.msg, ":3: unknown section '[sudo]' (want [service NAME])"));
	dt_modcfg_free(&cfg);
	assert_int_equal(load_for(CREDENTIALS "[service]\n", "sudo", &cfg, &err, NULL), -1);
	assert_int_equal(load_for(CREDENTIALS "[service a b]\n", "a", &cfg, &err, NULL), -1);
	assert_non_null(strstr(err.msg, "must name exactly one service"));
	dt_modcfg_free(&cfg);
	/* A typo in another service's section is still an error. */
	assert_int_equal(
	    load_for(CREDENTIALS "[service sshd]\ntimout = 5\n", "sudo", &cfg, &err, NULL), -1);
	assert_non_null(strstr(err.msg, ":4: unknown key 'timout'"));
	dt_modcfg_free(&cfg);
}

static void test_policy_keys(void **state)
{
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	assert_int_equal(load_for(CREDENTIALS, NULL, &cfg, &err, NULL), 0);
	assert_int_equal(cfg.allow_root, 0);
	assert_int_equal(cfg.failmode, DT_FAILMODE_SECURE);
	assert_int_equal(cfg.audit, DT_AUDIT_TEXT);
	assert_string_equal(cfg.text.map, "file");
	assert_null(cfg.text.only_groups);
	dt_modcfg_free(&cfg);
	assert_int_equal(load_for(CREDENTIALS "only_groups = staff !\n", NULL, &cfg, &err, NULL),
			 -1);
	assert_string_equal(err.msg, "only_groups: '!' is not a group name");
	dt_modcfg_free(&cfg);
	assert_int_equal(load_for(CREDENTIALS "failmode = open\n", NULL, &cfg, &err, NULL), -1);
	assert_non_null(strstr(err.msg, "wants one of secure|safe"));
	dt_modcfg_free(&cfg);
}

/* The list-valued keys arrive parsed, once, in typed fields; a list of
 * only separators is still given (skip_groups = , skips everyone, as the
 * text did). */
static void test_policy_keys_are_parsed(void **state)
{
	const char *text = CREDENTIALS "map = file, directory:email\n"
				       "map_transform = lower strip_domain\n"
				       "email_domain = example.com Corp.Example\n"
				       "only_groups = staff !contractors\n"
				       "skip_groups = ,\n"
				       "allowed_depts = 1, 7\n"
				       "qr = ascii\n";
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	assert_int_equal(load_for(text, NULL, &cfg, &err, NULL), 0);
	assert_int_equal(cfg.map.n, 2);
	assert_int_equal(cfg.map.src[0].kind, DT_MAP_FILE);
	assert_int_equal(cfg.map.src[1].kind, DT_MAP_DIRECTORY);
	assert_int_equal(cfg.map.src[1].field, DT_DIR_EMAIL);
	assert_int_equal(cfg.map_transform, DT_XFORM_LOWER | DT_XFORM_STRIP_DOMAIN);
	assert_int_equal(cfg.email_domain.n, 2);
	assert_string_equal(cfg.email_domain.name[1], "Corp.Example");
	assert_true(cfg.only_groups.set);
	assert_int_equal(cfg.only_groups.n, 2);
	assert_string_equal(cfg.only_groups.group[1].name, "contractors");
	assert_true(cfg.only_groups.group[1].negated);
	assert_true(cfg.skip_groups.set);
	assert_int_equal(cfg.skip_groups.n, 0);
	assert_true(cfg.allowed_depts.set);
	assert_int_equal(cfg.allowed_depts.n, 2);
	assert_true(cfg.allowed_depts.id[1] == 7);
	assert_string_equal(cfg.text.allowed_depts, "1, 7");
	assert_int_equal(cfg.qr, DT_QR_ASCII);
	assert_string_equal(cfg.helper_socket, "/run/dingtalk-callbackd/control.sock");
	dt_modcfg_free(&cfg);
	/* Unset keys: empty lists, not given. */
	assert_int_equal(load_for(CREDENTIALS, NULL, &cfg, &err, NULL), 0);
	assert_false(cfg.only_groups.set);
	assert_false(cfg.allowed_depts.set);
	assert_int_equal(cfg.email_domain.n, 0);
	assert_int_equal(cfg.map_transform, 0);
	dt_modcfg_free(&cfg);
}

/* Under su the working directory is the caller's: every path the module
 * opens must be absolute (helper already must be unix:/...). */
static void test_relative_paths_are_refused(void **state)
{
	static const char *const lines[] = {"map_file = pam_dingtalk.map\n", "ca_file = ca.pem\n",
					    "recovery_file = recovery\n",
					    "token_cache = cache/app-token\n"};
	const char *argv[] = {"conf=pam_dingtalk.conf"};
	struct dt_modcfg cfg;
	struct dt_err err;
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(text, sizeof(text), CREDENTIALS "%s", lines[i]);
		assert_int_equal(load_for(text, NULL, &cfg, &err, NULL), -1);
		assert_non_null(strstr(err.msg, "must be an absolute path"));
		dt_modcfg_free(&cfg);
	}
	dt_err_clear(&err);
	assert_int_equal(dt_modcfg_load(&cfg, 1, argv, &err), -1);
	assert_string_equal(err.msg, "conf: 'pam_dingtalk.conf' must be an absolute path");
	dt_modcfg_free(&cfg);
}

static void test_base_urls(void **state)
{
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_check_base_url("k", "https://api.dingtalk.com", &err), 0);
	assert_int_equal(dt_check_base_url("k", "http://127.0.0.1:8080", &err), 0);
	assert_int_equal(dt_check_base_url("k", "http://localhost:1/x", &err), 0);
	assert_int_equal(dt_check_base_url("k", "http://[::1]:99", &err), 0);
	assert_int_equal(dt_check_base_url("k", "http://127.0.0.1.evil.com", &err), -1);
	assert_int_equal(dt_check_base_url("k", "http://localhost.evil.com", &err), -1);
	assert_int_equal(dt_check_base_url("k", "http://user@127.0.0.1", &err), -1);
	assert_int_equal(dt_check_base_url("k", "ftp://x", &err), -1);
	assert_int_equal(dt_check_base_url("k", "https://", &err), -1);
	assert_int_equal(dt_check_base_url("k", "https://a b", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_are_trimmed),
	    cmocka_unit_test(test_unknown_key_names_file_and_line),
	    cmocka_unit_test(test_bad_values_are_explained),
	    cmocka_unit_test(test_secret_values_are_never_echoed),
	    cmocka_unit_test(test_sections_need_a_handler),
	    cmocka_unit_test(test_later_values_override),
	    cmocka_unit_test(test_nul_byte_is_refused),
	    cmocka_unit_test(test_file_protection),
	    cmocka_unit_test(test_file_owner),
	    cmocka_unit_test(test_oversized_file_is_refused),
	    cmocka_unit_test(test_module_config_defaults_and_arguments),
	    cmocka_unit_test(test_module_config_requires_credentials),
	    cmocka_unit_test(test_base_urls),
	    cmocka_unit_test(test_relative_paths_are_refused),
	    cmocka_unit_test(test_service_sections),
	    cmocka_unit_test(test_bad_sections),
	    cmocka_unit_test(test_policy_keys),
	    cmocka_unit_test(test_policy_keys_are_parsed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
