#include "config.h"

#include "access/userfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dirchain.h"
#include "base/util.h"

#define UNION_ID_MAX 128

static int binding_path(const char *home, char *out, size_t size, struct dt_err *err)
{
	if (home == NULL || home[0] != '/' ||
	    (size_t)snprintf(out, size, "%s/%s", home, DT_USERFILE_NAME) >= size)
		return dt_err_set(err, DT_ERR_DENIED, "no usable home directory");
	return 0;
}

static int refuse(struct dt_err *err, const char *path, const char *why)
{
	return dt_err_set(err, DT_ERR_DENIED, "%s: ignored: %s", path, why);
}

static int read_checked(int fd, const char *path, uid_t owner, char *buf, struct dt_err *err)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return refuse(err, path, "not a regular file");
	if (st.st_uid != owner)
		return refuse(err, path, "not owned by the user");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return refuse(err, path, "writable by group or others");
	if (st.st_size > DT_USERFILE_MAX_BYTES)
		return refuse(err, path, "larger than 4096 bytes");
	n = read(fd, buf, DT_USERFILE_MAX_BYTES);
	if (n < 0)
		return dt_err_set(err, DT_ERR_DENIED, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL)
		return refuse(err, path, "contains a NUL byte");
	return 0;
}

/* The file's own checks say nothing if someone else can write its
 * directory or one above: they could have put their file there. The file
 * is opened from the checked directory's descriptor, never by its path,
 * so it comes from the chain that was checked. Returns 0 with *fd the
 * file's descriptor (-1 when there is no file, nor home); -1 with `err`
 * set when the chain is unsafe or the open fails. */
static int open_in_checked_home(const char *home, const char *path, uid_t owner, int *fd,
				struct dt_err *err)
{
	char why[600];
	int dir, saved;

	*fd = -1;
	dir = dt_dir_chain_open(home, owner, why, sizeof(why));
	if (dir < 0 && errno == ENOENT)
		return 0;
	if (dir < 0)
		return dt_err_set(err, DT_ERR_DENIED,
				  "%s: ignored: %s (as sshd's StrictModes would)", path, why);
	*fd = openat(dir, DT_USERFILE_NAME,
		     O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	saved = errno;
	close(dir);
	if (*fd >= 0 || saved == ENOENT)
		return 0;
	return dt_err_set(err, DT_ERR_DENIED, "%s: %s%s", path, strerror(saved),
			  saved == ELOOP ? " (symbolic links are refused)" : "");
}

static int match_lines(char *text, const char *path, const char *union_id, int *bound,
		       struct dt_err *err)
{
	char *line, *next, *id;
	unsigned lineno = 0;

	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		id = line + strspn(line, " \t\r");
		id[strcspn(id, " \t\r")] = '\0';
		if (id[0] == '\0' || id[0] == '#')
			continue;
		if (!dt_is_printable_id(id) || strlen(id) > UNION_ID_MAX) {
			*bound = 0; /* a broken file binds nobody */
			return dt_err_set(err, DT_ERR_DENIED, "%s:%u: not a unionId", path, lineno);
		}
		if (strcmp(id, union_id) == 0)
			*bound = 1;
	}
	return 0;
}

int dt_userfile_match(const char *home, uid_t owner, const char *union_id, int *bound,
		      struct dt_err *err)
{
	char path[4096], text[DT_USERFILE_MAX_BYTES + 1];
	int fd, rc;

	*bound = 0;
	if (binding_path(home, path, sizeof(path), err) < 0)
		return -1;
	if (open_in_checked_home(home, path, owner, &fd, err) < 0)
		return -1;
	if (fd < 0)
		return 0; /* no file: no binding, no error */
	rc = read_checked(fd, path, owner, text, err);
	close(fd);
	return rc < 0 ? -1 : match_lines(text, path, union_id, bound, err);
}

int dt_userfile_write(const char *home, const char *union_id, struct dt_err *err)
{
	char path[4096], tmp[4200];
	char *text;
	int fd, ok;
	size_t len;

	if (!dt_is_printable_id(union_id) || strlen(union_id) > UNION_ID_MAX)
		return dt_err_set(err, DT_ERR_INTERNAL, "not a unionId");
	if (binding_path(home, path, sizeof(path), err) < 0)
		return -1;
	text = dt_asprintf("# pam_dingtalk: the DingTalk identity that may log in as you\n%s\n",
			   union_id);
	if (text == NULL)
		return dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(text);
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", tmp, strerror(errno));
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	free(text);
	if (!ok || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", path, strerror(saved));
	}
	return 0;
}
