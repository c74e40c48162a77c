/* Which OpenSSH a program is (login/sshd_version.h) and the wait mode
 * `wait = auto` gives a login over sshd (login/ssh_wait.h): version
 * strings among a binary's bytes as OpenSSH and Debian compile them,
 * compat-table patterns that must not count, disagreeing versions, strings
 * cut by the end of the data or of a block, and the files that must not be
 * trusted. */
#include "config.h"

#include <elf.h>
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

#include "login/ssh_wait.h"
#include "login/sshd_version.h"

/* A program's bytes: text with embedded NULs, as sizeof gives them. */
#define BLOB(s) ((const unsigned char *)(s)), (sizeof(s) - 1)

static int scan(const unsigned char *buf, size_t len, struct dt_openssh_version *v)
{
	struct dt_openssh_scan s;

	dt_openssh_scan_init(&s);
	dt_openssh_scan_block(&s, buf, len);
	return dt_openssh_scan_result(&s, v);
}

static void test_debian_release_string(void **state)
{
	struct dt_openssh_version v;

	(void)state;
	assert_int_equal(scan(BLOB("\x7f"
				   "ELF\0\0OpenSSH_9.2\0debug1: %s\0OpenSSH_2.*,OpenSSH_3.0*,"
				   "OpenSSH_3.1*\0OpenSSH_6.6.1*\0OpenSSH_9.2p1 Debian-2+deb12u3\0"
				   "OpenSSH_9.2p1\0\xff\xfe"),
			      &v),
			 1);
	assert_int_equal(v.major, 9);
	assert_int_equal(v.minor, 2);
	assert_string_equal(v.text, "OpenSSH_9.2p1 Debian-2+deb12u3");
	assert_false(dt_openssh_sends_info_at_once(&v));
}

static void test_versions_around_10_3(void **state)
{
	struct dt_openssh_version v;

	(void)state;
	assert_int_equal(scan(BLOB("\0OpenSSH_10.3p1\0"), &v), 1);
	assert_true(dt_openssh_sends_info_at_once(&v));
	assert_int_equal(scan(BLOB("\0OpenSSH_10.2p1\0"), &v), 1);
	assert_false(dt_openssh_sends_info_at_once(&v));
	/* 10.10 is later than 10.3: numbers, not text. */
	assert_int_equal(scan(BLOB("\0OpenSSH_10.10p2\0"), &v), 1);
	assert_int_equal(v.minor, 10);
	assert_true(dt_openssh_sends_info_at_once(&v));
	assert_int_equal(scan(BLOB("\0OpenSSH_9.10\0"), &v), 1);
	assert_false(dt_openssh_sends_info_at_once(&v));
	assert_int_equal(scan(BLOB("\0OpenSSH_11.0\0"), &v), 1);
	assert_true(dt_openssh_sends_info_at_once(&v));
	assert_int_equal(scan(BLOB("\0OpenSSH_10.5\0OpenSSH_10.5p1\0"), &v), 1);
	assert_string_equal(v.text, "OpenSSH_10.5p1");
}

static void test_nothing_that_is_not_a_whole_version_counts(void **state)
{
	struct dt_openssh_version v;
	unsigned char noise[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)((i * 7919u) >> 3);
	assert_int_equal(scan(noise, sizeof(noise), &v), 0);
	assert_int_equal(scan(BLOB(""), &v), 0);
	/* Compat patterns, a mention in a sentence, the peer's banner. */
	assert_int_equal(scan(BLOB("\0OpenSSH_7.4*\0OpenSSH_5*\0"), &v), 0);
	assert_int_equal(scan(BLOB("\0before OpenSSH_10.3 sshd held\0"), &v), 0);
	assert_int_equal(scan(BLOB("\0OpenSSH_10.3p1 and later\0"), &v), 0);
	assert_int_equal(scan(BLOB("\0SSH-2.0-OpenSSH_10.5p1\r\n\0"), &v), 0);
	/* Malformed: no minor, four digits, a bare prefix, a control byte. */
	assert_int_equal(scan(BLOB("\0OpenSSH_10\0OpenSSH_1000.3p1\0OpenSSH_\0"), &v), 0);
	assert_int_equal(scan(BLOB("\0OpenSSH_10.5p1 Debian\n\0"), &v), 0);
	/* Truncated: the data ends before the string's NUL. */
	assert_int_equal(scan(BLOB("\0OpenSSH_10.5p1"), &v), 0);
	assert_int_equal(scan(BLOB("\0OpenSSH_10.5p1 Debi"), &v), 0);
	assert_int_equal(scan(BLOB("\0OpenSSH_1"), &v), 0);
}

static void test_disagreeing_versions_give_no_answer(void **state)
{
	struct dt_openssh_version v;

	(void)state;
	assert_int_equal(scan(BLOB("\0OpenSSH_9.2p1\0OpenSSH_10.5p1\0"), &v), 0);
	assert_int_equal(scan(BLOB("\0OpenSSH_10.5\0OpenSSH_10.3p1\0"), &v), 0);
}

/* A string cut by a block's end is found whole in the next block, which
 * repeats the previous block's tail (sshd_version.h). */
static void test_a_string_across_blocks(void **state)
{
	static const char text[] = "\0\0\0\0OpenSSH_10.5p1 Ubuntu-1\0\0";
	const unsigned char *p = (const unsigned char *)text;
	size_t len = sizeof(text) - 1, cut;
	struct dt_openssh_version v;
	struct dt_openssh_scan s;

	(void)state;
	for (cut = 1; cut < len; cut++) {
		dt_openssh_scan_init(&s);
		dt_openssh_scan_block(&s, p, cut);
		dt_openssh_scan_block(&s, p, len); /* the tail repeated, then the rest */
		assert_int_equal(dt_openssh_scan_result(&s, &v), 1);
		assert_string_equal(v.text, "OpenSSH_10.5p1 Ubuntu-1");
	}
}

static char *write_program(const char *content, size_t len, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/dt-sshdver.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* The program is read through blocks of 64 KiB: a version string placed
 * across the first boundary is found. */
static void test_files_and_who_owns_them(void **state)
{
	static const char version[] = "OpenSSH_10.5p1";
	struct dt_openssh_version v;
	struct dt_err err;
	size_t len = 64 * 1024 + 4096, at = 64 * 1024 - 6;
	char *content = calloc(1, len), *path, why[768];

	(void)state;
	assert_non_null(content);
	memcpy(content + at, version, sizeof(version));
	dt_err_clear(&err);
	assert_int_equal(dt_openssh_version_of("/nonexistent/sshd-session", &v, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/sshd-session"));
	assert_int_equal(dt_ssh_auto_wait("/nonexistent/sshd-session", why, sizeof(why)),
			 DT_WAIT_ENTER);
	assert_non_null(strstr(why, "prompt kept"));
	dt_err_clear(&err);
	assert_int_equal(dt_openssh_version_of("/tmp", &v, &err), -1);
	assert_non_null(strstr(err.msg, "not a regular file"));

	path = write_program(content, len, 0755);
	dt_err_clear(&err);
	if (geteuid() != 0) {
		/* Not root's: never trusted, whatever it says. */
		assert_int_equal(dt_openssh_version_of(path, &v, &err), -1);
		assert_non_null(strstr(err.msg, "not root's"));
		assert_int_equal(dt_ssh_auto_wait(path, NULL, 0), DT_WAIT_ENTER);
		printf("# not root: the root-owned cases of this test are skipped\n");
	} else {
		assert_int_equal(dt_openssh_version_of(path, &v, &err), 1);
		assert_string_equal(v.text, version);
		assert_int_equal(dt_ssh_auto_wait(path, why, sizeof(why)), DT_WAIT_POLL);
		assert_non_null(strstr(why, "OpenSSH_10.5p1"));
		/* Writable by others: not trusted. */
		assert_int_equal(chmod(path, 0757), 0);
		assert_int_equal(dt_openssh_version_of(path, &v, &err), -1);
		assert_non_null(strstr(err.msg, "writable by others"));
		assert_int_equal(dt_ssh_auto_wait(path, NULL, 0), DT_WAIT_ENTER);
		/* Too large to be read. */
		assert_int_equal(chmod(path, 0755), 0);
		assert_int_equal(truncate(path, (off_t)DT_SSHD_PROGRAM_MAX + 1), 0);
		assert_int_equal(dt_openssh_version_of(path, &v, &err), -1);
		assert_non_null(strstr(err.msg, "larger than"));
		assert_int_equal(truncate(path, (off_t)len), 0);
		/* Another owner. */
		assert_int_equal(chmod(path, 0755), 0);
		assert_int_equal(chown(path, 1, 1), 0);
		assert_int_equal(dt_openssh_version_of(path, &v, &err), -1);
		assert_non_null(strstr(err.msg, "not root's"));
	}
	unlink(path);
	free(content);
}

/* This machine's own sshd, when installed: Debian 12's is 9.2, before
 * 10.3, so auto keeps the prompt. */
static void test_installed_sshd(void **state)
{
	struct dt_openssh_version v;
	struct dt_err err;
	struct stat st;

	(void)state;
	if (stat("/usr/sbin/sshd", &st) != 0 || st.st_uid != 0) {
		printf("# no /usr/sbin/sshd of root's: nothing to read\n");
		return;
	}
	dt_err_clear(&err);
	assert_int_equal(dt_openssh_version_of("/usr/sbin/sshd", &v, &err), 1);
	assert_non_null(strstr(v.text, "OpenSSH_"));
	printf("# /usr/sbin/sshd: %s\n", v.text);
	assert_int_equal(dt_ssh_auto_wait("/usr/sbin/sshd", NULL, 0),
			 dt_openssh_sends_info_at_once(&v) ? DT_WAIT_POLL : DT_WAIT_ENTER);
}

/* The whole of a file through the public scan, block by block as the
 * module did before it read .rodata alone. */
static int whole_file_answer(const char *content, size_t len, struct dt_openssh_version *v)
{
	struct dt_openssh_scan s;

	dt_openssh_scan_init(&s);
	dt_openssh_scan_block(&s, (const unsigned char *)content, len);
	return dt_openssh_scan_result(&s, v);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *content;
	struct stat st;

	if (f == NULL || fstat(fileno(f), &st) != 0)
		return NULL;
	content = malloc((size_t)st.st_size + 64);
	assert_non_null(content);
	*len = fread(content, 1, (size_t)st.st_size, f);
	fclose(f);
	return content;
}

/* A native ELF program is read in its .rodata alone, where OpenSSH keeps
 * its version: the answer for this machine's sshd is the whole file's; a
 * conflicting string planted past .rodata changes nothing; headers that do
 * not add up send the module back to the whole file, which then sees the
 * conflict. Root only: the program must be root's to be read. */
static void test_elf_programs_are_read_in_their_rodata(void **state)
{
	static const char planted[] = "OpenSSH_1.0";
	struct dt_openssh_version whole, fast;
	struct dt_err err;
	Elf64_Ehdr *eh;
	size_t len = 0;
	char *content, *path;

	(void)state;
	if (geteuid() != 0 || (content = read_all("/usr/sbin/sshd", &len)) == NULL) {
		printf("# not root, or no /usr/sbin/sshd: skipped\n");
		return;
	}
	assert_int_equal(whole_file_answer(content, len, &whole), 1);
	path = write_program(content, len, 0755);
	dt_err_clear(&err);
	assert_int_equal(dt_openssh_version_of(path, &fast, &err), 1);
	assert_string_equal(fast.text, whole.text);
	unlink(path);

	/* Past the end of every section: never read. */
	memcpy(content + len, planted, sizeof(planted));
	path = write_program(content, len + sizeof(planted), 0755);
	assert_int_equal(dt_openssh_version_of(path, &fast, &err), 1);
	assert_string_equal(fast.text, whole.text);
	unlink(path);

	/* Section headers past the end of the file: the whole file is read,
	 * the planted string with it, and two versions give no answer. */
	eh = (Elf64_Ehdr *)(void *)content;
	eh->e_shoff = (Elf64_Off)(len * 4);
	path = write_program(content, len + sizeof(planted), 0755);
	dt_err_clear(&err);
	assert_int_equal(dt_openssh_version_of(path, &fast, &err), 0);
	assert_non_null(strstr(err.msg, "several OpenSSH versions"));
	unlink(path);
	free(content);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian_release_string),
	    cmocka_unit_test(test_versions_around_10_3),
	    cmocka_unit_test(test_nothing_that_is_not_a_whole_version_counts),
	    cmocka_unit_test(test_disagreeing_versions_give_no_answer),
	    cmocka_unit_test(test_a_string_across_blocks),
	    cmocka_unit_test(test_files_and_who_owns_them),
	    cmocka_unit_test(test_installed_sshd),
	    cmocka_unit_test(test_elf_programs_are_read_in_their_rodata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
