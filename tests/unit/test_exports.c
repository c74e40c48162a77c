/* The module exports pam_sm_authenticate and pam_sm_setcred and nothing of
 * libdtcore: a program that loads it cannot reach our internals. Loading
 * it does not load libcurl (every PAM application would pay for it, BENCHMARKS.md);
 * pam_dingtalk_net.so, libcurl's side, exports one table and nothing else. */
#include "config.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_loading_the_module_does_not_load_libcurl(void **state)
{
	(void)state;
	assert_null(dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD));
	assert_null(dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD));
}

static void test_net_library_exports_its_table_only(void **state)
{
	const char *path = getenv("DT_PAM_MODULE");
	char net[4096];
	void *lib;

	(void)state;
	snprintf(net, sizeof(net), "%s", path != NULL ? path : "../src/pam/.libs/pam_dingtalk.so");
	assert_true(strlen(net) > 3 && strcmp(net + strlen(net) - 3, ".so") == 0);
	snprintf(net + strlen(net) - 3, sizeof(net) - strlen(net) + 3, "_net.so");
	lib = dlopen(net, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL)
		fail_msg("%s: %s", net, dlerror());
	assert_non_null(dlsym(lib, "pam_dingtalk_net_backend"));
	assert_null(dlsym(lib, "dt_http_curl_backend"));
	assert_null(dlsym(lib, "dt_err_set"));
	assert_null(dlsym(lib, "dt_now_ms"));
	assert_null(dlsym(lib, "pam_sm_authenticate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_points_are_exported),
	    cmocka_unit_test(test_internals_are_hidden),
	    cmocka_unit_test(test_loading_the_module_does_not_load_libcurl),
	    cmocka_unit_test(test_net_library_exports_its_table_only),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
