/* The environment guard (src/pam/env_guard.h): while it is in place the
 * process's environment is the module's; the host's exact array comes
 * back at the end and around the application's conversation; proxy_env
 * copies only the proxy variables; the host's values stay readable on
 * purpose; a host that answers getenv itself (as sudo does) is caught; a
 * setenv inside makes the login fail closed, whoever built the host's
 * array; in a privileged process, the caller's low resource limits are
 * raised for the call and restored exactly.
 *
 * This program defines getenv itself, the way sudo does: it answers from
 * `environ`, unless `hook_answers` is set, when SSLKEYLOGFILE comes from
 * a private environment of the "host" whatever `environ` is. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>
#include <sys/wait.h>

/* glibc's getrlimit and setrlimit take an enum under _GNU_SOURCE, an int
 * otherwise; clang's -Wsign-conversion tells the two apart. */
#ifdef __USE_GNU
typedef __rlimit_resource_t resource_t;
#else
typedef int resource_t;
#endif

#include <cmocka.h>
#include <security/pam_appl.h>

#include "env_guard.h"

static int hook_answers;
static char hooked_value[] = "/etc/ld.so.preload";

char *getenv(const char *name)
{
	size_t len = strlen(name);
	char **e;

	if (hook_answers && strcmp(name, "SSLKEYLOGFILE") == 0)
		return hooked_value;
	for (e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static char keylog[] = "SSLKEYLOGFILE=/tmp/keylog", lang[] = "LANG=zh_CN.UTF-8",
	    proxy[] = "https_proxy=http://proxy.example:3128", no_proxy[] = "no_proxy=127.0.0.1",
	    conf[] = "OPENSSL_CONF=/tmp/evil.cnf";
/* The last slot keeps cmocka's CMOCKA_MESSAGE_OUTPUT (TAP), which cmocka
 * reads with getenv whenever it prints. */
static char *host[] = {keylog, lang, proxy, no_proxy, conf, NULL, NULL};

static int use_host(void **state)
{
	(void)state;
	environ = host;
	hook_answers = 0;
	return 0;
}

static void test_enter_hides_and_leave_restores_the_same_array(void **state)
{
	(void)state;
	pam_dt_env_enter();
	assert_ptr_not_equal(environ, host);
	assert_null(getenv("SSLKEYLOGFILE"));
	assert_null(getenv("OPENSSL_CONF"));
	assert_null(getenv("https_proxy"));
	assert_string_equal(pam_dt_env_host("LANG"), "zh_CN.UTF-8");
	assert_null(pam_dt_env_host("LANGUAGE"));
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
	assert_string_equal(getenv("SSLKEYLOGFILE"), "/tmp/keylog");
}

static void test_nested_calls_restore_at_the_last_leave(void **state)
{
	(void)state;
	pam_dt_env_enter();
	pam_dt_env_enter();
	pam_dt_env_leave();
	assert_ptr_not_equal(environ, host);
	assert_null(getenv("SSLKEYLOGFILE"));
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
}

static void test_proxy_env_copies_only_the_proxy_variables(void **state)
{
	(void)state;
	pam_dt_env_enter();
	pam_dt_env_allow_proxy();
	assert_string_equal(getenv("https_proxy"), "http://proxy.example:3128");
	assert_string_equal(getenv("no_proxy"), "127.0.0.1");
	assert_null(getenv("SSLKEYLOGFILE"));
	assert_null(getenv("LANG"));
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
	/* The next call starts empty again. */
	pam_dt_env_enter();
	assert_null(getenv("https_proxy"));
	pam_dt_env_leave();
}

static void test_overlong_proxy_value_is_left_out(void **state)
{
	static char long_proxy[4096];
	static char http_proxy[] = "http_proxy=http://p:1";
	char *env[] = {long_proxy, http_proxy, NULL};

	(void)state;
	snprintf(long_proxy, sizeof(long_proxy), "https_proxy=http://");
	memset(long_proxy + 19, 'a', sizeof(long_proxy) - 20);
	environ = env;
	pam_dt_env_enter();
	pam_dt_env_allow_proxy();
	assert_null(getenv("https_proxy"));
	assert_string_equal(getenv("http_proxy"), "http://p:1");
	pam_dt_env_leave();
	assert_ptr_equal(environ, env);
	environ = host; /* env lives on this stack */
}

/* A library's setenv inside the module makes glibc build a new array: the
 * guard notices, the login is to be refused, and the host gets an empty
 * environment back (the guard cannot know whether glibc reallocated the
 * host's own array: the next case). */
static void test_setenv_inside_is_caught(void **state)
{
	(void)state;
	pam_dt_env_enter();
	assert_int_equal(pam_dt_env_intact(), 1);
	assert_int_equal(setenv("CURL_HOME", "/tmp", 1), 0);
	assert_int_equal(pam_dt_env_intact(), 0);
	assert_int_equal(pam_dt_env_leave(), -1);
	assert_non_null(environ);
	assert_null(environ[0]);
	assert_null(getenv("CURL_HOME"));
	environ = host; /* cmocka prints with getenv */
	/* The next login starts afresh. */
	pam_dt_env_enter();
	assert_int_equal(pam_dt_env_intact(), 1);
	assert_int_equal(pam_dt_env_leave(), 0);
	assert_ptr_equal(environ, host);
}

/* The host built its own array with setenv, so it is glibc's last one: a
 * setenv inside the module makes glibc reallocate the HOST's array and
 * copy the module's entries into it. Handing that pointer back would give
 * the host a freed array or the library's variable: it gets none. */
static void test_setenv_inside_with_a_setenv_built_host(void **state)
{
	(void)state;
	environ = NULL;
	assert_int_equal(setenv("HOST_VARIABLE", "1", 1), 0);
	assert_string_equal(getenv("HOST_VARIABLE"), "1");
	pam_dt_env_enter();
	assert_int_equal(setenv("CURL_HOME", "/tmp", 1), 0);
	assert_int_equal(pam_dt_env_leave(), -1);
	assert_null(getenv("CURL_HOME"));
	assert_non_null(environ);
	assert_null(environ[0]);
	environ = host;
}

/* Nested: the inner leave already reports it, and the host's pointer is
 * not handed to the application's conversation either. */
static void test_setenv_inside_nested_calls(void **state)
{
	(void)state;
	pam_dt_env_enter();
	pam_dt_env_enter();
	assert_int_equal(setenv("CURL_HOME", "/tmp", 1), 0);
	assert_int_equal(pam_dt_env_leave(), -1);
	assert_null(getenv("CURL_HOME"));
	assert_null(pam_dt_env_host("LANG"));
	assert_int_equal(pam_dt_env_leave(), -1);
	assert_null(environ[0]);
	environ = host;
}

struct seen {
	const char *keylog;
	int calls;
};

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct seen *seen = data;
	int i;

	seen->keylog = getenv("SSLKEYLOGFILE");
	seen->calls++;
	*resp = calloc((size_t)n, sizeof(**resp));
	if (*resp == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			(*resp)[i].resp = strdup("x");
	return PAM_SUCCESS;
}

static void test_the_application_has_its_environment_while_prompting(void **state)
{
	struct seen seen = {NULL, 0};
	struct pam_conv conv = {conversation, &seen};
	pam_handle_t *pamh = NULL;
	char *answer = NULL;

	(void)state;
	assert_int_equal(pam_start("dt-env-guard-test", "nobody", &conv, &pamh), PAM_SUCCESS);
	pam_dt_env_enter();
	assert_int_equal(pam_dt_conv_info(pamh, "hello"), PAM_SUCCESS);
	assert_non_null(seen.keylog);
	assert_string_equal(seen.keylog, "/tmp/keylog");
	assert_null(getenv("SSLKEYLOGFILE"));
	seen.keylog = NULL;
	assert_int_equal(pam_dt_conv_prompt(pamh, PAM_PROMPT_ECHO_ON, &answer, "?"), PAM_SUCCESS);
	assert_string_equal(seen.keylog, "/tmp/keylog");
	assert_string_equal(answer, "x");
	assert_null(getenv("SSLKEYLOGFILE"));
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
	assert_int_equal(seen.calls, 2);
	free(answer);
	pam_end(pamh, PAM_SUCCESS);
}

/* A host that called clearenv() has environ == NULL: NULL it stays. */
static void test_a_cleared_host_environment_comes_back_cleared(void **state)
{
	(void)state;
	environ = NULL;
	pam_dt_env_enter();
	assert_non_null(environ);
	assert_null(pam_dt_env_host("LANG"));
	pam_dt_env_allow_proxy();
	assert_null(getenv("https_proxy"));
	pam_dt_env_leave();
	assert_null(environ);
	environ = host;
}

static void *login_thread(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		pam_dt_env_enter();
		if (getenv("SSLKEYLOGFILE") != NULL)
			return arg; /* any non-NULL: the host's leaked in */
		pam_dt_env_leave();
	}
	return NULL;
}

/* Logins in several threads at once: counted, the host's array saved by
 * the first and restored by the last. */
static void test_concurrent_logins_restore_the_host(void **state)
{
	static int marker;
	pthread_t threads[4];
	void *result;
	int i;

	(void)state;
	pam_dt_env_enter(); /* one login stays in throughout */
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, login_thread, &marker), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], &result), 0);
		assert_null(result);
	}
	assert_null(getenv("SSLKEYLOGFILE"));
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
}

static void test_a_hooked_getenv_is_caught(void **state)
{
	(void)state;
	pam_dt_env_enter();
	assert_null(pam_dt_env_leak());
	hook_answers = 1;
	assert_string_equal(pam_dt_env_leak(), "SSLKEYLOGFILE");
	hook_answers = 0;
	pam_dt_env_leave();
}

/* The limits the guard raises (rlimit_guard.c), lowered by "the caller".
 * Every case runs in a child process: without CAP_SYS_RESOURCE (some
 * containers, this suite's own sandbox) a lowered hard limit cannot come
 * back, and the child takes it with it. */
static const struct {
	resource_t resource;
	struct rlimit caller;
	rlim_t floor;
} lowered[] = {
    {RLIMIT_NOFILE, {64, 64}, 1024},
    {RLIMIT_AS, {1UL << 30, 1UL << 30}, RLIM_INFINITY},
    {RLIMIT_DATA, {1UL << 30, 1UL << 30}, RLIM_INFINITY},
    {RLIMIT_STACK, {1UL << 20, 2UL << 20}, 8UL << 20},
    {RLIMIT_FSIZE, {1UL << 20, 1UL << 20}, RLIM_INFINITY},
    {RLIMIT_NPROC, {50, 50}, 0},
};
#define LOWERED (sizeof(lowered) / sizeof(lowered[0]))

/* In the child: the line of the first failed check, or 0. */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			return __LINE__;                                                           \
	} while (0)

static int have_sys_resource(void)
{
	char line[256];
	unsigned long long eff = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 24) & 1; /* CAP_SYS_RESOURCE */
}

/* Lowers the table's limits: soft only, or hard as well. */
/* ASan reserves terabytes of address space for its shadow memory: under
 * a lowered RLIMIT_AS or RLIMIT_DATA its allocator fails (a new thread's
 * first allocation), so the sanitizer build leaves those two alone. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static int left_alone(resource_t resource)
{
	return UNDER_ASAN && (resource == RLIMIT_AS || resource == RLIMIT_DATA);
}

static int lower(int hard_too, struct rlimit caller[LOWERED])
{
	struct rlimit now;
	size_t i;

	for (i = 0; i < LOWERED; i++) {
		CHECK(getrlimit(lowered[i].resource, &now) == 0);
		if (left_alone(lowered[i].resource)) {
			caller[i] = now;
			continue;
		}
		caller[i].rlim_cur = lowered[i].caller.rlim_cur;
		caller[i].rlim_max = hard_too ? lowered[i].caller.rlim_max : now.rlim_max;
		CHECK(setrlimit(lowered[i].resource, &caller[i]) == 0);
	}
	return 0;
}

static int limits_are(const struct rlimit caller[LOWERED])
{
	struct rlimit now;
	size_t i;

	for (i = 0; i < LOWERED; i++) {
		CHECK(getrlimit(lowered[i].resource, &now) == 0);
		CHECK(now.rlim_cur == caller[i].rlim_cur);
		CHECK(now.rlim_max == caller[i].rlim_max);
	}
	return 0;
}

/* Every soft limit at its floor, or (NPROC) at the hard limit at least. */
static int limits_raised(void)
{
	struct rlimit now;
	size_t i;

	for (i = 0; i < LOWERED; i++) {
		CHECK(getrlimit(lowered[i].resource, &now) == 0);
		CHECK(now.rlim_cur >= lowered[i].floor);
		CHECK(now.rlim_cur == now.rlim_max || now.rlim_cur == RLIM_INFINITY ||
		      lowered[i].floor != 0);
	}
	return 0;
}

static void in_child(int (*body)(void))
{
	int status = 0;
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* the guard acts only in a privileged process */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int line = body();

		if (line != 0)
			fprintf(stderr, "# the child's check at line %d failed\n", line);
		_exit(line != 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The caller lowered soft limits: raised for the call (to the floor, or up
 * to the hard limit), the caller's exact values back after; nesting
 * restores only at the outermost leave. */
static int soft_limits_body(void)
{
	struct rlimit caller[LOWERED];
	int line;

	if ((line = lower(0, caller)) != 0)
		return line;
	pam_dt_env_enter();
	CHECK(limits_raised() == 0);
	CHECK(pam_dt_env_limit_short() == NULL);
	pam_dt_env_enter();
	CHECK(pam_dt_env_leave() == 0);
	CHECK(limits_raised() == 0);
	CHECK(pam_dt_env_leave() == 0);
	CHECK(limits_are(caller) == 0);
	CHECK(pam_dt_env_limit_short() == NULL);
	return 0;
}

static void test_low_soft_limits_are_raised_and_restored_exactly(void **state)
{
	(void)state;
	in_child(soft_limits_body);
}

/* The caller lowered the hard limits too. With CAP_SYS_RESOURCE (su and
 * sudo on a normal host) root raises them back for the call; without it,
 * RLIMIT_NOFILE (the first in the table) is reported short, which the
 * module turns into a refusal under su and sudo. Either way the caller's
 * exact values come back. */
static int hard_limits_body(void)
{
	struct rlimit caller[LOWERED];
	int capable = have_sys_resource();
	const char *short_of;
	int line;

	if ((line = lower(1, caller)) != 0)
		return line;
	pam_dt_env_enter();
	short_of = pam_dt_env_limit_short();
	if (capable) {
		CHECK(short_of == NULL);
		CHECK(limits_raised() == 0);
	} else {
		CHECK(short_of != NULL && strcmp(short_of, "RLIMIT_NOFILE") == 0);
	}
	CHECK(pam_dt_env_leave() == 0);
	CHECK(limits_are(caller) == 0);
	return 0;
}

static void test_low_hard_limits_are_raised_or_reported(void **state)
{
	(void)state;
	in_child(hard_limits_body);
}

/* Never lowered: a limit above its floor stays exactly as it is. */
static int high_limits_body(void)
{
	struct rlimit high, now;

	CHECK(getrlimit(RLIMIT_NOFILE, &high) == 0);
	CHECK(high.rlim_max >= 2048);
	high.rlim_cur = 2048;
	CHECK(setrlimit(RLIMIT_NOFILE, &high) == 0);
	pam_dt_env_enter();
	CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CHECK(now.rlim_cur == 2048 && now.rlim_max == high.rlim_max);
	CHECK(pam_dt_env_leave() == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CHECK(now.rlim_cur == 2048 && now.rlim_max == high.rlim_max);
	return 0;
}

static void test_high_limits_are_left_alone(void **state)
{
	(void)state;
	in_child(high_limits_body);
}

/* The caller left descriptors open up to just below a limit of 1100 (su
 * passes them on): the limit must clear the highest of them by the
 * headroom a login needs, not merely be 1024 or more. */
static int inherited_fds_body(void)
{
	struct rlimit lim, now;
	int fd;

	CHECK(getrlimit(RLIMIT_NOFILE, &lim) == 0);
	CHECK(lim.rlim_max >= 2048);
	lim.rlim_cur = 1100;
	CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	for (fd = 3; fd < 1098; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			CHECK(dup2(0, fd) == fd);
	pam_dt_env_enter();
	CHECK(pam_dt_env_limit_short() == NULL);
	CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CHECK(now.rlim_cur >= 1097 + 1 + 256);
	CHECK(pam_dt_env_leave() == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CHECK(now.rlim_cur == 1100 && now.rlim_max == lim.rlim_max);
	return 0;
}

static void test_inherited_descriptors_are_cleared(void **state)
{
	(void)state;
	in_child(inherited_fds_body);
}

static void *limited_login(void *arg)
{
	struct rlimit now;
	int i;

	for (i = 0; i < 500; i++) {
		pam_dt_env_enter();
		if (getrlimit(RLIMIT_NOFILE, &now) != 0 || now.rlim_cur < 1024)
			return arg;
		pam_dt_env_leave();
	}
	return NULL;
}

/* Logins in several threads: raised while any is inside, the caller's
 * exact values once the last has left. */
static int concurrent_body(void)
{
	static int marker;
	struct rlimit caller[LOWERED];
	pthread_t threads[4];
	void *result;
	int i, line;

	if ((line = lower(0, caller)) != 0)
		return line;
	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&threads[i], NULL, limited_login, &marker) == 0);
	for (i = 0; i < 4; i++) {
		CHECK(pthread_join(threads[i], &result) == 0);
		CHECK(result == NULL);
	}
	CHECK(limits_are(caller) == 0);
	return 0;
}

static void test_limits_with_concurrent_logins(void **state)
{
	(void)state;
	in_child(concurrent_body);
}
int main(void)
{
	char *output = getenv("CMOCKA_MESSAGE_OUTPUT");
	static char output_entry[64];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_enter_hides_and_leave_restores_the_same_array, use_host),
	    cmocka_unit_test_setup(test_nested_calls_restore_at_the_last_leave, use_host),
	    cmocka_unit_test_setup(test_proxy_env_copies_only_the_proxy_variables, use_host),
	    cmocka_unit_test_setup(test_overlong_proxy_value_is_left_out, use_host),
	    cmocka_unit_test_setup(test_setenv_inside_is_caught, use_host),
	    cmocka_unit_test_setup(test_setenv_inside_with_a_setenv_built_host, use_host),
	    cmocka_unit_test_setup(test_setenv_inside_nested_calls, use_host),
	    cmocka_unit_test_setup(test_the_application_has_its_environment_while_prompting,
				   use_host),
	    cmocka_unit_test_setup(test_a_cleared_host_environment_comes_back_cleared, use_host),
	    cmocka_unit_test_setup(test_concurrent_logins_restore_the_host, use_host),
	    cmocka_unit_test_setup(test_a_hooked_getenv_is_caught, use_host),
	    cmocka_unit_test_setup(test_low_soft_limits_are_raised_and_restored_exactly, use_host),
	    cmocka_unit_test_setup(test_low_hard_limits_are_raised_or_reported, use_host),
	    cmocka_unit_test_setup(test_high_limits_are_left_alone, use_host),
	    cmocka_unit_test_setup(test_inherited_descriptors_are_cleared, use_host),
	    cmocka_unit_test_setup(test_limits_with_concurrent_logins, use_host),
	};

	if (output != NULL) {
		snprintf(output_entry, sizeof(output_entry), "CMOCKA_MESSAGE_OUTPUT=%s", output);
		host[5] = output_entry;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
