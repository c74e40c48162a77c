/* The module's dt_http_backend_get (base/http_backend.h): libcurl's side
 * lives in pam_dingtalk_net.so, next to pam_dingtalk.so, and is loaded
 * the first time a login needs DingTalk or a fleet's service. Loading
 * libcurl and the libraries under it costs about 4 ms; linked into the
 * module, every PAM application that loads it would pay that in pam_start,
 * for every user, before the QR.
 *
 * Which file is loaded is decided by the module's own location and
 * nothing else (no environment, no argument): the library must sit in the
 * directory the module was loaded from, belong to the module's owner, and
 * neither it nor that directory may be writable by group or others. So it
 * is trusted exactly as far as the module itself already is. It is never
 * unloaded: libcurl and OpenSSL keep process-wide state. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/http_backend.h"

#define NET_LIBRARY "pam_dingtalk_net.so"
#define NET_SYMBOL  "pam_dingtalk_net_backend"

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct dt_http_backend *loaded;

static int refuse(const char *path, const char *why, struct dt_err *err)
{
	return dt_err_set(err, DT_ERR_CONFIG,
			  "%s: %s, so DingTalk cannot be reached; reinstall pam_dingtalk", path,
			  why);
}

/* Owned by `owner`, the right type, not writable by group or others. The
 * library itself may not be a symbolic link (lstat): its target's
 * directory would escape the check. The directory is the module's own,
 * whatever path led there. */
static int trusted(const char *path, uid_t owner, mode_t type, struct dt_err *err)
{
	struct stat st;
	char why[96];

	if ((type == S_IFDIR ? stat(path, &st) : lstat(path, &st)) < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		return refuse(path, why, err);
	}
	if ((st.st_mode & S_IFMT) != type)
		return refuse(path,
			      type == S_IFDIR			 ? "not a directory"
			      : (st.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link"
								 : "not a regular file",
			      err);
	if (st.st_uid != owner) {
		snprintf(why, sizeof(why), "owned by uid %u, not by the module's owner (uid %u)",
			 (unsigned)st.st_uid, (unsigned)owner);
		return refuse(path, why, err);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse(path, "writable by group or others", err);
	return 0;
}

/* The library's path, next to the module, after the checks above. */
static int find_library(char *path, size_t size, struct dt_err *err)
{
	Dl_info self;
	char dir[4096];
	struct stat module;

	if (dladdr((void *)dt_http_backend_get, &self) == 0 || self.dli_fname == NULL ||
	    self.dli_fname[0] != '/' || strlen(self.dli_fname) >= sizeof(dir))
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "cannot tell where pam_dingtalk.so was loaded from (the PAM "
		    "configuration must name it by an absolute path or a plain name)");
	if (stat(self.dli_fname, &module) < 0)
		return refuse(self.dli_fname, strerror(errno), err);
	snprintf(dir, sizeof(dir), "%s", self.dli_fname);
	dirname(dir);
	if ((size_t)snprintf(path, size, "%s/%s", dir, NET_LIBRARY) >= size)
		return refuse(dir, "path too long", err);
	if (trusted(dir, module.st_uid, S_IFDIR, err) < 0 ||
	    trusted(path, module.st_uid, S_IFREG, err) < 0)
		return -1;
	return 0;
}

static const struct dt_http_backend *load(struct dt_err *err)
{
	const struct dt_http_backend *const *slot, *table;
	char path[4200];
	void *lib;

	if (find_library(path, sizeof(path), err) < 0)
		return NULL;
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		const char *why = dlerror();

		refuse(path, why != NULL ? why : "cannot be loaded", err);
		return NULL;
	}
	slot = dlsym(lib, NET_SYMBOL);
	table = slot != NULL ? *slot : NULL;
	if (table == NULL || table->abi != DT_HTTP_BACKEND_ABI || table->version == NULL ||
	    strcmp(table->version, PACKAGE_VERSION) != 0 ||
	    table->http_size != sizeof(struct dt_http) ||
	    table->opts_size != sizeof(struct dt_http_opts) ||
	    table->response_size != sizeof(struct dt_http_response) ||
	    table->err_size != sizeof(struct dt_err)) {
		refuse(path, "built for another version of pam_dingtalk.so", err);
		dlclose(lib);
		return NULL;
	}
	return table;
}

const struct dt_http_backend *dt_http_backend_get(struct dt_err *err)
{
	const struct dt_http_backend *table;

	pthread_mutex_lock(&load_lock);
	if (loaded == NULL)
		loaded = load(err);
	table = loaded;
	pthread_mutex_unlock(&load_lock);
	return table;
}

int dt_http_backend_check(struct dt_err *err)
{
	char path[4200];

	return find_library(path, sizeof(path), err);
}
