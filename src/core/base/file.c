#include "config.h"

#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

int dt_file_owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static int refuse(struct dt_file_refusal *why, enum dt_file_fault fault, int errnum)
{
	why->fault = fault;
	why->errnum = errnum;
	return -1;
}

/* Everything is judged on the descriptor: the path may have changed since. */
static int judge(int fd, const struct dt_file_rules *r, struct stat *st,
		 struct dt_file_refusal *why)
{
	if (fstat(fd, st) != 0)
		return refuse(why, DT_FILE_CANNOT_STAT, errno);
	why->owner = st->st_uid;
	why->mode = st->st_mode & 07777;
	if (!S_ISREG(st->st_mode))
		return refuse(why, DT_FILE_NOT_REGULAR, 0);
	if (r->trusted_owner ? !dt_file_owner_trusted(st->st_uid) : st->st_uid != r->owner)
		return refuse(why, DT_FILE_NOT_OWNED, 0);
	if (st->st_mode & r->forbidden)
		return refuse(why, DT_FILE_TOO_OPEN, 0);
	if ((size_t)st->st_size > r->max_bytes)
		return refuse(why, DT_FILE_TOO_LARGE, 0);
	return 0;
}

/* Exactly `size` bytes (what fstat said), or a refusal: a file that
 * shrinks while it is read is not half-trusted. */
static char *read_whole(int fd, size_t size, struct dt_file_refusal *why)
{
	char *buf = malloc(size + 1);
	size_t got = 0;
	ssize_t n;

	if (buf == NULL) {
		refuse(why, DT_FILE_NO_MEMORY, ENOMEM);
		return NULL;
	}
	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			refuse(why, DT_FILE_CANNOT_READ, n < 0 ? errno : 0);
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	return buf;
}

static void owner_words(const struct dt_file_rules *r, char *out, size_t size)
{
	uid_t self = geteuid();

	if (r->trusted_owner && self != 0)
		snprintf(out, size, "root or uid %u (this process)", (unsigned)self);
	else if (r->trusted_owner || r->owner == 0)
		snprintf(out, size, "root");
	else
		snprintf(out, size, "uid %u", (unsigned)r->owner);
}

/* The refusal in words: the path first, then what is wrong with it. */
static void explain(const char *path, const struct dt_file_rules *r,
		    const struct dt_file_refusal *why, struct dt_err *err)
{
	char owner[48];

	switch (why->fault) {
	case DT_FILE_READ_OK:
		break;
	case DT_FILE_CANNOT_OPEN:
		dt_err_set(err, r->kind, "%s: cannot open: %s%s", path, strerror(why->errnum),
			   why->errnum == ELOOP ? " (symbolic links are refused)" : "");
		break;
	case DT_FILE_CANNOT_STAT:
		dt_err_set(err, r->kind, "%s: cannot stat: %s", path, strerror(why->errnum));
		break;
	case DT_FILE_NOT_REGULAR:
		dt_err_set(err, r->kind, "%s: not a regular file", path);
		break;
	case DT_FILE_NOT_OWNED:
		owner_words(r, owner, sizeof(owner));
		dt_err_set(err, r->kind, "%s: refused: owned by uid %u, must be owned by %s", path,
			   (unsigned)why->owner, owner);
		break;
	case DT_FILE_TOO_OPEN:
		if (r->mode_rule != NULL)
			dt_err_set(err, r->kind, "%s: refused: mode %04o is too open (want %s)",
				   path, (unsigned)why->mode, r->mode_rule);
		else
			dt_err_set(err, r->kind,
				   "%s: refused: mode %04o is too open (want none of %04o)", path,
				   (unsigned)why->mode, (unsigned)r->forbidden);
		break;
	case DT_FILE_TOO_LARGE:
		dt_err_set(err, r->kind, "%s: refused: larger than %zu bytes", path, r->max_bytes);
		break;
	case DT_FILE_NO_MEMORY:
		dt_err_oom_in(err, path);
		break;
	case DT_FILE_CANNOT_READ:
		if (why->errnum != 0)
			dt_err_set(err, r->kind, "%s: cannot read: %s", path,
				   strerror(why->errnum));
		else
			dt_err_set(err, r->kind, "%s: short read (file changed while reading?)",
				   path);
		break;
	}
}

char *dt_file_read_at(int dir, const char *name, const char *path, const struct dt_file_rules *r,
		      size_t *len, struct dt_file_refusal *why, struct dt_err *err)
{
	struct dt_file_refusal scratch;
	struct stat st;
	char *buf = NULL;
	int fd;

	if (why == NULL)
		why = &scratch;
	memset(why, 0, sizeof(*why));
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the
	 * login in open(); judge() then refuses it as not a regular file. */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		refuse(why, DT_FILE_CANNOT_OPEN, errno);
	else if (judge(fd, r, &st, why) == 0 && (buf = read_whole(fd, (size_t)st.st_size, why)))
		*len = (size_t)st.st_size;
	if (fd >= 0)
		close(fd);
	if (buf == NULL)
		explain(path, r, why, err);
	return buf;
}

char *dt_file_read(const char *path, const struct dt_file_rules *r, size_t *len,
		   struct dt_file_refusal *why, struct dt_err *err)
{
	return dt_file_read_at(AT_FDCWD, path, path, r, len, why, err);
}

/* write(2) may write less than asked (a signal, a full disk on the way):
 * the rest is written until all of it is or an error says why not. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates the temporary file exclusively. A fixed name left by a writer
 * that was killed is ours to replace: the caller's lock keeps the living
 * ones apart. The mode is set on the descriptor later (the umask cuts
 * what open and mkstemp give). */
static int create_tmp(const struct dt_file_write *w, char *tmp, struct dt_err *err)
{
	size_t n;
	int fd;

	if (w->tmp == NULL)
		n = (size_t)snprintf(tmp, DT_FILE_TMP_SIZE, "%s.XXXXXX", w->path);
	else
		n = (size_t)snprintf(tmp, DT_FILE_TMP_SIZE, "%s", w->tmp);
	if (n >= DT_FILE_TMP_SIZE)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: path too long", w->path);
	if (w->tmp == NULL) {
		fd = mkostemp(tmp, O_CLOEXEC);
	} else {
		if (unlink(tmp) != 0 && errno != ENOENT)
			return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", tmp, strerror(errno));
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  0600);
	}
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", tmp, strerror(errno));
	return fd;
}

int dt_file_stage(const struct dt_file_write *w, const void *data, size_t len, char *tmp,
		  struct dt_err *err)
{
	int fd = create_tmp(w, tmp, err), ok;

	if (fd < 0)
		return -1;
	/* fchown first: it may clear mode bits that fchmod then sets. */
	ok = (!w->trusted_owner || geteuid() != 0 || fchown(fd, 0, 0) == 0) &&
	     fchmod(fd, w->mode) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
	if (!ok)
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot write: %s", tmp, strerror(errno));
	if (close(fd) != 0 && ok) {
		ok = 0;
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot write: %s", tmp, strerror(errno));
	}
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

static int sync_dir_of(const char *path, struct dt_err *err)
{
	char *copy = strdup(path);
	const char *dir;
	int fd, rc, saved;

	if (copy == NULL)
		return dt_err_oom(err);
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = fd < 0 ? -1 : fsync(fd);
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot sync the directory: %s", dir,
			   strerror(saved));
	free(copy);
	return rc;
}

int dt_file_commit(const struct dt_file_write *w, const char *tmp, struct dt_err *err)
{
	if (rename(tmp, w->path) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot replace: %s", w->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return w->sync_dir ? sync_dir_of(w->path, err) : 0;
}

int dt_file_replace(const struct dt_file_write *w, const void *data, size_t len, struct dt_err *err)
{
	char tmp[DT_FILE_TMP_SIZE];

	if (dt_file_stage(w, data, len, tmp, err) < 0)
		return -1;
	return dt_file_commit(w, tmp, err);
}

char *dt_read_protected_file(const char *path, enum dt_file_protection mode, size_t max_bytes,
			     size_t *len_out, struct dt_err *err)
{
	const int secret = mode == DT_FILE_SECRET;
	const struct dt_file_rules rules = {
	    .trusted_owner = 1,
	    .forbidden = secret ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH),
	    .mode_rule = secret ? "0600 or stricter: it holds secrets" : "no group or world write",
	    .max_bytes = max_bytes,
	    .kind = DT_ERR_CONFIG,
	};

	return dt_file_read(path, &rules, len_out, NULL, err);
}
