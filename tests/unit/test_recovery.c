/* Recovery codes: their shape, the salted hash (no code in the file), a
 * code spent once only, another user's code refused, look-alike and
 * dash-free typing accepted, hostile files refused with their line; and
 * the store: root-only file, issue replaces, status counts. */
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

#include "access/recovery.h"
#include "access/recovery_store.h"
#include "base/util.h"

static void test_code_shape(void **state)
{
	char a[DT_RECOVERY_CODE_SIZE], b[DT_RECOVERY_CODE_SIZE];
	size_t i;

	(void)state;
	assert_int_equal(dt_recovery_new_code(a, NULL), 0);
	assert_int_equal(dt_recovery_new_code(b, NULL), 0);
	assert_int_equal(strlen(a), 19);
	assert_string_not_equal(a, b);
	for (i = 0; i < 19; i++) {
		if (i % 5 == 4)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdefghjkmnpqrstvwxyz", a[i]));
	}
}

/* A file with `user`'s codes, returning them in `codes`. */
static char *file_with(const char *user, char codes[][DT_RECOVERY_CODE_SIZE], size_t n,
		       const char *before)
{
	char *hashes[8], *out = NULL;
	struct dt_err err;
	size_t i;

	dt_err_clear(&err);
	for (i = 0; i < n; i++) {
		assert_int_equal(dt_recovery_new_code(codes[i], &err), 0);
		hashes[i] = dt_recovery_hash(codes[i], &err);
		assert_non_null(hashes[i]);
		/* Only the hash is stored. */
		assert_null(strstr(hashes[i], codes[i]));
	}
	assert_int_equal(
	    dt_recovery_replace(before, strlen(before), "r", user, hashes, n, &out, &err), 0);
	for (i = 0; i < n; i++)
		free(hashes[i]);
	return out;
}

static int consume(char **text, const char *user, const char *code, unsigned *left)
{
	struct dt_err err;
	char *out = NULL;

	dt_err_clear(&err);
	assert_int_equal(
	    dt_recovery_consume(*text, strlen(*text), "r", user, code, &out, left, &err), 0);
	if (out == NULL)
		return 0;
	free(*text);
	*text = out;
	return 1;
}

static void test_single_use(void **state)
{
	char codes[3][DT_RECOVERY_CODE_SIZE];
	char *text = file_with("alice", codes, 3, "# codes\nbob pbkdf2-sha256$1000$x$y\n");
	unsigned left = 0;

	(void)state;
	assert_non_null(strstr(text, "# codes\nbob pbkdf2-sha256$1000$x$y\nalice\t"));
	assert_true(consume(&text, "alice", codes[1], &left));
	assert_int_equal(left, 2);
	assert_false(consume(&text, "alice", codes[1], &left)); /* spent */
	assert_int_equal(left, 2);
	assert_false(consume(&text, "bob", codes[0], &left)); /* someone else's */
	assert_true(consume(&text, "alice", codes[0], &left));
	assert_int_equal(left, 1);
	assert_non_null(strstr(text, "bob pbkdf2")); /* others untouched */
	free(text);
}

static void test_typing_variants(void **state)
{
	char codes[1][DT_RECOVERY_CODE_SIZE], typed[64];
	char *text = file_with("alice", codes, 1, "");
	unsigned left = 0;
	size_t i, o = 0;

	(void)state;
	/* Upper case, no dashes, spaces. */
	for (i = 0; codes[0][i] != '\0'; i++)
		if (codes[0][i] != '-')
			typed[o++] = (char)(codes[0][i] >= 'a' ? codes[0][i] - 32 : codes[0][i]);
	typed[o] = '\0';
	assert_false(consume(&text, "alice", "", &left));
	assert_false(consume(&text, "alice", "not-a-code", &left));
	assert_false(consume(&text, "alice", "0000-0000-0000-0000", &left));
	assert_int_equal(left, 1);
	assert_true(consume(&text, "alice", typed, &left));
	assert_int_equal(left, 0);
	free(text);
}

static void test_hostile_files(void **state)
{
	struct dt_err err;
	unsigned left;
	char *out = NULL;

	(void)state;
	dt_err_clear(&err);
	assert_int_equal(dt_recovery_count("alice\n", 6, "/r", "alice", &left, &err), -1);
	assert_non_null(strstr(err.msg, "/r:1"));
	dt_err_clear(&err);
	assert_int_equal(dt_recovery_count("# x\nal ice h\n", 13, "/r", "alice", &left, &err), -1);
	assert_non_null(strstr(err.msg, "/r:2"));
	assert_int_equal(dt_recovery_count("a\0 h\n", 5, "/r", "a", &left, &err), -1);
	/* Malformed hashes match nothing, and are no error to a login. */
	dt_err_clear(&err);
	assert_int_equal(dt_recovery_consume("alice pbkdf2-sha256$1$AA$AA\nalice junk\n", 39, "/r",
					     "alice", "0000-0000-0000-0000", &out, &left, &err),
			 0);
	assert_null(out);
	assert_int_equal(left, 2);
}

static void test_store(void **state)
{
	char dir[] = "/tmp/dt-recovery.XXXXXX", path[64], cmd[96];
	char *codes[3];
	struct dt_err err;
	unsigned left = 9;
	struct stat st;
	int accepted = 0;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/recovery", dir);
	dt_err_clear(&err);
	assert_int_equal(dt_recovery_left(path, "alice", &left, &err), 0); /* no file */
	assert_int_equal(left, 0);
	assert_int_equal(dt_recovery_issue(path, "alice", 3, codes, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dt_recovery_use(path, "alice", codes[2], &accepted, &left, &err), 0);
	assert_true(accepted);
	assert_int_equal(left, 2);
	assert_int_equal(dt_recovery_use(path, "alice", codes[2], &accepted, &left, &err), 0);
	assert_false(accepted);
	/* Issuing again revokes the old codes. */
	for (i = 0; i < 3; i++)
		free(codes[i]);
	assert_int_equal(dt_recovery_issue(path, "alice", 1, codes, &err), 0);
	free(codes[0]);
	assert_int_equal(dt_recovery_left(path, "alice", &left, &err), 0);
	assert_int_equal(left, 1);
	/* A file others can read is not trusted. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(dt_recovery_left(path, "alice", &left, &err), -1);
	assert_int_equal(dt_recovery_use(path, "alice", "x", &accepted, &left, &err), -1);
	assert_false(accepted);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code_shape),	    cmocka_unit_test(test_single_use),
	    cmocka_unit_test(test_typing_variants), cmocka_unit_test(test_hostile_files),
	    cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
