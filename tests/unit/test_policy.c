/* Policy rules without the network: group lists with '!' negation, the
 * scope of only_groups/skip_groups, allow_root, the account checks made
 * before a QR code (dt_scope_check_account), the switch to a user's
 * privileges (as_user.h); and the audit line's formats with hostile
 * values. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cmocka.h>

#include "access/scope.h"
#include "base/as_user.h"
#include "conf/lists.h"
#include "conf/modcfg.h"
#include "login/audit.h"

/* Fake membership: "user:group" pairs; "ghost" does not exist. */
static int member(void *ctx, const char *user, const char *group)
{
	const char *const *pairs = ctx;
	char want[128];

	if (strcmp(group, "ghost") == 0)
		return -1;
	snprintf(want, sizeof(want), "%s:%s", user, group);
	for (; *pairs != NULL; pairs++)
		if (strcmp(*pairs, want) == 0)
			return 1;
	return 0;
}

static const char *const groups[] = {"alice:staff", "bob:staff", "bob:contractors", NULL};

/* A group list's syntax, as conf/ checks a key's value. */
static int check(const char *key, const char *text, struct dt_err *err)
{
	struct dt_group_list list = {0};
	int rc = dt_group_list_parse(key, text, &list, err);

	dt_group_list_free(&list);
	return rc;
}

/* A list as the configuration gives it; one that does not parse matches
 * nobody (the module would not load). */
static int matches(const char *text, const char *user)
{
	struct dt_group_list list = {0};
	int rc = 0;

	if (dt_group_list_parse("only_groups", text, &list, NULL) == 0)
		rc = dt_group_list_matches(&list, user, member, (void *)(uintptr_t)groups);
	dt_group_list_free(&list);
	return rc;
}

/* only_groups and skip_groups as texts (NULL: the key is unset). */
static int in_scope(const char *only, const char *skip, const char *user, const char **why)
{
	struct dt_group_list only_list = {0}, skip_list = {0};
	int rc;

	assert_true(only == NULL ||
		    dt_group_list_parse("only_groups", only, &only_list, NULL) == 0);
	assert_true(skip == NULL ||
		    dt_group_list_parse("skip_groups", skip, &skip_list, NULL) == 0);
	rc = dt_policy_in_scope(&only_list, &skip_list, user, member, (void *)(uintptr_t)groups,
				why);
	dt_group_list_free(&only_list);
	dt_group_list_free(&skip_list);
	return rc;
}

static void test_plain_groups(void **state)
{
	(void)state;
	assert_true(matches("staff", "alice"));
	assert_false(matches("admins", "alice"));
	assert_true(matches("admins, staff", "alice"));
	assert_true(matches("  admins\tstaff  ", "alice"));
}

static void test_negated_groups(void **state)
{
	(void)state;
	assert_true(matches("staff !contractors", "alice"));
	assert_false(matches("staff !contractors", "bob"));
	assert_true(matches("!contractors", "alice"));
	assert_false(matches("!contractors", "bob"));
	assert_true(matches("!staff", "carol"));
}

static void test_missing_group_has_no_members(void **state)
{
	(void)state;
	assert_false(matches("ghost", "alice"));
	assert_true(matches("!ghost", "alice"));
}

static void test_list_syntax(void **state)
{
	struct dt_err err;
	char long_name[300];

	(void)state;
	assert_int_equal(check("only_groups", "staff, !contractors", &err), 0);
	assert_int_equal(check("only_groups", "staff !", &err), -1);
	assert_string_equal(err.msg, "only_groups: '!' is not a group name");
	assert_int_equal(check("only_groups", "!!x", &err), -1);
	assert_int_equal(check("only_groups", "a:b", &err), -1);
	assert_int_equal(check("only_groups", "-x", &err), -1);
	assert_int_equal(check("skip_groups", "a\x1b", &err), -1);
	memset(long_name, 'g', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(check("skip_groups", long_name, &err), -1);
	/* Never a match for a name the check refuses. */
	assert_false(matches(long_name, "alice"));
}

static void test_scope(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(in_scope(NULL, NULL, "alice", &why), 1);
	assert_int_equal(in_scope("staff", NULL, "carol", &why), 0);
	assert_string_equal(why, "not in only_groups");
	assert_int_equal(in_scope("staff", "contractors", "bob", &why), 0);
	assert_string_equal(why, "in skip_groups");
	assert_int_equal(in_scope("staff", "contractors", "alice", &why), 1);
	assert_int_equal(in_scope(NULL, "!staff", "carol", &why), 0);
}

/* A list given as only separators is given: it has no plain group, so
 * it matches everyone (skip_groups = , skips everyone). */
static void test_given_empty_lists(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_int_equal(in_scope(",", NULL, "alice", &why), 1);
	assert_int_equal(in_scope(NULL, " , ", "alice", &why), 0);
	assert_string_equal(why, "in skip_groups");
}

static void test_root(void **state)
{
	struct dt_err err;

	(void)state;
	dt_err_clear(&err);
	assert_int_equal(dt_policy_check_root(0, "root", 0, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_int_equal(dt_policy_check_root(0, "toor", 0, &err), -1); /* any uid 0 */
	assert_int_equal(dt_policy_check_root(1, "root", 0, &err), 0);
	assert_int_equal(dt_policy_check_root(0, "alice", 1001, &err), 0);
}

/* The name of nobody's primary group (nogroup on Debian). */
static char *nobody_group(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;

	assert_non_null(gr);
	return gr != NULL ? gr->gr_name : NULL;
}

/* With the system's users: root, nobody and nobody else. */
static void test_account_checks(void **state)
{
	char *group = nobody_group();
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	dt_err_clear(&err);
	assert_int_equal(dt_scope_check_account(&cfg, "no-such-user-here", &err), -1);
	assert_int_equal(err.kind, DT_ERR_NOUSER);
	assert_int_equal(dt_scope_check_account(&cfg, "nobody", &err), 1);
	assert_int_equal(dt_scope_check_account(&cfg, "root", &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	cfg.allow_root = 1;
	assert_int_equal(dt_scope_check_account(&cfg, "root", &err), 1);
	assert_int_equal(dt_group_list_parse("skip_groups", group, &cfg.skip_groups, &err), 0);
	dt_err_clear(&err);
	assert_int_equal(dt_scope_check_account(&cfg, "nobody", &err), 0);
	assert_int_equal(err.kind, DT_OK);
	assert_string_equal(err.msg, "user nobody is out of scope (in skip_groups)");
	dt_group_list_free(&cfg.skip_groups);
	assert_int_equal(dt_group_list_parse("only_groups", group, &cfg.only_groups, &err), 0);
	assert_int_equal(dt_scope_check_account(&cfg, "root", &err), 0);
	assert_string_equal(err.msg, "user root is out of scope (not in only_groups)");
	dt_group_list_free(&cfg.only_groups);
}

static int has_group(gid_t gid)
{
	gid_t list[256];
	int n = getgroups(256, list), i;

	for (i = 0; i < n; i++)
		if (list[i] == gid)
			return 1;
	return 0;
}

static uid_t current_fsuid(void)
{
	return (uid_t)setfsuid((uid_t)-1);
}

static gid_t current_fsgid(void)
{
	return (gid_t)setfsgid((gid_t)-1);
}

/* As root: nobody's file-system ids and groups, then root's again, all
 * of them; the effective ids never change. */
static void test_as_user_switches_and_returns(void **state)
{
	gid_t saved[256], other = 4242; /* a group nobody is not in */
	int n_saved = getgroups(256, saved);
	struct dt_as_user as;
	struct dt_err err;

	(void)state;
	if (geteuid() != 0)
		skip();
	dt_err_clear(&err);
	assert_true(n_saved >= 0 && setgroups(1, &other) == 0);
	assert_int_equal(dt_as_user_enter("nobody", &as, &err), 0);
	assert_int_equal(current_fsuid(), as.pw.pw_uid);
	assert_int_equal(current_fsgid(), as.pw.pw_gid);
	assert_int_equal(geteuid(), 0); /* the user cannot signal or trace us */
	assert_int_equal(getuid(), 0);
	assert_false(has_group(other));
	dt_as_user_leave(&as);
	assert_int_equal(current_fsuid(), 0);
	assert_int_equal(current_fsgid(), 0);
	assert_true(has_group(other) && getgroups(0, NULL) == 1);
	assert_true(setgroups((size_t)n_saved, saved) == 0);
	/* Root acting for root changes nothing; nobody to act for fails. */
	assert_int_equal(dt_as_user_enter("root", &as, &err), 0);
	assert_int_equal(as.switched, 0);
	dt_as_user_leave(&as);
	assert_int_equal(dt_as_user_enter("no-such-user-here", &as, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_int_equal(current_fsuid(), 0);
}

struct bystander {
	const char *path;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int go, done;
	uid_t owner;
};

/* Another thread of the same process: waits until the switch is made,
 * creates a file, and reports who owns it. */
static void *bystander_run(void *arg)
{
	struct bystander *b = arg;
	struct stat st;
	int fd;

	pthread_mutex_lock(&b->lock);
	while (!b->go)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	fd = open(b->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	b->owner = fd >= 0 && fstat(fd, &st) == 0 ? st.st_uid : (uid_t)-2;
	if (fd >= 0)
		close(fd);
	pthread_mutex_lock(&b->lock);
	b->done = 1;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* The switch belongs to the calling thread: a PAM application's other
 * threads go on as root while the module reads a user's files, and a
 * file the calling thread creates meanwhile is the user's. */
static void test_as_user_is_the_calling_threads_alone(void **state)
{
	char dir[] = "/tmp/dt-as-user.XXXXXX", other[64], mine[64];
	struct bystander b = {other, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
	struct dt_as_user as;
	struct dt_err err;
	struct stat st;
	pthread_t t;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(mine, sizeof(mine), "%s/mine", dir);
	assert_int_equal(pthread_create(&t, NULL, bystander_run, &b), 0);
	assert_int_equal(dt_as_user_enter("nobody", &as, &err), 0);
	fd = open(mine, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && fstat(fd, &st) == 0);
	close(fd);
	pthread_mutex_lock(&b.lock);
	b.go = 1;
	pthread_cond_signal(&b.cond);
	while (!b.done)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	dt_as_user_leave(&as);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(st.st_uid, as.pw.pw_uid);
	assert_int_equal(b.owner, 0);
	unlink(mine);
	unlink(other);
	rmdir(dir);
}

/* A process that is not root acts for itself alone (in a child that has
 * become nobody for good). */
static void test_as_user_not_root(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct dt_as_user as;
	struct dt_err err;
	int status = 0, code = 0;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(pw);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
			_exit(10);
		dt_err_clear(&err);
		if (dt_as_user_enter("root", &as, &err) != -1 || err.kind != DT_ERR_DENIED)
			code |= 1;
		if (dt_as_user_enter("nobody", &as, &err) != 0 || as.switched)
			code |= 2;
		dt_as_user_leave(&as);
		_exit(code);
	}
	assert_true(waitpid(pid, &status, 0) == pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static struct dt_audit sample(void)
{
	struct dt_audit a = {.result = "denied",
			     .pam_code = "PAM_AUTH_ERR",
			     .user = "alice",
			     .union_id = "uAlice",
			     .nick = "Alice Zhang",
			     .rhost = NULL,
			     .service = "sshd",
			     .tty = "ssh",
			     .session = "S1",
			     .cause = NULL,
			     .elapsed_ms = 42,
			     .reason = "bound to 'bob'"};
	return a;
}

static void test_audit_text(void **state)
{
	struct dt_audit a = sample();
	char *line = dt_audit_format(&a, DT_AUDIT_TEXT);

	(void)state;
	assert_string_equal(line, "audit: result=denied pam=PAM_AUTH_ERR user=alice unionid=uAlice "
				  "nick=\"Alice Zhang\" rhost=- service=sshd tty=ssh session=S1 "
				  "cause=- elapsed_ms=42 reason: bound to 'bob'");
	free(line);
}

/* A name typed at a login prompt cannot forge fields or lines. */
static void test_audit_hostile_values(void **state)
{
	struct dt_audit a = sample();
	char long_user[1000];
	char *line;

	(void)state;
	a.user = "x result=success\n\"\\\x1b[2J";
	line = dt_audit_format(&a, DT_AUDIT_TEXT);
	assert_non_null(strstr(line, "user=\"x result=success?\\\"\\\\?[2J\""));
	assert_null(strchr(line, '\n'));
	free(line);
	line = dt_audit_format(&a, DT_AUDIT_JSON);
	assert_non_null(strstr(line, "\"user\":\"x result=success?\\\"\\\\?[2J\""));
	free(line);
	memset(long_user, 'a', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	a.user = long_user;
	line = dt_audit_format(&a, DT_AUDIT_TEXT);
	assert_true(strlen(line) < 2 * DT_AUDIT_VALUE_MAX + 200);
	free(line);
}

static void test_audit_json(void **state)
{
	struct dt_audit a = sample();
	char *line = dt_audit_format(&a, DT_AUDIT_JSON);

	(void)state;
	assert_string_equal(line,
			    "{\"result\":\"denied\",\"pam\":\"PAM_AUTH_ERR\",\"user\":\"alice\","
			    "\"unionid\":\"uAlice\",\"nick\":\"Alice Zhang\",\"rhost\":null,"
			    "\"service\":\"sshd\",\"tty\":\"ssh\",\"session\":\"S1\","
			    "\"cause\":null,\"reason\":\"bound to 'bob'\",\"elapsed_ms\":42}");
	free(line);
}

/* "Not me" on the phone: a result and a cause of its own, in both formats,
 * so that a search for either finds it. */
static void test_audit_refused_by_the_person(void **state)
{
	struct dt_audit a = sample();
	char *line;

	(void)state;
	a.result = "refused";
	a.cause = "not_me";
	line = dt_audit_format(&a, DT_AUDIT_TEXT);
	assert_non_null(strstr(line, "audit: result=refused pam=PAM_AUTH_ERR user=alice "));
	assert_non_null(strstr(line, " session=S1 cause=not_me elapsed_ms=42"));
	free(line);
	line = dt_audit_format(&a, DT_AUDIT_JSON);
	assert_non_null(strstr(line, "{\"result\":\"refused\","));
	assert_non_null(strstr(line, ",\"cause\":\"not_me\","));
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_groups),
	    cmocka_unit_test(test_negated_groups),
	    cmocka_unit_test(test_missing_group_has_no_members),
	    cmocka_unit_test(test_list_syntax),
	    cmocka_unit_test(test_scope),
	    cmocka_unit_test(test_given_empty_lists),
	    cmocka_unit_test(test_root),
	    cmocka_unit_test(test_account_checks),
	    cmocka_unit_test(test_as_user_switches_and_returns),
	    cmocka_unit_test(test_as_user_is_the_calling_threads_alone),
	    cmocka_unit_test(test_as_user_not_root),
	    cmocka_unit_test(test_audit_text),
	    cmocka_unit_test(test_audit_hostile_values),
	    cmocka_unit_test(test_audit_json),
	    cmocka_unit_test(test_audit_refused_by_the_person),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
