/* Every map source with hostile inputs: the map file (comments, several
 * accounts, errors naming the line, very long lines, odd user names), the
 * per-user binding file (symlinks, group-writable, other owners), names
 * from the directory, and the directory rules. */
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

#include "access/login_policy.h"
#include "access/mapfile.h"
#include "access/emaildomain.h"
#include "access/sources.h"
#include "access/userfile.h"
#include "conf/lists.h"
#include "conf/map_spec.h"

static int match(const char *text, const char *id, const char *user, struct dt_map_result *r,
		 struct dt_err *err)
{
	dt_err_clear(err);
	return dt_map_match_text(text, strlen(text), "m", id, user, r, err);
}

static void test_map_file_entries(void **state)
{
	const char *text = "# comment\n\n  u1   alice  alice-admin \nu2\tbob\n";
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	assert_int_equal(match(text, "u1", "alice-admin", &r, &err), 0);
	assert_true(r.allowed);
	assert_int_equal(match(text, "u1", "bob", &r, &err), 0);
	assert_false(r.allowed);
	assert_true(r.known);
	assert_string_equal(r.other_user, "alice");
	assert_int_equal(match(text, "u3", "bob", &r, &err), 0);
	assert_false(r.known);
}

static void test_map_file_errors_name_the_line(void **state)
{
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	assert_int_equal(match("u1 alice\n# x\nu2\n", "u1", "alice", &r, &err), -1);
	assert_string_equal(err.msg, "m:3: 'u2' names no local account (want 'unionId user...')");
}

static void test_map_file_very_long_lines(void **state)
{
	size_t n = 1024 * 1024;
	char *text = malloc(n + 64);
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	/* A megabyte of one token: no account, an error on line 2. */
	strcpy(text, "u1 alice\n");
	memset(text + 9, 'x', n);
	text[9 + n] = '\0';
	assert_int_equal(match(text, "u1", "alice", &r, &err), -1);
	assert_non_null(strstr(err.msg, "m:2: 'xxxx"));
	assert_true(strlen(err.msg) < 200);
	/* A megabyte of accounts after the id: the last one still counts. */
	strcpy(text, "u1 ");
	memset(text + 3, ' ', n);
	strcpy(text + 3 + n, "bob");
	assert_int_equal(match(text, "u1", "bob", &r, &err), 0);
	assert_true(r.allowed);
	free(text);
}

static void test_map_file_odd_user_names(void **state)
{
	struct dt_map_result r;
	struct dt_err err;

	(void)state;
	/* "alice bob" is two accounts, never one named "alice bob". */
	assert_int_equal(match("u1 alice bob\n", "u1", "alice bob", &r, &err), 0);
	assert_false(r.allowed);
	assert_int_equal(match("u1 alice\n", "u1", "alice\n", &r, &err), 0);
	assert_false(r.allowed);
	assert_int_equal(match("u1 alice\n", "u1", "", &r, &err), 0);
	assert_false(r.allowed);
	assert_int_equal(match("u1 alice\n", "u1 alice", "alice", &r, &err), 0);
	assert_false(r.allowed);
}

static char home[] = "/tmp/dt-home.XXXXXX";

static int make_home(void **state)
{
	(void)state;
	return mkdtemp(home) == NULL ? -1 : 0;
}

static int remove_home(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	return system(cmd) == 0 ? 0 : -1;
}

static void binding(const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", home, DT_USERFILE_NAME);
	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_userfile(void **state)
{
	struct dt_err err;
	int bound = -1;

	(void)state;
	assert_int_equal(dt_userfile_match(home, getuid(), "u1", &bound, &err), 0);
	assert_false(bound); /* no file: no binding, no error */
	binding("# x\n  u1  \n", 0600);
	assert_int_equal(dt_userfile_match(home, getuid(), "u1", &bound, &err), 0);
	assert_true(bound);
	assert_int_equal(dt_userfile_match(home, getuid(), "u2", &bound, &err), 0);
	assert_false(bound);
	binding("u1\nnot\x01id\n", 0600);
	assert_int_equal(dt_userfile_match(home, getuid(), "u1", &bound, &err), -1);
	assert_non_null(strstr(err.msg, DT_USERFILE_NAME ":2: not a unionId"));
	assert_false(bound);
}

static void test_userfile_unsafe(void **state)
{
	char path[256], target[256];
	struct dt_err err;
	int bound;

	(void)state;
	binding("u1\n", 0664);
	assert_int_equal(dt_userfile_match(home, getuid(), "u1", &bound, &err), -1);
	assert_non_null(strstr(err.msg, "writable by group or others"));
	assert_int_equal(err.kind, DT_ERR_DENIED);
	binding("u1\n", 0600);
	snprintf(path, sizeof(path), "%s/%s", home, DT_USERFILE_NAME);
	snprintf(target, sizeof(target), "%s/elsewhere", home);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(dt_userfile_match(home, getuid(), "u1", &bound, &err), -1);
	assert_non_null(strstr(err.msg, "symbolic links are refused"));
	assert_false(bound);
	unlink(path);
	unlink(target);
}

/* Another user's binding file does not bind: as root, whose home is
 * root's and so safe for any user (the home of a user other than the
 * file's owner needs root to set up). */
static void test_userfile_of_another_owner(void **state)
{
	struct dt_err err;
	int bound;

	(void)state;
	if (getuid() != 0)
		skip();
	binding("u1\n", 0600);
	assert_int_equal(dt_userfile_match(home, getuid() + 1, "u1", &bound, &err), -1);
	assert_non_null(strstr(err.msg, "not owned by the user"));
}

/* A safe file in a directory others can write proves nothing: they could
 * have put it there. The whole chain up to / is checked. */
static void test_userfile_in_unsafe_directories(void **state)
{
	char parent[64], dir[128], path[256];
	struct dt_err err;
	int bound;
	FILE *f;

	(void)state;
	snprintf(parent, sizeof(parent), "%s/parent", home);
	snprintf(dir, sizeof(dir), "%s/alice", parent);
	snprintf(path, sizeof(path), "%s/%s", dir, DT_USERFILE_NAME);
	assert_int_equal(mkdir(parent, 0755), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("u1\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), 0);
	assert_true(bound);
	/* The home itself open to all. */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), -1);
	assert_false(bound);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "is writable by group or others (mode 0777)"));
	assert_non_null(strstr(err.msg, "StrictModes"));
	/* Group-writable, sticky or not: the home gets no exception. */
	assert_int_equal(chmod(dir, 01770), 0);
	assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), -1);
	/* A parent open to all (the home itself is fine). */
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(chmod(parent, 0777), 0);
	assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), -1);
	assert_non_null(strstr(err.msg, parent));
	assert_false(bound);
	/* A root-owned sticky parent (like /tmp) is safe: nobody else can
	 * rename or remove the home inside it. Then a parent owned by someone
	 * else. Both need root to set up. */
	if (getuid() == 0) {
		assert_int_equal(chmod(parent, 01777), 0);
		assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), 0);
		assert_true(bound);
		assert_int_equal(chmod(parent, 0755), 0);
		assert_int_equal(chown(parent, 4242, 4242), 0);
		assert_int_equal(dt_userfile_match(dir, getuid(), "u1", &bound, &err), -1);
		assert_non_null(strstr(err.msg, "is owned by uid 4242, not root or the user"));
		assert_int_equal(chown(parent, 0, 0), 0);
	}
	unlink(path);
	rmdir(dir);
	rmdir(parent);
}

/* Under `home`: real/alice (0700, binding file "u1"), the safe chain the
 * links below point to. */
static void make_real_alice(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/real", home);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/real/alice", home);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/real/alice/%s", home, DT_USERFILE_NAME);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("u1\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static int userfile_at(const char *rel, struct dt_err *err, int *bound)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/%s", home, rel);
	dt_err_clear(err);
	return dt_userfile_match(dir, getuid(), "u1", bound, err);
}

/* Teardown of the link cases (it runs when a case fails too, so the next
 * one starts clean). */
static int remove_link_dirs(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "cd %s && rm -rf open links real", home);
	return system(cmd) == 0 ? 0 : -1;
}

/* With /home/alice -> /data/alice and a /home others can write, they can
 * point the link at a home of their own: the directory holding a link is
 * part of the chain, however safe the target is. Resolving the path first
 * (realpath) never looked at it. */
static void test_userfile_home_through_link_in_open_directory(void **state)
{
	char open_dir[128], link[256], target[256];
	struct dt_err err;
	int bound;

	(void)state;
	make_real_alice();
	assert_int_equal(userfile_at("real/alice", &err, &bound), 0);
	assert_true(bound); /* the target chain alone is safe */
	snprintf(open_dir, sizeof(open_dir), "%s/open", home);
	assert_int_equal(mkdir(open_dir, 0777), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	/* The home itself a relative link in a world-writable directory. */
	snprintf(link, sizeof(link), "%s/alice", open_dir);
	assert_int_equal(symlink("../real/alice", link), 0);
	assert_int_equal(userfile_at("open/alice", &err, &bound), -1);
	assert_false(bound);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, open_dir));
	assert_non_null(strstr(err.msg, "is writable by group or others (mode 0777)"));
	/* An absolute link there, and a group-writable directory. */
	assert_int_equal(unlink(link), 0);
	snprintf(target, sizeof(target), "%s/real/alice", home);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(userfile_at("open/alice", &err, &bound), -1);
	assert_int_equal(chmod(open_dir, 0775), 0);
	assert_int_equal(userfile_at("open/alice", &err, &bound), -1);
	assert_non_null(strstr(err.msg, "(mode 0775)"));
	assert_false(bound);
	/* A symlinked parent (home = open/data/alice, open/data -> ../real). */
	assert_int_equal(chmod(open_dir, 0777), 0);
	snprintf(link, sizeof(link), "%s/data", open_dir);
	assert_int_equal(symlink("../real", link), 0);
	assert_int_equal(userfile_at("open/data/alice", &err, &bound), -1);
	assert_non_null(strstr(err.msg, open_dir));
	assert_false(bound);
}

/* Links are followed, sshd-style in effect: a link in a safe directory to a
 * safe chain is a safe home; the link must be root's or the user's (in a
 * sticky directory its owner could swap it), the target chain is checked
 * too, the home reached gets no sticky exception, and a loop is refused. */
static void test_userfile_home_through_link_to_safe_chain(void **state)
{
	char dir[128], link[256];
	struct dt_err err;
	int bound;
	FILE *f;

	(void)state;
	make_real_alice();
	snprintf(dir, sizeof(dir), "%s/links", home);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/alice", dir);
	assert_int_equal(symlink("../real/alice", link), 0);
	assert_int_equal(userfile_at("links/alice", &err, &bound), 0);
	assert_true(bound);
	/* The home reached is a sticky directory: no exception for it. */
	snprintf(link, sizeof(link), "%s/real/sticky", home);
	assert_int_equal(mkdir(link, 01777), 0);
	assert_int_equal(chmod(link, 01777), 0);
	strcat(link, "/" DT_USERFILE_NAME);
	f = fopen(link, "w");
	assert_non_null(f);
	fputs("u1\n", f);
	fclose(f);
	assert_int_equal(chmod(link, 0600), 0);
	snprintf(link, sizeof(link), "%s/tosticky", dir);
	assert_int_equal(symlink("../real/sticky", link), 0);
	assert_int_equal(userfile_at("links/tosticky", &err, &bound), -1);
	assert_non_null(strstr(err.msg, "(mode 1777)"));
	/* A loop of links. */
	snprintf(link, sizeof(link), "%s/loop", dir);
	assert_int_equal(symlink("loop", link), 0);
	assert_int_equal(userfile_at("links/loop", &err, &bound), -1);
	assert_non_null(strstr(err.msg, "too many symbolic links"));
	assert_false(bound);
	/* A link in a root-owned sticky directory (like /tmp) counts while it
	 * is the user's or root's; someone else's link there could be
	 * swapped by its owner at any time (needs root to set up). */
	if (getuid() == 0) {
		snprintf(link, sizeof(link), "%s/real/sticky/alice", home);
		assert_int_equal(symlink("../alice", link), 0);
		assert_int_equal(userfile_at("real/sticky/alice", &err, &bound), 0);
		assert_true(bound);
		assert_int_equal(lchown(link, 4242, 4242), 0);
		assert_int_equal(userfile_at("real/sticky/alice", &err, &bound), -1);
		assert_non_null(strstr(err.msg, "symbolic link"));
		assert_non_null(strstr(err.msg, "is owned by uid 4242, not root or the user"));
		assert_false(bound);
	}
}

/* The chain is judged before the file is looked for: a home others can
 * write is reported even while it holds no binding file, and a home that
 * does not exist is no error. */
static void test_userfile_unsafe_chain_without_file(void **state)
{
	char dir[128];
	struct dt_err err;
	int bound = -1;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/open", home);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(userfile_at("open", &err, &bound), -1);
	assert_non_null(strstr(err.msg, "is writable by group or others (mode 0777)"));
	assert_false(bound);
	assert_int_equal(userfile_at("open/missing/alice", &err, &bound), -1);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(userfile_at("open/missing/alice", &err, &bound), 0);
	assert_false(bound);
}

static void test_userfile_write(void **state)
{
	struct dt_err err;
	struct stat st;
	char path[256];
	int bound;

	(void)state;
	assert_int_equal(dt_userfile_write(home, "uNew", &err), 0);
	snprintf(path, sizeof(path), "%s/%s", home, DT_USERFILE_NAME);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dt_userfile_match(home, getuid(), "uNew", &bound, &err), 0);
	assert_true(bound);
	assert_int_equal(dt_userfile_write(home, "bad id", &err), -1);
}

static void test_map_spec(void **state)
{
	struct dt_map_spec spec;
	unsigned x;
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_map_spec_parse("file userfile, directory:org_email", &spec, &err), 0);
	assert_int_equal(spec.n, 3);
	assert_int_equal(spec.src[2].kind, DT_MAP_DIRECTORY);
	assert_int_equal(spec.src[2].field, DT_DIR_ORG_EMAIL);
	assert_int_equal(dt_map_spec_parse("file directory:mobile", &spec, &err), -1);
	assert_non_null(strstr(err.msg, "unknown source 'directory:mobile'"));
	assert_int_equal(dt_map_spec_parse("  ", &spec, &err), -1);
	assert_int_equal(
	    dt_map_spec_parse("file file file file file file file file file", &spec, &err), -1);
	assert_int_equal(dt_map_transform_parse("lower strip_domain", &x, &err), 0);
	assert_int_equal(x, DT_XFORM_LOWER | DT_XFORM_STRIP_DOMAIN);
	assert_int_equal(dt_map_transform_parse("upper", &x, &err), -1);
}

static void test_valid_user_names(void **state)
{
	(void)state;
	assert_true(dt_valid_user_name("alice"));
	assert_true(dt_valid_user_name("a.b_c-d"));
	assert_true(dt_valid_user_name("host$"));
	assert_false(dt_valid_user_name(""));
	assert_false(dt_valid_user_name("-rf"));
	assert_false(dt_valid_user_name("../etc"));
	assert_false(dt_valid_user_name("a b"));
	assert_false(dt_valid_user_name("a/b"));
	assert_false(dt_valid_user_name("a:b"));
	assert_false(dt_valid_user_name("a\nb"));
	assert_false(dt_valid_user_name("张三"));
	assert_false(dt_valid_user_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 33 */
}

/* Identity fields are not const; these tests never write them. */
#define TEXT(s) ((char *)(uintptr_t)(s))

/* email_domain as a configuration would give it. */
static const struct dt_domain_list *domains(void)
{
	static char corp[] = "corp.example", com[] = "example.com";
	static char *names[] = {corp, com};
	static const struct dt_domain_list list = {.n = 2, .name = names};

	return &list;
}
#define DOMAINS domains()

static void test_directory_names(void **state)
{
	char email[] = "Alice.Zhang@Example.COM", userid[] = "Zhang@corp", job[] = "007";
	char bad[] = "x;rm -rf@example.com";
	struct dt_identity who = {.email = email, .user_id = userid, .job_number = job};
	char out[64];
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_directory_name(&who, DT_DIR_EMAIL, 0, DOMAINS, out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "Alice.Zhang");
	assert_int_equal(
	    dt_directory_name(&who, DT_DIR_EMAIL, DT_XFORM_LOWER, DOMAINS, out, sizeof(out), &err),
	    0);
	assert_string_equal(out, "alice.zhang");
	assert_int_equal(dt_directory_name(&who, DT_DIR_USERID, 0, NULL, out, sizeof(out), &err),
			 -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_int_equal(dt_directory_name(&who, DT_DIR_USERID,
					   DT_XFORM_STRIP_DOMAIN | DT_XFORM_LOWER, NULL, out,
					   sizeof(out), &err),
			 0);
	assert_string_equal(out, "zhang");
	assert_int_equal(
	    dt_directory_name(&who, DT_DIR_JOB_NUMBER, 0, NULL, out, sizeof(out), &err), 0);
	assert_int_equal(
	    dt_directory_name(&who, DT_DIR_ORG_EMAIL, 0, DOMAINS, out, sizeof(out), &err), -1);
	assert_non_null(strstr(err.msg, "DingTalk gives no org_email for unionId"));
	who.email = bad;
	assert_int_equal(dt_directory_name(&who, DT_DIR_EMAIL, 0, DOMAINS, out, sizeof(out), &err),
			 -1);
	assert_non_null(strstr(err.msg, "is not a valid local user name"));
}

/* Only the local part becomes the name, so the domain must be one of
 * email_domain: alice@anywhere names nobody. */
static void test_email_outside_domains_names_nobody(void **state)
{
	static const char *const foreign[] = {"alice@anywhere.example",
					      "alice@example.com.evil",
					      "alice@x@example.com",
					      "alice@sub.example.com",
					      "alice",
					      "@example.com",
					      "alice@",
					      NULL};
	struct dt_identity who = {.email = NULL, .org_email = NULL};
	char out[64], shown[] = "alice@evil\033[2J.example";
	struct dt_err err;
	size_t i;

	(void)state;
	for (i = 0; foreign[i] != NULL; i++) {
		who.email = TEXT(foreign[i]);
		dt_err_clear(&err);
		assert_int_equal(
		    dt_directory_name(&who, DT_DIR_EMAIL, 0, DOMAINS, out, sizeof(out), &err), -1);
		assert_int_equal(err.kind, DT_ERR_DENIED);
	}
	assert_non_null(strstr(err.msg, "is not in email_domain"));
	/* Without email_domain no address is trusted. */
	who.email = TEXT("alice@example.com");
	assert_int_equal(dt_directory_name(&who, DT_DIR_EMAIL, 0, NULL, out, sizeof(out), &err),
			 -1);
	who.org_email = TEXT("alice@anywhere.example");
	assert_int_equal(
	    dt_directory_name(&who, DT_DIR_ORG_EMAIL, 0, DOMAINS, out, sizeof(out), &err), -1);
	/* Case does not matter in a domain; each listed domain counts. */
	who.org_email = TEXT("alice@CORP.Example");
	assert_int_equal(
	    dt_directory_name(&who, DT_DIR_ORG_EMAIL, 0, DOMAINS, out, sizeof(out), &err), 0);
	assert_string_equal(out, "alice");
	/* A hostile domain is shown without its control characters. */
	who.email = shown;
	assert_int_equal(dt_directory_name(&who, DT_DIR_EMAIL, 0, DOMAINS, out, sizeof(out), &err),
			 -1);
	assert_null(strchr(err.msg, '\033'));
}

/* An external contact's record is typed by some employee: an email of
 * the organisation's own domain there names nobody, nor does any other
 * directory field. */
static void test_external_contact_is_never_mapped_by_fields(void **state)
{
	static const enum dt_dir_field fields[] = {DT_DIR_EMAIL, DT_DIR_ORG_EMAIL, DT_DIR_USERID,
						   DT_DIR_JOB_NUMBER};
	struct dt_identity who = {.union_id = TEXT("uMallory0000000000000iEiE"),
				  .contact_type = 1,
				  .email = TEXT("alice@example.com"),
				  .org_email = TEXT("alice@corp.example"),
				  .user_id = TEXT("alice"),
				  .job_number = TEXT("alice")};
	char out[64];
	struct dt_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		dt_err_clear(&err);
		assert_int_equal(
		    dt_directory_name(&who, fields[i], 0, DOMAINS, out, sizeof(out), &err), -1);
		assert_int_equal(err.kind, DT_ERR_DENIED);
		assert_non_null(strstr(err.msg, "is an external contact, whose directory fields "
						"are free text"));
		assert_non_null(strstr(err.msg, "only a unionId map (file, userfile)"));
	}
	/* The same record as a member's maps. */
	who.contact_type = 0;
	assert_int_equal(dt_directory_name(&who, DT_DIR_EMAIL, 0, DOMAINS, out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "alice");
}

/* email_domain's syntax, as conf/ checks the key's value. */
static int domains_check(const char *text, struct dt_err *err)
{
	struct dt_domain_list list = {0};
	int rc = dt_domain_list_parse(text, &list, err);

	dt_domain_list_free(&list);
	return rc;
}

static void test_email_domain_key(void **state)
{
	struct dt_err err;

	(void)state;
	assert_int_equal(domains_check("example.com", &err), 0);
	assert_int_equal(domains_check("example.com, corp.example cn.example", &err), 0);
	assert_int_equal(domains_check("@example.com", &err), -1);
	assert_string_equal(err.msg, "email_domain: '@example.com' is not a domain name (want "
				     "e.g. example.com, without '@')");
	assert_int_equal(domains_check(" , ", &err), -1);
	assert_int_equal(domains_check("example.com.", &err), -1);
	assert_int_equal(domains_check("ex ample.com/x", &err), -1);
}

static void test_directory_rules(void **state)
{
	char id[] = "u1", nick[] = "N";
	long long depts[] = {100, 7};
	struct dt_identity who = {.union_id = id, .nick = nick, .active = 1};
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	who.dept_ids = depts;
	who.n_dept_ids = 2;
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), 0);
	cfg.require_active = 1;
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), 0);
	who.active = 0;
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg,
			       "has not activated DingTalk in the organisation "
			       "(active = false in the directory): refused (require_active)"));
	/* A member whose record leaves `active` out: no pass either. */
	who.active = -1;
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "does not say whether the person has activated"));
	/* An external contact has no activation state: refused, not passed. */
	who.contact_type = 1;
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_non_null(strstr(err.msg, "is an external contact: DingTalk keeps no activation"));
	who.contact_type = -1; /* not looked up: a configuration mistake, not a pass */
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	who.contact_type = 0;
	who.active = 1;
	cfg.text.allowed_depts = (char *)(uintptr_t) "1, 7";
	assert_int_equal(dt_dept_list_parse(cfg.text.allowed_depts, &cfg.allowed_depts, &err), 0);
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), 0);
	cfg.text.allowed_depts = (char *)(uintptr_t) "1 2";
	assert_int_equal(dt_dept_list_parse(cfg.text.allowed_depts, &cfg.allowed_depts, &err), 0);
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(dt_dept_list_parse("1, 2 3", &cfg.allowed_depts, &err), 0);
	assert_int_equal(dt_dept_list_parse("1, sales", &cfg.allowed_depts, &err), -1);
	assert_int_equal(dt_dept_list_parse("-1", &cfg.allowed_depts, &err), -1);
	assert_int_equal(dt_dept_list_parse("99999999999999999999999", &cfg.allowed_depts, &err),
			 -1);
}

/* allowed_depts given as only separators names no department: nobody is
 * in it (it does not lift the rule). */
static void test_empty_dept_list_admits_nobody(void **state)
{
	char id[] = "u1", nick[] = "N";
	long long depts[] = {7};
	struct dt_identity who = {
	    .union_id = id, .nick = nick, .active = 1, .dept_ids = depts, .n_dept_ids = 1};
	struct dt_modcfg cfg;
	struct dt_err err;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.text.allowed_depts = (char *)(uintptr_t) ", ";
	assert_int_equal(dt_dept_list_parse(cfg.text.allowed_depts, &cfg.allowed_depts, &err), 0);
	assert_int_equal(dt_directory_policy(&cfg, &who, &err), -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	dt_dept_list_free(&cfg.allowed_depts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_file_entries),
	    cmocka_unit_test(test_map_file_errors_name_the_line),
	    cmocka_unit_test(test_map_file_very_long_lines),
	    cmocka_unit_test(test_map_file_odd_user_names),
	    cmocka_unit_test(test_userfile),
	    cmocka_unit_test(test_userfile_unsafe),
	    cmocka_unit_test(test_userfile_of_another_owner),
	    cmocka_unit_test(test_userfile_in_unsafe_directories),
	    cmocka_unit_test_teardown(test_userfile_home_through_link_in_open_directory,
				      remove_link_dirs),
	    cmocka_unit_test_teardown(test_userfile_home_through_link_to_safe_chain,
				      remove_link_dirs),
	    cmocka_unit_test_teardown(test_userfile_unsafe_chain_without_file, remove_link_dirs),
	    cmocka_unit_test(test_userfile_write),
	    cmocka_unit_test(test_map_spec),
	    cmocka_unit_test(test_valid_user_names),
	    cmocka_unit_test(test_directory_names),
	    cmocka_unit_test(test_email_outside_domains_names_nobody),
	    cmocka_unit_test(test_external_contact_is_never_mapped_by_fields),
	    cmocka_unit_test(test_email_domain_key),
	    cmocka_unit_test(test_directory_rules),
	    cmocka_unit_test(test_empty_dept_list_admits_nobody),
	};

	return cmocka_run_group_tests(tests, make_home, remove_home);
}
