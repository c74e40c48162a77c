/* The map file's one grammar (mapfile.h), and editing the file
 * (dingtalk-ctl enroll, map add|remove|list) with it: other
 * lines stay byte for byte, no duplicate binding, broken files refused
 * with their line, hostile names refused; and the locked atomic rewrite
 * under it (rewrite.h): backup kept, mode and owner set, a leftover temp
 * file replaced, an unsafe file refused. */
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

#include "access/mapedit.h"
#include "access/mapfile.h"
#include "base/rewrite.h"
#include "base/util.h"

static char *add(const char *text, const char *id, const char *user, int *rc)
{
	struct dt_err err;
	char *out = NULL;

	dt_err_clear(&err);
	*rc = dt_map_add(text, strlen(text), "m", id, user, &out, &err);
	return out;
}

/* What dt_map_parse hands on, one line a row: "lineno offset len id
 * accounts...", with "-" for a comment or blank line. */
static int record(void *ctx, struct dt_map_line *l, struct dt_err *err)
{
	char *seen = ctx, *account;
	size_t used = strlen(seen);

	(void)err;
	used += (size_t)snprintf(seen + used, 256 - used, "%u %zu %zu %s", l->lineno, l->offset,
				 l->raw_len, l->id != NULL ? l->id : "-");
	while ((account = dt_map_next_account(l)) != NULL)
		used += (size_t)snprintf(seen + used, 256 - used, " %s", account);
	snprintf(seen + used, 256 - used, "\n");
	return 0;
}

/* The one grammar the login and the editor share. */
static void test_one_grammar(void **state)
{
	char text[] = "# c\n\n u1\ta  b\r\n#u2 x\nu3 c";
	char seen[256] = "";
	char bad[] = "u1 a\n  u2 \r\n";
	char nul[] = "u1 a\0b\n";
	struct dt_err err;

	(void)state;
	assert_int_equal(dt_map_parse(text, strlen(text), "m", record, seen, &err), 0);
	assert_string_equal(seen, "1 0 3 -\n2 4 0 -\n3 5 9 u1 a b\n4 15 5 -\n5 21 4 u3 c\n");
	assert_int_equal(dt_map_parse(bad, strlen(bad), "m", record, seen, &err), -1);
	assert_string_equal(err.msg, "m:2: 'u2' names no local account (want 'unionId user...')");
	assert_int_equal(dt_map_parse(nul, sizeof(nul) - 1, "m", record, seen, &err), -1);
	assert_string_equal(err.msg, "m: contains a NUL byte");
}

static void test_add_new_line_keeps_the_rest(void **state)
{
	const char *text = "# who\n\n  u1   alice  alice-admin \nu2\tbob";
	char *out;
	int rc;

	(void)state;
	out = add(text, "u3", "carol", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "# who\n\n  u1   alice  alice-admin \nu2\tbob\nu3\tcarol\n");
	free(out);
}

static void test_add_to_existing_identity(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = add("# c\nu1 alice\nu2 bob\n", "u1", "alice-admin", &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "# c\nu1 alice alice-admin\nu2 bob\n");
	free(out);
}

static void test_add_twice_changes_nothing(void **state)
{
	char *out;
	int rc;

	(void)state;
	out = add("u1 alice bob\n", "u1", "bob", &rc);
	assert_int_equal(rc, 0);
	assert_null(out);
	/* Also when the binding is on the identity's second line. */
	out = add("u1 alice\nu2 carol\nu1 bob\n", "u1", "bob", &rc);
	assert_int_equal(rc, 0);
	assert_null(out);
}

/* A line never grows past what the editor itself reads back. */
static void test_full_line_gets_a_new_one(void **state)
{
	char text[1024] = "u1";
	char *out, *again;
	int i, rc;

	(void)state;
	for (i = 0; i < 64; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " a%d", i);
	strcat(text, "\n");
	out = add(text, "u1", "bob", &rc);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nu1\tbob\n"));
	again = add(out, "u1", "bob", &rc);
	assert_int_equal(rc, 0);
	assert_null(again);
	free(out);
}

static void test_add_refuses_hostile_input(void **state)
{
	struct dt_err err;
	char *out = NULL;
	int rc;

	(void)state;
	out = add("u1 alice\n", "u2", "bad name", &rc);
	assert_int_equal(rc, -1);
	assert_null(out);
	out = add("u1 alice\n", "u2", "-rf", &rc);
	assert_int_equal(rc, -1);
	out = add("u1 alice\n", "u2\nu3", "eve", &rc);
	assert_int_equal(rc, -1);
	out = add("u1 alice\n", "", "eve", &rc);
	assert_int_equal(rc, -1);
	out = add("u1 alice\n", "#u2", "eve", &rc); /* would be a comment */
	assert_int_equal(rc, -1);
	/* A broken file is refused, naming the line, not repaired. */
	dt_err_clear(&err);
	rc = dt_map_add("u1 alice\nlonely\n", 15, "/etc/m", "u2", "bob", &out, &err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "/etc/m:2"));
	dt_err_clear(&err);
	rc = dt_map_add("u1 al$ce\n", 9, "/etc/m", "u2", "bob", &out, &err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "/etc/m:1"));
	dt_err_clear(&err);
	rc = dt_map_add("u1 alice\0u2 bob\n", 16, "/etc/m", "u3", "bob", &out, &err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err.msg, "NUL"));
}

static void test_add_very_long_line(void **state)
{
	size_t n = 100000;
	char *text = malloc(n + 16), *out;
	int rc;

	(void)state;
	assert_non_null(text);
	memset(text, 'x', n);
	memcpy(text + n, " alice\n", 8);
	out = add(text, "u9", "bob", &rc);
	assert_int_equal(rc, -1); /* longer than any unionId */
	free(out);
	free(text);
}

static char *removed(const char *text, const char *user, const char *id, unsigned *n, int *rc)
{
	struct dt_err err;
	char *out = NULL;

	dt_err_clear(&err);
	*rc = dt_map_remove(text, strlen(text), "m", user, id, &out, n, &err);
	return out;
}

static void test_remove(void **state)
{
	const char *text = "# c\nu1 alice alice-admin\nu2\tbob\nu3 bob alice\n";
	unsigned n;
	char *out;
	int rc;

	(void)state;
	out = removed(text, "alice", NULL, &n, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2);
	assert_string_equal(out, "# c\nu1\talice-admin\nu2\tbob\nu3\tbob\n");
	free(out);
	out = removed(text, "bob", "u2", &n, &rc);
	assert_int_equal(n, 1);
	assert_string_equal(out, "# c\nu1 alice alice-admin\nu3 bob alice\n");
	free(out);
	out = removed(text, "nobody", NULL, &n, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 0);
	assert_null(out);
}

struct seen {
	char text[256];
};

static void collect(void *ctx, const char *id, const char *const *accounts, size_t n)
{
	struct seen *s = ctx;
	size_t used = strlen(s->text), i;

	used += (size_t)snprintf(s->text + used, sizeof(s->text) - used, "[%s:", id);
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(s->text + used, sizeof(s->text) - used, "%s%s",
					 i > 0 ? " " : "", accounts[i]);
	snprintf(s->text + used, sizeof(s->text) - used, "]");
}

static void test_each(void **state)
{
	const char *text = "# c\nu1  alice\t alice-admin\n\nu2 bob\n";
	struct seen s = {{0}};
	struct dt_err err;

	(void)state;
	dt_err_clear(&err);
	assert_int_equal(dt_map_each(text, strlen(text), "m", collect, &s, &err), 0);
	assert_string_equal(s.text, "[u1:alice alice-admin][u2:bob]");
	/* Nothing is reported from a file with an error further down. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(dt_map_each("u1 a\nu2\n", 8, "m", collect, &s, &err), -1);
	assert_string_equal(s.text, "");
}

/* rewrite.h */

struct work {
	char dir[64], path[128];
};

static void make_work(struct work *w)
{
	snprintf(w->dir, sizeof(w->dir), "/tmp/dt-rewrite.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->path, sizeof(w->path), "%s/map", w->dir);
}

static void drop_work(struct work *w)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
}

static int append_x(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	(void)ctx;
	(void)len;
	*out = dt_asprintf("%sx\n", old);
	return *out != NULL ? 0 : dt_err_oom(err);
}

static int change_nothing(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	(void)ctx;
	(void)old;
	(void)len;
	(void)err;
	*out = NULL;
	return 0;
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_rewrite_keeps_backup(void **state)
{
	struct work w;
	struct dt_rewrite_target t = {.protection = DT_FILE_PUBLIC, .mode = 0644, .max_bytes = 100};
	struct dt_err err;
	char bak[160], tmp[160];
	struct stat st;
	FILE *tmpf;

	(void)state;
	make_work(&w);
	t.path = w.path;
	dt_err_clear(&err);
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), 0);
	assert_string_equal(slurp(w.path), "x\n");
	assert_int_equal(stat(w.path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, geteuid()); /* root's as root, else the writer's own */
	/* A temp file left by a killed writer does not stop the next one. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", w.path);
	tmpf = fopen(tmp, "w");
	assert_non_null(tmpf);
	fclose(tmpf);
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), 0);
	assert_string_equal(slurp(w.path), "x\nx\n");
	snprintf(bak, sizeof(bak), "%s.bak", w.path);
	assert_string_equal(slurp(bak), "x\n");
	assert_int_equal(access(tmp, F_OK), -1);
	/* No change, no write: the backup stays the one before. */
	assert_int_equal(dt_rewrite_file(&t, change_nothing, NULL, &err), 0);
	assert_string_equal(slurp(bak), "x\n");
	drop_work(&w);
}

static void test_rewrite_refuses_unsafe(void **state)
{
	struct work w;
	struct dt_rewrite_target t = {.protection = DT_FILE_PUBLIC, .mode = 0644, .max_bytes = 4};
	struct dt_err err;
	char link_path[160];

	(void)state;
	make_work(&w);
	t.path = w.path;
	dt_err_clear(&err);
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), 0);
	assert_int_equal(chmod(w.path, 0666), 0);
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), -1);
	assert_non_null(strstr(err.msg, w.path));
	assert_int_equal(chmod(w.path, 0644), 0);
	/* Growing past max_bytes is refused and the file is left alone. */
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), 0);
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), -1);
	assert_string_equal(slurp(w.path), "x\nx\n");
	/* A symlink in place of the file is refused. */
	snprintf(link_path, sizeof(link_path), "%s/link", w.dir);
	assert_int_equal(symlink(w.path, link_path), 0);
	t.path = link_path;
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), -1);
	t.path = "relative/map";
	assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), -1);
	drop_work(&w);
}

/* dingtalk-ctl runs under sudo with the invoking user's umask: the file
 * and its lock get their modes whatever it is. */
static void test_rewrite_modes_ignore_umask(void **state)
{
	static const mode_t masks[] = {0, 0277, 0777};
	struct dt_rewrite_target t = {.protection = DT_FILE_PUBLIC, .mode = 0644, .max_bytes = 100};
	struct dt_err err;
	char lock[160];
	struct stat st;
	struct work w;
	mode_t old;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		make_work(&w);
		t.path = w.path;
		snprintf(lock, sizeof(lock), "%s.lock", w.path);
		dt_err_clear(&err);
		old = umask(masks[i]);
		assert_int_equal(dt_rewrite_file(&t, append_x, NULL, &err), 0);
		umask(old);
		assert_int_equal(stat(w.path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(stat(lock, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		drop_work(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_grammar),
	    cmocka_unit_test(test_add_new_line_keeps_the_rest),
	    cmocka_unit_test(test_add_to_existing_identity),
	    cmocka_unit_test(test_add_twice_changes_nothing),
	    cmocka_unit_test(test_full_line_gets_a_new_one),
	    cmocka_unit_test(test_add_refuses_hostile_input),
	    cmocka_unit_test(test_add_very_long_line),
	    cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_each),
	    cmocka_unit_test(test_rewrite_keeps_backup),
	    cmocka_unit_test(test_rewrite_refuses_unsafe),
	    cmocka_unit_test(test_rewrite_modes_ignore_umask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
