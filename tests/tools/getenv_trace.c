/* getenv_trace: an LD_PRELOAD library that records every getenv and
 * secure_getenv call made through the dynamic linker, to answer "which
 * library reads which variable during a login" (SECURITY.md).
 *
 * One line per call, to the file named by DT_GETENV_TRACE at load time:
 *   <calling object>\t<function>\t<name>\t<set|unset>\t<host|module>
 * "set" says whether the call found a value (the value itself is never
 * written). "host" says the process's environment was the host's at that
 * moment: it held DT_GETENV_CANARY, which the test puts there and the
 * module's own environment never has. So a line "host" from a library of
 * the module says that library read the caller's environment.
 *
 * Calls glibc makes to itself (its resolver, tzset, gettext) do not go
 * through the dynamic linker and are not seen here; SECURITY.md says how
 * those were traced (gdb breakpoints). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef char *(*getenv_fn)(const char *);

static int out_fd = -1;
static __thread int busy; /* dladdr or the write must not trace themselves */

static char *real(const char *fn, const char *name)
{
	getenv_fn f = (getenv_fn)dlsym(RTLD_NEXT, fn);

	return f != NULL ? f(name) : NULL;
}

__attribute__((constructor)) static void open_trace(void)
{
	const char *path = real("getenv", "DT_GETENV_TRACE");

	if (path != NULL)
		out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static int canary_visible(void)
{
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "DT_GETENV_CANARY=", 17) == 0)
			return 1;
	return 0;
}

static void record(const void *caller, const char *fn, const char *name, const char *value)
{
	const char *object = "?", *slash;
	char line[1024];
	Dl_info info;
	int n;

	if (out_fd < 0 || busy || name == NULL)
		return;
	busy = 1;
	if (dladdr(caller, &info) != 0 && info.dli_fname != NULL && info.dli_fname[0] != '\0')
		object = info.dli_fname;
	slash = strrchr(object, '/');
	if (slash != NULL)
		object = slash + 1;
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s\n", object, fn, name,
		     value != NULL ? "set" : "unset", canary_visible() ? "host" : "module");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(out_fd, line, (size_t)n);
	busy = 0;
}

char *getenv(const char *name)
{
	char *value = real("getenv", name);

	record(__builtin_return_address(0), "getenv", name, value);
	return value;
}

char *secure_getenv(const char *name)
{
	char *value = real("secure_getenv", name);

	record(__builtin_return_address(0), "secure_getenv", name, value);
	return value;
}
