/* The environment guard (src/pam/env_guard.h): while it is in place the
 * process's environment is the module's; the host's exact array comes
 * back at the end and around the application's conversation; proxy_env
 * copies only the proxy variables; the host's values stay readable on
 * purpose; a host that answers getenv itself (as sudo does) is caught.
 *
 * This program defines getenv itself, the way sudo does: it answers from
 * `environ`, unless `hook_answers` is set, when SSLKEYLOGFILE comes from
 * a private environment of the "host" whatever `environ` is. */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void test_setenv_inside_does_not_reach_the_host(void **state)
{
	(void)state;
	pam_dt_env_enter();
	assert_int_equal(setenv("CURL_HOME", "/tmp", 1), 0);
	pam_dt_env_leave();
	assert_ptr_equal(environ, host);
	assert_null(getenv("CURL_HOME"));
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

int main(void)
{
	char *output = getenv("CMOCKA_MESSAGE_OUTPUT");
	static char output_entry[64];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_enter_hides_and_leave_restores_the_same_array, use_host),
	    cmocka_unit_test_setup(test_nested_calls_restore_at_the_last_leave, use_host),
	    cmocka_unit_test_setup(test_proxy_env_copies_only_the_proxy_variables, use_host),
	    cmocka_unit_test_setup(test_overlong_proxy_value_is_left_out, use_host),
	    cmocka_unit_test_setup(test_setenv_inside_does_not_reach_the_host, use_host),
	    cmocka_unit_test_setup(test_the_application_has_its_environment_while_prompting,
				   use_host),
	    cmocka_unit_test_setup(test_a_cleared_host_environment_comes_back_cleared, use_host),
	    cmocka_unit_test_setup(test_concurrent_logins_restore_the_host, use_host),
	    cmocka_unit_test_setup(test_a_hooked_getenv_is_caught, use_host),
	};

	if (output != NULL) {
		snprintf(output_entry, sizeof(output_entry), "CMOCKA_MESSAGE_OUTPUT=%s", output);
		host[5] = output_entry;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
