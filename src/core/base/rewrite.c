#include "config.h"

#include "base/rewrite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/util.h"

struct paths {
	char lock[4200], tmp[4200], bak[4200];
};

static int make_paths(const char *path, struct paths *p, struct dt_err *err)
{
	if (path[0] != '/' || strlen(path) >= 4096)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: want an absolute path", path);
	snprintf(p->lock, sizeof(p->lock), "%s.lock", path);
	snprintf(p->tmp, sizeof(p->tmp), "%s.tmp", path);
	snprintf(p->bak, sizeof(p->bak), "%s.bak", path);
	return 0;
}

/* The lock lives beside the file, not on it: the file itself is replaced
 * by every write, so a lock on it would guard an inode nobody reads.
 * open's mode is cut by the caller's umask (dingtalk-ctl runs under sudo
 * with the invoking user's): fchmod gives the lock 0600 whatever it is. */
static int take_lock(const char *lock_path, struct dt_err *err)
{
	int fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: cannot open the lock: %s", lock_path,
				  strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot set the lock's mode: %s", lock_path,
			   strerror(errno));
		close(fd);
		return -1;
	}
	if (flock(fd, LOCK_EX) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot lock: %s", lock_path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The current text, or "" when there is no file yet. */
static char *read_current(const struct dt_rewrite_target *t, size_t *len, struct dt_err *err)
{
	struct stat st;
	char *empty;

	if (lstat(t->path, &st) != 0 && errno == ENOENT) {
		*len = 0;
		empty = strdup("");
		if (empty == NULL)
			dt_err_oom(err);
		return empty;
	}
	return dt_read_protected_file(t->path, t->protection, t->max_bytes, len, err);
}

/* Keeps the version being replaced. A hard link never exposes a half
 * copy; without one (a new file) there is nothing to keep. */
static void keep_backup(const char *path, const char *bak)
{
	if (unlink(bak) != 0 && errno != ENOENT)
		return;
	/* Best effort (the rewrite goes on without a backup); tested, as glibc
	 * insists on with _FORTIFY_SOURCE. */
	if (link(path, bak) != 0)
		return;
}

static int replace(const struct dt_rewrite_target *t, const struct paths *p, const char *text,
		   struct dt_err *err)
{
	const struct dt_file_write w = {
	    .path = t->path, .mode = t->mode, .trusted_owner = 1, .tmp = p->tmp, .sync_dir = 1};
	char tmp[DT_FILE_TMP_SIZE];

	if (strlen(text) > t->max_bytes)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: would grow past %zu bytes", t->path,
				  t->max_bytes);
	if (dt_file_stage(&w, text, strlen(text), tmp, err) < 0)
		return -1;
	keep_backup(t->path, p->bak);
	return dt_file_commit(&w, tmp, err);
}

int dt_rewrite_file(const struct dt_rewrite_target *t, dt_rewrite_fn edit, void *ctx,
		    struct dt_err *err)
{
	struct paths p;
	char *old, *updated = NULL;
	size_t old_len = 0;
	int lock, rc;

	if (make_paths(t->path, &p, err) < 0 || (lock = take_lock(p.lock, err)) < 0)
		return -1;
	old = read_current(t, &old_len, err);
	rc = old == NULL ? -1 : edit(ctx, old, old_len, &updated, err);
	if (rc == 0 && updated != NULL)
		rc = replace(t, &p, updated, err);
	dt_free_secret(updated);
	dt_free_secret(old);
	close(lock); /* releases the flock */
	return rc;
}
