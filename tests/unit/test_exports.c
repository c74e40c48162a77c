/* The module exports pam_sm_authenticate and pam_sm_setcred and nothing of
 * libdtcore: a program that loads it cannot reach our internals. */
#include "config.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

static void *module;

static int load(void **state)
{
	const char *path = getenv("DT_PAM_MODULE");

	(void)state;
	module = dlopen(path != NULL ? path : "../src/pam/.libs/pam_dingtalk.so", RTLD_NOW);
	return module != NULL ? 0 : -1;
}

static int unload(void **state)
{
	(void)state;
	return dlclose(module);
}

static void test_entry_points_are_exported(void **state)
{
	(void)state;
	assert_non_null(dlsym(module, "pam_sm_authenticate"));
	assert_non_null(dlsym(module, "pam_sm_setcred"));
}

static void test_internals_are_hidden(void **state)
{
	static const char *const internal[] = {
	    "dt_login_run",	 "dt_cfg_set",		"dt_http_request",  "dt_qr_render",
	    "dt_map_match_file", "pam_sm_open_session", "pam_sm_acct_mgmt", NULL};
	int i;

	(void)state;
	for (i = 0; internal[i] != NULL; i++)
		assert_null(dlsym(module, internal[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_points_are_exported),
	    cmocka_unit_test(test_internals_are_hidden),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
