/* sudo's arguments as the module reads them to find -n
 * (src/pam/noninteractive.h): short groups, options that take the next
 * argument, long options and their abbreviations, the end of options, and
 * programs that are not sudo; and which callers are judged at all. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "noninteractive.h"

#define ARGS(...)                                                                                  \
	((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))),                     \
	    ((const char *[]){__VA_ARGS__})

static void test_asks_for_n(void **state)
{
	(void)state;
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-n", "true")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("/usr/bin/sudo", "-kn", "id")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-u", "root", "-n", "id")));
	assert_true(pam_dt_sudo_args_noninteractive(
	    ARGS("sudo", "-H", "-S", "-n", "-u", "root", "/bin/sh", "-c", "echo BECOME")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--non-interactive", "id")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--non", "id")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--user=root", "-n", "id")));
	assert_true(pam_dt_sudo_args_noninteractive(ARGS("sudoedit", "-n", "/etc/hosts")));
}

static void test_does_not_ask_for_n(void **state)
{
	(void)state;
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "id")));
	/* The n is an option's argument, or the command's. */
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-u", "-n", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-un", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--user", "-n", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--prompt", "-n", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-hn", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "id", "-n")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--", "-n")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "-", "-n")));
	/* "--no" is ambiguous (--no-update, --non-interactive): getopt refuses it. */
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("sudo", "--no", "id")));
	/* Not sudo, or nothing at all. */
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("su", "-n")));
	assert_false(pam_dt_sudo_args_noninteractive(ARGS("mysudo", "-n", "id")));
	assert_false(pam_dt_sudo_args_noninteractive(0, NULL));
}

/* Only sudo's services are judged; without a terminal sudo is refused. */
static void test_who_is_judged(void **state)
{
	(void)state;
	assert_null(pam_dt_nobody_to_scan("sshd", NULL));
	assert_null(pam_dt_nobody_to_scan("login", NULL));
	assert_null(pam_dt_nobody_to_scan("su", ""));
	assert_null(pam_dt_nobody_to_scan(NULL, NULL));
	assert_non_null(pam_dt_nobody_to_scan("sudo", NULL));
	assert_non_null(pam_dt_nobody_to_scan("sudo-i", ""));
	/* This program is not sudo: with a terminal, someone may be there. */
	assert_null(pam_dt_nobody_to_scan("sudo", "/dev/pts/3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_asks_for_n),
	    cmocka_unit_test(test_does_not_ask_for_n),
	    cmocka_unit_test(test_who_is_judged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
