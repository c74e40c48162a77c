/* set_user's account resolution with hostile inputs: which local accounts
 * an approved identity serves through the map file (several lines, a
 * fleet's accounts missing here, names no account can have, prefixes of
 * other unionIds) and the directory (email local part, transformations,
 * unusable fields), how many it takes to refuse, and that userfile never
 * takes part. */
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

#include "access/accounts.h"
#include "access/mapfile.h"
#include "conf/lists.h"
#include "conf/map_spec.h"
#include "conf/modcfg.h"

/* The structures hold char *; these literals are never written to. */
#define TEXT(s) ((char *)(uintptr_t)(s))

/* The local accounts of the test host; anything else does not exist. */
static const char *const local_users[] = {"alice", "alice-admin", "bob", "root", "a0",
					  "a1",	   "a2",	  "a3",	 "a4",	 "a5",
					  "a6",	   "a7",	  "a8",	 "a9",	 NULL};

static int exists(void *ctx, const char *user)
{
	size_t i;

	(void)ctx;
	for (i = 0; local_users[i] != NULL; i++)
		if (strcmp(local_users[i], user) == 0)
			return 1;
	return 0;
}

static char map_path[64];

/* A map file of this process's own (root's as root), as the module
 * requires. */
static void write_map(const char *text)
{
	int fd;

	snprintf(map_path, sizeof(map_path), "/tmp/dt-accounts-XXXXXX");
	fd = mkstemp(map_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
}

/* The parsed keys: `map`, `map_transform` (NULL: unset) and
 * email_domain = example.com, as conf/ gives them. */
static void configure(struct dt_modcfg *cfg, const char *map, const char *xform)
{
	struct dt_err err;

	assert_int_equal(dt_map_spec_parse(map, &cfg->map, &err), 0);
	cfg->map_transform = 0;
	if (xform != NULL)
		assert_int_equal(dt_map_transform_parse(xform, &cfg->map_transform, &err), 0);
	assert_int_equal(dt_domain_list_parse("example.com", &cfg->email_domain, &err), 0);
}

static int resolve(const char *map, const struct dt_identity *who, struct dt_accounts *out,
		   struct dt_err *err)
{
	struct dt_modcfg cfg = {.map_file = map_path};
	struct dt_accounts_query q = {.cfg = &cfg, .exists = exists, .ctx = NULL, .log = NULL};
	int rc;

	configure(&cfg, map, NULL);
	dt_err_clear(err);
	rc = dt_accounts_for(&q, who, out, err);
	dt_domain_list_free(&cfg.email_domain);
	return rc;
}

static int resolve_file(const char *text, const char *union_id, struct dt_accounts *out,
			struct dt_err *err)
{
	struct dt_identity who = {.union_id = TEXT(union_id), .nick = TEXT("N")};
	int rc;

	write_map(text);
	rc = resolve("file", &who, out, err);
	unlink(map_path);
	return rc;
}

static void test_one_account(void **state)
{
	struct dt_accounts a;
	struct dt_err err;
	struct dt_identity who = {.union_id = TEXT("u2"), .nick = TEXT("Bob")};

	(void)state;
	assert_int_equal(resolve_file("u1 alice alice-admin\nu2 bob\n", "u2", &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(dt_accounts_single(&a, &who, &err), "bob");
}

static void test_several_accounts_are_refused(void **state)
{
	struct dt_accounts a;
	struct dt_err err;
	struct dt_identity who = {.union_id = TEXT("u1"), .nick = TEXT("Alice")};

	(void)state;
	assert_int_equal(resolve_file("u1 alice alice-admin\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, 2);
	assert_null(dt_accounts_single(&a, &who, &err));
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_string_equal(err.msg, "set_user: unionId u1 (Alice) serves several accounts (alice "
				     "alice-admin): set_user does not choose; type the user name "
				     "to log in");
}

static void test_no_account_is_refused(void **state)
{
	struct dt_accounts a;
	struct dt_err err;
	struct dt_identity who = {.union_id = TEXT("u9"), .nick = TEXT("Mallory")};

	(void)state;
	assert_int_equal(resolve_file("u1 alice\n", "u9", &a, &err), 0);
	assert_int_equal(a.n, 0);
	assert_null(dt_accounts_single(&a, &who, &err));
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_string_equal(err.msg,
			    "set_user: unionId u9 (Mallory) is bound to no local account here");
}

/* "u1" is a prefix of "u10": never the same identity. */
static void test_no_prefix_matches(void **state)
{
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	assert_int_equal(resolve_file("u10 alice\nu1x bob\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, 0);
	assert_int_equal(resolve_file("u1 alice\n", "u10", &a, &err), 0);
	assert_int_equal(a.n, 0);
}

/* Lines add up; a name given twice is one account. */
static void test_lines_add_up_once(void **state)
{
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	assert_int_equal(resolve_file("u1 alice\nu2 bob\nu1 alice\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(resolve_file("u1 alice\nu1 bob\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, 2);
}

/* A fleet's map names accounts this host lacks: only the ones here count. */
static void test_missing_accounts_do_not_count(void **state)
{
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	assert_int_equal(resolve_file("u1 alice-on-db1 alice ghost\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.name[0], "alice");
}

/* A name that no account can have would become PAM_USER: the map is
 * broken, and nobody logs in through it. */
static void test_invalid_names_break_the_map(void **state)
{
	static const char *const bad[] = {"u1 alice -rf\n",
					  "u1 ../../etc\n",
					  "u1 root:0\n",
					  "u1 al\x01ice\n",
					  "u1 .hidden\n",
					  "u1 a123456789012345678901234567890123\n",
					  NULL};
	struct dt_accounts a;
	struct dt_err err;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		assert_int_equal(resolve_file(bad[i], "u1", &a, &err), -1);
		assert_int_equal(err.kind, DT_ERR_CONFIG);
		assert_non_null(strstr(err.msg, "is not a valid local user name"));
		assert_int_equal(a.n, 0);
	}
	/* Another identity's line is not looked at: it does not concern u2. */
	assert_int_equal(resolve_file("u1 -rf\nu2 bob\n", "u2", &a, &err), 0);
	assert_int_equal(a.n, 1);
}

static void test_malformed_map_is_an_error(void **state)
{
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	assert_int_equal(resolve_file("u1 alice\nu2\n", "u1", &a, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, ":2: 'u2' names no local account"));
	assert_int_equal(a.n, 0); /* nothing half-read survives */
}

static void test_many_accounts(void **state)
{
	struct dt_accounts a;
	struct dt_err err;
	struct dt_identity who = {.union_id = TEXT("u1"), .nick = TEXT("Many")};

	(void)state;
	assert_int_equal(resolve_file("u1 a0 a1 a2 a3 a4 a5 a6 a7 a8 a9\n", "u1", &a, &err), 0);
	assert_int_equal(a.n, DT_ACCOUNTS_MAX);
	assert_true(a.more);
	assert_null(dt_accounts_single(&a, &who, &err));
	assert_non_null(strstr(err.msg, "(a0 a1 a2 a3 a4 a5 a6 a7 ...)"));
}

static void test_directory_email(void **state)
{
	struct dt_identity who = {
	    .union_id = TEXT("u1"), .nick = TEXT("A"), .email = TEXT("Alice@example.com")};
	struct dt_accounts a;
	struct dt_err err;
	struct dt_modcfg cfg = {0};
	struct dt_accounts_query q = {.cfg = &cfg, .exists = exists, .ctx = NULL, .log = NULL};

	(void)state;
	configure(&cfg, "directory:email", "lower");
	assert_int_equal(dt_accounts_for(&q, &who, &a, &err), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.name[0], "alice");
	/* Without `lower` the name is Alice, which is not an account here. */
	configure(&cfg, "directory:email", NULL);
	assert_int_equal(dt_accounts_for(&q, &who, &a, &err), 0);
	assert_int_equal(a.n, 0);
	/* The right local part in a domain outside email_domain names nobody. */
	configure(&cfg, "directory:email", "lower");
	who.email = TEXT("alice@anywhere.example");
	assert_int_equal(dt_accounts_for(&q, &who, &a, &err), 0);
	assert_int_equal(a.n, 0);
	dt_domain_list_free(&cfg.email_domain);
}

/* directory:email without email_domain is a configuration error. */
static void test_email_map_needs_email_domain(void **state)
{
	struct dt_modcfg cfg = {.client_id = strdup("id"),
				.client_secret = strdup("secret"),
				.text.map = strdup("file directory:org_email")};
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_modcfg_finish(&cfg, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_string_equal(err.msg, "map = directory:org_email needs email_domain (the domains "
				     "whose addresses name local accounts, e.g. email_domain = "
				     "example.com)");
	cfg.text.email_domain = strdup("alice@example.com");
	assert_int_equal(dt_modcfg_finish(&cfg, &err), -1);
	assert_non_null(strstr(err.msg, "email_domain: 'alice@example.com' is not a domain name"));
	free(cfg.text.email_domain);
	cfg.text.email_domain = strdup("example.com corp.example");
	assert_int_equal(dt_modcfg_finish(&cfg, &err), 0);
	dt_modcfg_free(&cfg);
}

/* A directory field that names nobody usable names nobody, as in a
 * normal login: no error, no account. */
static void test_directory_unusable_fields(void **state)
{
	static const char *const bad[] = {"", "../x@example.com", "-rf@example.com",
					  "a b@example.com", NULL};
	struct dt_identity who = {.union_id = TEXT("u1"), .nick = TEXT("A")};
	struct dt_modcfg cfg = {0};
	struct dt_accounts_query q = {.cfg = &cfg, .exists = exists, .ctx = NULL, .log = NULL};
	struct dt_accounts a;
	struct dt_err err;
	size_t i;

	(void)state;
	configure(&cfg, "directory:email", NULL);
	assert_int_equal(dt_accounts_for(&q, &who, &a, &err), 0); /* not looked up */
	assert_int_equal(a.n, 0);
	for (i = 0; bad[i] != NULL; i++) {
		who.email = TEXT(bad[i]);
		dt_err_clear(&err);
		assert_int_equal(dt_accounts_for(&q, &who, &a, &err), 0);
		assert_int_equal(a.n, 0);
	}
	dt_domain_list_free(&cfg.email_domain);
}

/* The file and the directory agreeing is one account; disagreeing is two. */
static void test_sources_together(void **state)
{
	struct dt_identity who = {
	    .union_id = TEXT("u1"), .nick = TEXT("A"), .email = TEXT("alice@example.com")};
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	write_map("u1 alice\n");
	assert_int_equal(resolve("file directory:email", &who, &a, &err), 0);
	assert_int_equal(a.n, 1);
	who.email = TEXT("bob@example.com");
	assert_int_equal(resolve("file directory:email", &who, &a, &err), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.name[0], "alice");
	assert_string_equal(a.name[1], "bob");
	unlink(map_path);
}

/* userfile cannot be listed: it adds nobody, and alone it is refused
 * when the configuration is read. */
static void test_userfile_takes_no_part(void **state)
{
	struct dt_identity who = {.union_id = TEXT("u1"), .nick = TEXT("A")};
	struct dt_accounts a;
	struct dt_err err;
	struct dt_modcfg cfg = {.client_id = strdup("id"),
				.client_secret = strdup("secret"),
				.text.map = strdup("userfile"),
				.set_user = 1};

	(void)state;
	assert_int_equal(resolve("userfile", &who, &a, &err), 0);
	assert_int_equal(a.n, 0);
	write_map("u1 bob\n");
	assert_int_equal(resolve("userfile file", &who, &a, &err), 0);
	assert_int_equal(a.n, 1);
	unlink(map_path);
	assert_int_equal(dt_modcfg_finish(&cfg, &err), -1);
	assert_string_equal(err.msg, "set_user needs a map source that can be listed (file or "
				     "directory:<field>); userfile cannot");
	cfg.set_user = 0;
	assert_int_equal(dt_modcfg_finish(&cfg, &err), 0);
	dt_modcfg_free(&cfg);
}

static void test_unreadable_map_is_an_error(void **state)
{
	struct dt_identity who = {.union_id = TEXT("u1"), .nick = TEXT("A")};
	struct dt_accounts a;
	struct dt_err err;

	(void)state;
	snprintf(map_path, sizeof(map_path), "/nonexistent/pam_dingtalk.map");
	assert_int_equal(resolve("file", &who, &a, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	who.union_id = TEXT("");
	assert_int_equal(resolve("directory:email", &who, &a, &err), -1);
	assert_int_equal(err.kind, DT_ERR_INTERNAL);
}

/* The text-level list, without root: order, several lines, comments. */
static int collect(void *ctx, const char *account, const char *where, struct dt_err *err)
{
	char *out = ctx;

	(void)err;
	strcat(out, account);
	strcat(out, "@");
	strcat(out, strrchr(where, ':') + 1);
	strcat(out, " ");
	return 0;
}

static void test_map_accounts_text(void **state)
{
	const char *text = "# u1 mallory\nu1 alice\talice-admin\n u2 bob\nu1  root \n";
	char out[256] = "";
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_map_accounts_text(text, strlen(text), "m", "u1", collect, out, &err),
			 0);
	assert_string_equal(out, "alice@2 alice-admin@2 root@4 ");
	assert_int_equal(dt_map_accounts_text("u1 a\0b", 6, "m", "u1", collect, out, &err), -1);
	assert_string_equal(err.msg, "m: contains a NUL byte");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_account),
	    cmocka_unit_test(test_several_accounts_are_refused),
	    cmocka_unit_test(test_no_account_is_refused),
	    cmocka_unit_test(test_no_prefix_matches),
	    cmocka_unit_test(test_lines_add_up_once),
	    cmocka_unit_test(test_missing_accounts_do_not_count),
	    cmocka_unit_test(test_invalid_names_break_the_map),
	    cmocka_unit_test(test_malformed_map_is_an_error),
	    cmocka_unit_test(test_many_accounts),
	    cmocka_unit_test(test_directory_email),
	    cmocka_unit_test(test_email_map_needs_email_domain),
	    cmocka_unit_test(test_directory_unusable_fields),
	    cmocka_unit_test(test_sources_together),
	    cmocka_unit_test(test_userfile_takes_no_part),
	    cmocka_unit_test(test_unreadable_map_is_an_error),
	    cmocka_unit_test(test_map_accounts_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
