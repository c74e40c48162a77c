/* The environment guard (contract in env_guard.h).
 *
 * Why swap `environ` rather than unset what is dangerous: the dangerous
 * names belong to libraries (libcurl, OpenSSL, glibc's resolver and NSS
 * modules) and change with their versions; an empty environment needs no
 * list. Why not clearenv(): the host's environment must be exactly as it
 * was when the module returns, and su and sudo hand it on to the command.
 *
 * getenv, secure_getenv and libcurl's curl_getenv all read the global
 * `environ`, so every reader in the process sees the module's array while
 * it is in place. Nothing here allocates: a login can always be guarded. */
#include "config.h"

#include "env_guard.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "rlimit_guard.h"

/* The variables libcurl consults for a proxy (lowercase http_proxy only:
 * curl ignores HTTP_PROXY, which a CGI client could set). */
static const char *const proxy_names[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
					  "ALL_PROXY",	"no_proxy",    "NO_PROXY",    NULL};

#define PROXY_NAMES 7
/* "name=value" kept for a proxy variable; longer ones are left out. */
#define ENTRY_MAX 2048

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **host_env;	   /* the host's environ, saved by the outermost enter */
static unsigned depth;	   /* calls inside the module (threads, nesting) */
static unsigned app_turns; /* of them, in the application's conversation now */
static char *module_env[PROXY_NAMES + 1];
/* Set when `environ` was found moved off module_env while it should have
 * been in place: a setenv inside (see pam_dt_env_leave). Cleared when the
 * last call leaves. */
static int tampered;
/* What the host gets back instead of a pointer that may have been freed. */
static char *empty_env[1] = {NULL};
/* The caller's resource limits, saved by the outermost enter when the
 * process is privileged, and which limit stayed below its floor. */
static struct pam_dt_rlimits limits;
static int limits_raised;
static const char *limit_short;
/* One spare byte past ENTRY_MAX is never written, so a thread reading an
 * entry while it is rewritten still finds a NUL. */
static char entries[PROXY_NAMES][ENTRY_MAX + 1];

/* With the lock held: the host's array, unless a setenv inside may have
 * reallocated it (then it must not be touched again). */
static char **host(void)
{
	return tampered ? empty_env : host_env;
}

/* With the lock held: the environment the process should see now. */
static void apply(void)
{
	if (depth > 0 && app_turns == 0)
		environ = module_env;
	else
		environ = host();
}

/* With the lock held, before the module's array is swapped out: it should
 * be in place. If it is not, a library called setenv (or putenv) inside
 * the module, and glibc built a new array. When the host's own array was
 * the one glibc last built with setenv, glibc reallocated the HOST's array
 * for it (its setenv always reallocates its last array, whichever array
 * `environ` points at), so the host's saved pointer may now be freed or
 * hold the module's entries. */
static void check_in_place(void)
{
	if (depth > 0 && app_turns == 0 && environ != module_env)
		tampered = 1;
}

void pam_dt_env_enter(void)
{
	pthread_mutex_lock(&lock);
	if (depth == 0) {
		host_env = environ;
		module_env[0] = NULL;
		app_turns = 0;
		tampered = 0;
		limits_raised = geteuid() == 0;
		limit_short = limits_raised ? pam_dt_rlimit_raise(&limits) : NULL;
	}
	depth++;
	apply();
	pthread_mutex_unlock(&lock);
}

int pam_dt_env_leave(void)
{
	int intact;

	pthread_mutex_lock(&lock);
	check_in_place();
	intact = !tampered;
	if (depth > 0)
		depth--;
	if (depth == 0 && limits_raised) {
		pam_dt_rlimit_restore(&limits);
		limits_raised = 0;
	}
	/* Whatever a library did to the module's environment stays out of the
	 * host's; after a setenv inside, the host gets an empty environment
	 * rather than a pointer that may have been freed. */
	apply();
	if (depth == 0)
		tampered = 0;
	pthread_mutex_unlock(&lock);
	return intact ? 0 : -1;
}

int pam_dt_env_intact(void)
{
	int intact;

	pthread_mutex_lock(&lock);
	check_in_place();
	intact = !tampered;
	pthread_mutex_unlock(&lock);
	return intact;
}

const char *pam_dt_env_limit_short(void)
{
	const char *name;

	pthread_mutex_lock(&lock);
	name = depth > 0 ? limit_short : NULL;
	pthread_mutex_unlock(&lock);
	return name;
}

static const char *lookup(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

void pam_dt_env_allow_proxy(void)
{
	const char *value;
	size_t n = 0;
	int i, len;

	pthread_mutex_lock(&lock);
	check_in_place();
	/* Filled once per outermost call: the host's environment is the same
	 * for every login nested in it. */
	if (depth > 0 && module_env[0] == NULL) {
		for (i = 0; proxy_names[i] != NULL && n < PROXY_NAMES; i++) {
			value = lookup(host(), proxy_names[i]);
			if (value == NULL)
				continue;
			len = snprintf(entries[n], ENTRY_MAX, "%s=%s", proxy_names[i], value);
			if (len < 0 || len >= ENTRY_MAX)
				continue;
			module_env[n] = entries[n];
			n++;
		}
		module_env[n] = NULL;
	}
	apply();
	pthread_mutex_unlock(&lock);
}

/* The variables libcurl reads with plain getenv during a login that decide
 * what it opens (SECURITY.md's table; the proxy variables are set or
 * ignored through CURLOPT_PROXY, and OpenSSL's go through secure_getenv,
 * which no host hooks). tests/pam/run_env_trace.sh shows when this needs
 * a new name. */
static const char *const steering_names[] = {"SSLKEYLOGFILE", "CURL_SSL_BACKEND", NULL};

const char *pam_dt_env_leak(void)
{
	const char *value;
	int i;

	/* With the module's environment in place, libc's getenv finds none
	 * of these: an answer came from a hook of the host's. */
	for (i = 0; steering_names[i] != NULL; i++) {
		value = getenv(steering_names[i]);
		if (value != NULL && value[0] != '\0') /* curl takes "" as unset */
			return steering_names[i];
	}
	return NULL;
}

const char *pam_dt_env_host(const char *name)
{
	char **env;

	pthread_mutex_lock(&lock);
	env = depth > 0 ? host() : environ;
	pthread_mutex_unlock(&lock);
	return lookup(env, name);
}

static void app_begin(void)
{
	pthread_mutex_lock(&lock);
	check_in_place();
	app_turns++;
	apply();
	pthread_mutex_unlock(&lock);
}

static void app_end(void)
{
	pthread_mutex_lock(&lock);
	/* The application changed its own environment while prompting: that
	 * new array is the one to hand back at the end. */
	if (environ != host() && environ != module_env)
		host_env = environ;
	if (app_turns > 0)
		app_turns--;
	apply();
	pthread_mutex_unlock(&lock);
}

int pam_dt_conv_info(pam_handle_t *pamh, const char *text)
{
	int rc;

	app_begin();
	rc = pam_info(pamh, "%s", text);
	app_end();
	return rc;
}

int pam_dt_conv_prompt(pam_handle_t *pamh, int style, char **response, const char *text)
{
	int rc;

	app_begin();
	rc = pam_prompt(pamh, style, response, "%s", text);
	app_end();
	return rc;
}

int pam_dt_conv_get_user(pam_handle_t *pamh, const char **user)
{
	int rc;

	app_begin();
	rc = pam_get_user(pamh, user, NULL);
	app_end();
	return rc;
}
