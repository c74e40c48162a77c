/* wrapper_env: an LD_PRELOAD companion of pam_wrapper and nss_wrapper for
 * the PAM tests, scripts/demo and bench/.
 *
 * pam_dingtalk.so runs with an environment of its own (src/pam/env_guard.h),
 * but the test wrappers read their settings from the environment while the
 * module runs: nss_wrapper at its first lookup (NSS_WRAPPER_PASSWD, ...),
 * pam_wrapper at every pam_syslog (PAM_WRAPPER_DEBUGLEVEL decides whether
 * the module's log reaches the test). This answers getenv for the wrappers'
 * own names (*_WRAPPER*) from the environment the process started with, and
 * passes every other name through, so what the module's libraries see is
 * unchanged. A test tool only: nothing like it exists outside the tests. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEPT_MAX 64

static char *kept[KEPT_MAX + 1];
static int snapshot_taken;

static int wrapper_name(const char *name)
{
	static const char *const prefixes[] = {"PAM_WRAPPER",	 "NSS_WRAPPER",	   "UID_WRAPPER",
					       "SOCKET_WRAPPER", "RESOLV_WRAPPER", NULL};
	int i;

	for (i = 0; prefixes[i] != NULL; i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

__attribute__((constructor)) static void take_snapshot(void)
{
	char **e;
	int n = 0;

	for (e = environ; e != NULL && *e != NULL && n < KEPT_MAX; e++)
		if (wrapper_name(*e) && (kept[n] = strdup(*e)) != NULL)
			n++;
	kept[n] = NULL;
	snapshot_taken = 1;
}

char *getenv(const char *name)
{
	char *(*next)(const char *) = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
	size_t len = strlen(name);
	int i;

	if (!snapshot_taken || !wrapper_name(name))
		return next != NULL ? next(name) : NULL;
	for (i = 0; kept[i] != NULL; i++)
		if (strncmp(kept[i], name, len) == 0 && kept[i][len] == '=')
			return kept[i] + len + 1;
	return NULL;
}
