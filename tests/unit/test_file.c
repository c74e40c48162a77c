/* base/file.h: the one safe reader (owner, mode, size, symbolic links,
 * FIFOs, a directory's descriptor) and the one atomic writer (whole
 * despite short writes, the mode whatever the umask, no temporary file
 * left behind by a failure). write(2) is wrapped at link time
 * (-Wl,--wrap=write) so that a test can make it write less than asked, be
 * interrupted, or fail. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/file.h"

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

/* How the wrapped write(2) misbehaves: at most `chunk` bytes a call (0:
 * no limit), EINTR on the next `interruptions` calls, `fail_errno` from
 * every call once set. */
static size_t chunk;
static int interruptions, fail_errno, calls;

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	calls++;
	if (fail_errno != 0) {
		errno = fail_errno;
		return -1;
	}
	if (interruptions > 0) {
		interruptions--;
		errno = EINTR;
		return -1;
	}
	return __real_write(fd, buf, chunk != 0 && n > chunk ? chunk : n);
}

static char dir[] = "/tmp/dt-file.XXXXXX";
static char path[64];

static int setup(void **state)
{
	(void)state;
	chunk = 0;
	interruptions = fail_errno = calls = 0;
	snprintf(dir, sizeof(dir), "/tmp/dt-file.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/f", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *p, const char *text, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(__real_write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The entries of the test directory, for "nothing else left behind". */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static struct dt_file_rules rules(size_t max)
{
	struct dt_file_rules r = {.owner = geteuid(),
				  .forbidden = S_IWGRP | S_IWOTH,
				  .mode_rule = "no group or world write",
				  .max_bytes = max,
				  .kind = DT_ERR_CONFIG};
	return r;
}

static void test_reads_a_file_whole(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;
	char *text;

	(void)state;
	put(path, "a = 1\nb = 2\n", 0644);
	text = dt_file_read(path, &r, &len, &why, &err);
	assert_non_null(text);
	assert_int_equal(len, 12);
	assert_string_equal(text, "a = 1\nb = 2\n");
	assert_int_equal(why.fault, DT_FILE_READ_OK);
	free(text);
}

static void test_nul_bytes_are_the_callers_to_judge(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_err err;
	size_t len = 0;
	char *text;
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(__real_write(fd, "a\0b", 3), 3);
	close(fd);
	text = dt_file_read(path, &r, &len, NULL, &err);
	assert_non_null(text);
	assert_int_equal(len, 3);
	assert_memory_equal(text, "a\0b", 4);
	free(text);
}

static void test_group_or_world_write_is_refused(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;

	(void)state;
	put(path, "x\n", 0620);
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_TOO_OPEN);
	assert_int_equal(why.mode, 0620);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_string_equal(strstr(err.msg, ": refused: mode 0620 is too open"),
			    ": refused: mode 0620 is too open (want no group or world write)");
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
	/* A stricter rule is the caller's to give; without words for it,
	 * the refusal names the forbidden bits. */
	put(path, "x\n", 0640);
	r.forbidden = 077;
	r.mode_rule = NULL;
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_TOO_OPEN);
	assert_non_null(strstr(err.msg, ": refused: mode 0640 is too open (want none of 0077)"));
	chmod(path, 0600);
	free(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_READ_OK);
}

static void test_another_owner_is_refused(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	put(path, "x\n", 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	r.owner = 0;
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_NOT_OWNED);
	assert_int_equal(why.owner, 65534);
	assert_non_null(strstr(err.msg, "refused: owned by uid 65534, must be owned by root"));
	r.owner = 65534;
	free(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_READ_OK);
}

/* A process that is root trusts only root's protected files, with the
 * refusal it always gave. */
static void test_protected_files_as_root_want_root(void **state)
{
	struct dt_err err;
	size_t len = 0;
	char *text;

	(void)state;
	if (geteuid() != 0)
		skip();
	put(path, "x\n", 0600);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_null(dt_read_protected_file(path, DT_FILE_SECRET, 100, &len, &err));
	assert_non_null(strstr(err.msg, "refused: owned by uid 65534, must be owned by root"));
	assert_null(strstr(err.msg, "root or"));
	assert_int_equal(chown(path, 0, 0), 0);
	text = dt_read_protected_file(path, DT_FILE_SECRET, 100, &len, &err);
	assert_non_null(text);
	free(text);
}

/* The owner rule as a process that is not root sees it: its own secret
 * file and root's public one are read, a third uid's is refused (when the
 * caller could make one), and a replaced file stays the process's own.
 * Returns 0, or which check failed, for a child's exit status. */
static int judge_as_non_root(const char *own, const char *roots, const char *third)
{
	const struct dt_file_write w = {.path = own, .mode = 0600, .trusted_owner = 1};
	struct dt_err err;
	struct stat st;
	char want[64];
	size_t len = 0;
	char *text;

	text = dt_read_protected_file(own, DT_FILE_SECRET, 100, &len, &err);
	if (text == NULL)
		return 1;
	free(text);
	text = dt_read_protected_file(roots, DT_FILE_PUBLIC, 1 << 20, &len, &err);
	if (text == NULL)
		return 2;
	free(text);
	if (third != NULL && dt_read_protected_file(third, DT_FILE_PUBLIC, 100, &len, &err) != NULL)
		return 3;
	snprintf(want, sizeof(want), "must be owned by root or uid %u (this process)",
		 (unsigned)geteuid());
	if (third != NULL && strstr(err.msg, want) == NULL)
		return 4;
	if (dt_file_replace(&w, "y\n", 2, &err) != 0 || stat(own, &st) != 0 ||
	    st.st_uid != geteuid())
		return 5;
	return 0;
}

/* As root, the non-root side runs in a child that has become nobody, with
 * a third uid's file made for it; otherwise in this process, with
 * /etc/passwd as root's file. */
static void test_protected_files_not_as_root_take_their_own(void **state)
{
	char roots[80], third[80];
	pid_t pid;
	int status;

	(void)state;
	put(path, "x\n", 0600);
	if (geteuid() != 0) {
		assert_int_equal(judge_as_non_root(path, "/etc/passwd", NULL), 0);
		return;
	}
	snprintf(roots, sizeof(roots), "%s/roots", dir);
	snprintf(third, sizeof(third), "%s/third", dir);
	put(roots, "r\n", 0644);
	put(third, "t\n", 0644);
	assert_int_equal(chown(third, 65533, 65533), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(setgid(65534) != 0 || setuid(65534) != 0
			  ? 9
			  : judge_as_non_root(path, roots, third));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_a_larger_file_is_refused(void **state)
{
	struct dt_file_rules r = rules(4);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;
	char *text;

	(void)state;
	put(path, "1234", 0600);
	text = dt_file_read(path, &r, &len, &why, &err);
	assert_non_null(text); /* the limit itself is allowed */
	free(text);
	put(path, "12345", 0600);
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_TOO_LARGE);
	assert_non_null(strstr(err.msg, "refused: larger than 4 bytes"));
}

static void test_a_symbolic_link_is_refused(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	char link[96];
	size_t len = 0;

	(void)state;
	put(path, "x\n", 0600);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_null(dt_file_read(link, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_CANNOT_OPEN);
	assert_int_equal(why.errnum, ELOOP);
	assert_non_null(strstr(err.msg, "cannot open: "));
	assert_non_null(strstr(err.msg, "(symbolic links are refused)"));
}

static void test_a_missing_file_says_enoent(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;

	(void)state;
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_CANNOT_OPEN);
	assert_int_equal(why.errnum, ENOENT);
}

/* A FIFO in the file's place must neither hang the reader in open(2) nor
 * be read. */
static void test_a_fifo_is_refused_without_blocking(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_file_refusal why;
	struct dt_err err;
	size_t len = 0;

	(void)state;
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5); /* a hang fails the test instead of stalling make check */
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	alarm(0);
	assert_int_equal(why.fault, DT_FILE_NOT_REGULAR);
	assert_non_null(strstr(err.msg, ": not a regular file"));
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_null(dt_file_read(path, &r, &len, &why, &err));
	assert_int_equal(why.fault, DT_FILE_NOT_REGULAR);
}

/* The file comes from the directory descriptor, whatever its path says. */
static void test_read_at_takes_the_directory_descriptor(void **state)
{
	struct dt_file_rules r = rules(100);
	struct dt_err err;
	size_t len = 0;
	char *text;
	int d;

	(void)state;
	put(path, "here\n", 0600);
	d = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(d >= 0);
	text = dt_file_read_at(d, "f", "shown-name", &r, &len, NULL, &err);
	assert_non_null(text);
	assert_string_equal(text, "here\n");
	free(text);
	assert_null(dt_file_read_at(d, "absent", "shown-name", &r, &len, NULL, &err));
	assert_true(strncmp(err.msg, "shown-name: cannot open: ", 25) == 0);
	close(d);
}

static void assert_file_is(const char *p, const char *text, mode_t mode)
{
	struct dt_file_rules r = rules(4096);
	struct dt_err err;
	struct stat st;
	size_t len = 0;
	char *got;

	r.forbidden = 0;
	got = dt_file_read(p, &r, &len, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, text);
	free(got);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void test_replace_writes_the_file_with_its_mode(void **state)
{
	const struct dt_file_write w = {.path = path, .mode = 0640};
	struct dt_err err;

	(void)state;
	put(path, "old\n", 0600);
	assert_int_equal(dt_file_replace(&w, "new text\n", 9, &err), 0);
	assert_file_is(path, "new text\n", 0640);
	assert_int_equal(entries(), 1); /* no temporary file left */
}

/* open(2) and mkstemp(3) modes are cut by the umask of whoever runs the
 * writer (su's caller, sudo's user): the mode is set on the descriptor. */
static void test_the_umask_does_not_cut_the_mode(void **state)
{
	const struct dt_file_write fresh = {.path = path, .mode = 0644};
	char tmp[96];
	struct dt_file_write fixed = {.path = path, .mode = 0604, .tmp = tmp, .sync_dir = 1};
	struct dt_err err;
	mode_t old = umask(0777);

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(dt_file_replace(&fresh, "a\n", 2, &err), 0);
	umask(old);
	assert_file_is(path, "a\n", 0644);
	umask(0777);
	assert_int_equal(dt_file_replace(&fixed, "b\n", 2, &err), 0);
	umask(old);
	assert_file_is(path, "b\n", 0604);
	assert_int_equal(entries(), 1);
}

/* write(2) may take fewer bytes than asked, or be interrupted: the writer
 * carries on until the whole text is on disk. */
static void test_short_and_interrupted_writes_still_write_it_all(void **state)
{
	const struct dt_file_write w = {.path = path, .mode = 0600};
	const char *text = "qr = ascii\n# and a longer line that takes many calls\n";
	struct dt_err err;

	(void)state;
	chunk = 3;
	interruptions = 2;
	assert_int_equal(dt_file_replace(&w, text, strlen(text), &err), 0);
	chunk = 0;
	assert_true(calls > (int)(strlen(text) / 3));
	assert_file_is(path, text, 0600);
}

/* A failed write leaves the old file untouched and no temporary file. */
static void test_a_failed_write_leaves_the_old_file_and_no_temp(void **state)
{
	const struct dt_file_write fresh = {.path = path, .mode = 0600};
	char tmp[96];
	const struct dt_file_write fixed = {.path = path, .mode = 0600, .tmp = tmp};
	struct dt_err err;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	put(path, "old\n", 0600);
	fail_errno = ENOSPC;
	assert_int_equal(dt_file_replace(&fresh, "new\n", 4, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, ": cannot write: "));
	assert_non_null(strstr(err.msg, strerror(ENOSPC)));
	assert_int_equal(dt_file_replace(&fixed, "new\n", 4, &err), -1);
	fail_errno = 0;
	assert_file_is(path, "old\n", 0600);
	assert_int_equal(entries(), 1);
}

/* A rename that fails (here: the target is a directory) removes the
 * temporary file too. */
static void test_a_failed_rename_leaves_no_temp(void **state)
{
	const struct dt_file_write w = {.path = path, .mode = 0600};
	struct dt_err err;

	(void)state;
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(dt_file_replace(&w, "x\n", 2, &err), -1);
	assert_non_null(strstr(err.msg, ": cannot replace: "));
	assert_int_equal(entries(), 1);
}

/* A fixed temporary name left by a writer that was killed is replaced. */
static void test_a_leftover_fixed_temp_is_replaced(void **state)
{
	char tmp[96];
	const struct dt_file_write w = {.path = path, .mode = 0600, .tmp = tmp};
	struct dt_err err;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	put(tmp, "half a file", 0644);
	assert_int_equal(dt_file_replace(&w, "whole\n", 6, &err), 0);
	assert_file_is(path, "whole\n", 0600);
	assert_int_equal(access(tmp, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reads_a_file_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nul_bytes_are_the_callers_to_judge, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_group_or_world_write_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_another_owner_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protected_files_as_root_want_root, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_protected_files_not_as_root_take_their_own, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_larger_file_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_symbolic_link_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_missing_file_says_enoent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_fifo_is_refused_without_blocking, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_read_at_takes_the_directory_descriptor, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_replace_writes_the_file_with_its_mode, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_the_umask_does_not_cut_the_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_short_and_interrupted_writes_still_write_it_all,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_write_leaves_the_old_file_and_no_temp,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_rename_leaves_no_temp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_leftover_fixed_temp_is_replaced, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
