#include "config.h"

#include "base/dirchain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the walk stands: `fd` is the directory reached so far (checked),
 * `at` its path for messages (links expanded, so the real path), `rest`
 * the components still to walk. */
struct walk {
	int fd;
	unsigned links;
	uid_t owner;
	char *why;
	size_t size;
	char at[PATH_MAX];
	char rest[PATH_MAX];
};

/* Sets `why` and errno (after snprintf, which may touch it); returns -1. */
static int fail(struct walk *w, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, w->size, fmt, ap);
	va_end(ap);
	errno = error;
	return -1;
}

/* One directory: 0 when it may stay in the chain, -1 with `why`. */
static int check_one(struct walk *w, const char *path, const struct stat *st, int ancestor)
{
	if (!S_ISDIR(st->st_mode))
		return fail(w, ENOTDIR, "%s is not a directory", path);
	if (st->st_uid != 0 && st->st_uid != w->owner)
		return fail(w, EPERM, "directory %s is owned by uid %u, not root or the user", path,
			    (unsigned)st->st_uid);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (ancestor && st->st_uid == 0 && (st->st_mode & S_ISVTX))
		return 0;
	return fail(w, EPERM, "directory %s is writable by group or others (mode %04o)", path,
		    (unsigned)(st->st_mode & 07777));
}

/* Closes `fd` on a failure path without losing the failure's errno. */
static int close_failed(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

/* Moves the walk into `fd` (whose path is now `at`), closing the old one. */
static void enter(struct walk *w, int fd)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
}

/* Restarts at / (the walk's start, and an absolute link's): checked like
 * any directory on the way. */
static int enter_root(struct walk *w)
{
	struct stat st;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail(w, errno, "/: %s", strerror(errno));
	strcpy(w->at, "/");
	if (fstat(fd, &st) != 0)
		return fail(w, errno, "/: %s", strerror(errno)), close_failed(fd);
	if (check_one(w, "/", &st, 1) < 0)
		return close_failed(fd);
	enter(w, fd);
	return 0;
}

/* Takes the first component off `rest` into `name`; 0 when none is left. */
static int next_component(struct walk *w, char *name, size_t size)
{
	char *p = w->rest + strspn(w->rest, "/");
	size_t len = strcspn(p, "/");

	if (len == 0)
		return 0;
	if (len >= size)
		return fail(w, ENAMETOOLONG, "%s: a name on the way is too long", w->at);
	memcpy(name, p, len);
	name[len] = '\0';
	memmove(w->rest, p + len, strlen(p + len) + 1);
	return 1;
}

/* `at` + "/" + `name` into `out`; ".." drops the last component instead. */
static int child_path(struct walk *w, const char *name, char *out, size_t size)
{
	char *cut;

	if (strcmp(name, "..") == 0) {
		strcpy(out, w->at);
		cut = strrchr(out, '/');
		cut[cut == out ? 1 : 0] = '\0';
		return 0;
	}
	if ((size_t)snprintf(out, size, "%s%s%s", w->at, strcmp(w->at, "/") == 0 ? "" : "/",
			     name) >= size)
		return fail(w, ENAMETOOLONG, "%s/%s: path too long", w->at, name);
	return 0;
}

/* A link found on the way: its directory was checked when the walk entered
 * it; the link must be root's or the user's (in a sticky directory its
 * owner may replace it), and its target goes in front of `rest`, walked
 * from / or from here. */
static int follow_link(struct walk *w, int fd, const struct stat *st, const char *path)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n;

	if (st->st_uid != 0 && st->st_uid != w->owner)
		return fail(w, EPERM, "symbolic link %s is owned by uid %u, not root or the user",
			    path, (unsigned)st->st_uid);
	if (++w->links > DT_DIR_CHAIN_MAX_LINKS)
		return fail(w, ELOOP, "%s: too many symbolic links", path);
	n = readlinkat(fd, "", target, sizeof(target));
	if (n < 0)
		return fail(w, errno, "%s: %s", path, strerror(errno));
	if ((size_t)n >= sizeof(target) ||
	    (size_t)snprintf(joined, sizeof(joined), "%.*s/%s", (int)n, target, w->rest) >=
		sizeof(joined))
		return fail(w, ENAMETOOLONG, "%s: link target too long", path);
	strcpy(w->rest, joined);
	return target[0] == '/' ? enter_root(w) : 0;
}

/* One component: a directory is checked and entered, a link followed;
 * nothing is opened through a link by the kernel (O_NOFOLLOW). */
static int step(struct walk *w, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (child_path(w, name, path, sizeof(path)) < 0)
		return -1;
	fd = openat(w->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(w, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		return fail(w, errno, "%s: %s", path, strerror(errno)), close_failed(fd);
	if (S_ISLNK(st.st_mode)) {
		if (follow_link(w, fd, &st, path) < 0)
			return close_failed(fd);
		close(fd);
		return 0;
	}
	if (check_one(w, path, &st, 1) < 0)
		return close_failed(fd);
	strcpy(w->at, path);
	enter(w, fd);
	return 0;
}

int dt_dir_chain_open(const char *dir, uid_t owner, char *why, size_t size)
{
	struct walk w = {.fd = -1, .owner = owner, .why = why, .size = size};
	char name[NAME_MAX + 1];
	struct stat st;
	int rc;

	if (dir == NULL || dir[0] != '/' || strlen(dir) >= sizeof(w.rest))
		return fail(&w, EINVAL, "%s: not an absolute path", dir ? dir : "(none)");
	strcpy(w.rest, dir);
	rc = enter_root(&w);
	while (rc == 0 && (rc = next_component(&w, name, sizeof(name))) == 1)
		rc = strcmp(name, ".") == 0 ? 0 : step(&w, name);
	/* Every directory passed the ancestors' rule; the last one is the
	 * home itself, which gets no sticky exception. */
	if (rc == 0 && fstat(w.fd, &st) != 0)
		rc = fail(&w, errno, "%s: %s", w.at, strerror(errno));
	if (rc == 0 && check_one(&w, w.at, &st, 0) < 0)
		rc = -1;
	return rc == 0 ? w.fd : close_failed(w.fd);
}
