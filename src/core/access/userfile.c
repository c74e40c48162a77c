#include "config.h"

#include "access/userfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dirchain.h"
#include "base/file.h"
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

static int refusal(const char *path, const struct dt_file_refusal *why, struct dt_err *err)
{
	switch (why->fault) {
	case DT_FILE_CANNOT_OPEN:
		return dt_err_set(err, DT_ERR_DENIED, "%s: %s%s", path, strerror(why->errnum),
				  why->errnum == ELOOP ? " (symbolic links are refused)" : "");
	case DT_FILE_NOT_OWNED:
		return refuse(err, path, "not owned by the user");
	case DT_FILE_TOO_OPEN:
		return refuse(err, path, "writable by group or others");
	case DT_FILE_TOO_LARGE:
		return refuse(err, path, "larger than 4096 bytes");
	case DT_FILE_NO_MEMORY:
		return dt_err_oom_in(err, path);
	case DT_FILE_CANNOT_READ:
		return dt_err_set(err, DT_ERR_DENIED, "%s: %s", path,
				  why->errnum != 0 ? strerror(why->errnum) : "short read");
	case DT_FILE_READ_OK:
	case DT_FILE_CANNOT_STAT:
	case DT_FILE_NOT_REGULAR:
		break;
	}
	return refuse(err, path, "not a regular file");
}

/* The file's own checks say nothing if someone else can write its
 * directory or one above: they could have put their file there. The file
 * is read from the checked directory's descriptor, never by its path, so
 * it comes from the chain that was checked. Returns 0 with *text the
 * file's contents (NULL when there is no file, nor home); -1 with `err`
 * set when the chain or the file is unsafe, or cannot be read. */
static int read_in_checked_home(const char *home, const char *path, uid_t owner, char **text,
				struct dt_err *err)
{
	const struct dt_file_rules rules = {
	    .owner = owner, .forbidden = S_IWGRP | S_IWOTH, .max_bytes = DT_USERFILE_MAX_BYTES};
	struct dt_file_refusal why;
	char reason[600];
	size_t len = 0;
	int dir;

	*text = NULL;
	dir = dt_dir_chain_open(home, owner, reason, sizeof(reason));
	if (dir < 0 && errno == ENOENT)
		return 0;
	if (dir < 0)
		return dt_err_set(err, DT_ERR_DENIED,
				  "%s: ignored: %s (as sshd's StrictModes would)", path, reason);
	*text = dt_file_read_at(dir, DT_USERFILE_NAME, path, &rules, &len, &why, NULL);
	close(dir);
	if (*text == NULL)
		return why.fault == DT_FILE_CANNOT_OPEN && why.errnum == ENOENT
			   ? 0
			   : refusal(path, &why, err);
	if (memchr(*text, '\0', len) != NULL) {
		free(*text);
		*text = NULL;
		return refuse(err, path, "contains a NUL byte");
	}
	return 0;
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
	char path[4096], *text;
	int rc;

	*bound = 0;
	if (binding_path(home, path, sizeof(path), err) < 0)
		return -1;
	if (read_in_checked_home(home, path, owner, &text, err) < 0)
		return -1;
	if (text == NULL)
		return 0; /* no file: no binding, no error */
	rc = match_lines(text, path, union_id, bound, err);
	free(text);
	return rc;
}

int dt_userfile_write(const char *home, const char *union_id, struct dt_err *err)
{
	char path[4096], *text;
	const struct dt_file_write w = {.path = path, .mode = 0600};
	int rc;

	if (!dt_is_printable_id(union_id) || strlen(union_id) > UNION_ID_MAX)
		return dt_err_set(err, DT_ERR_INTERNAL, "not a unionId");
	if (binding_path(home, path, sizeof(path), err) < 0)
		return -1;
	text = dt_asprintf("# pam_dingtalk: the DingTalk identity that may log in as you\n%s\n",
			   union_id);
	if (text == NULL)
		return dt_err_oom(err);
	rc = dt_file_replace(&w, text, strlen(text), err);
	free(text);
	return rc;
}
