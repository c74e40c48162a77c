#include "config.h"

#include "access/mapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "base/util.h"

#define SEPARATORS " \t\r"

/* One entry of the map: calls `fn` for each account when the entry is
 * `union_id`'s. Both the check of one account (a normal login) and the
 * list of all of them (set_user) read the map through here. The map is
 * read at every login, so "file:line" is only formatted when it is shown. */
static int scan_line(char *line, const char *file, unsigned lineno, const char *union_id,
		     dt_map_account_fn fn, void *ctx, struct dt_err *err)
{
	char *save = NULL, *account, where[512];
	char *id = strtok_r(line, SEPARATORS, &save);
	char *rest = strtok_r(NULL, "", &save);

	if (id == NULL || id[0] == '#')
		return 0;
	if (rest == NULL || rest[strspn(rest, SEPARATORS)] == '\0')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: '%.64s' names no local account (want 'unionId user...')",
				  file, lineno, id);
	if (strcmp(id, union_id) != 0)
		return 0;
	snprintf(where, sizeof(where), "%s:%u", file, lineno);
	for (account = strtok_r(rest, SEPARATORS, &save); account != NULL;
	     account = strtok_r(NULL, SEPARATORS, &save))
		if (fn(ctx, account, where, err) < 0)
			return -1;
	return 0;
}

/* Scans a buffer of our own in place (it is cut into lines). */
static int scan_buffer(char *buf, size_t len, const char *file, const char *union_id,
		       dt_map_account_fn fn, void *ctx, struct dt_err *err)
{
	char *line, *next;
	unsigned lineno = 0;
	int rc = 0;

	if (memchr(buf, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	for (line = buf; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		rc = scan_line(line, file, ++lineno, union_id, fn, ctx, err);
	}
	return rc;
}

int dt_map_accounts_text(const char *text, size_t len, const char *file, const char *union_id,
			 dt_map_account_fn fn, void *ctx, struct dt_err *err)
{
	char *copy;
	int rc;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	copy = strndup(text, len);
	if (copy == NULL)
		return dt_err_oom(err);
	rc = scan_buffer(copy, len, file, union_id, fn, ctx, err);
	free(copy);
	return rc;
}

/* The file's buffer is ours: scanned in place, without a copy (the map is
 * read at every login, and large maps make copies show). */
int dt_map_accounts_file(const char *path, const char *union_id, dt_map_account_fn fn, void *ctx,
			 struct dt_err *err)
{
	size_t len = 0;
	char *text = dt_read_protected_file(path, DT_CFG_PUBLIC, DT_MAP_MAX_BYTES, &len, err);
	int rc;

	if (text == NULL)
		return -1;
	rc = scan_buffer(text, len, path, union_id, fn, ctx, err);
	free(text);
	return rc;
}

struct match {
	const char *user;
	struct dt_map_result *out;
};

/* The first account of the identity that is not `user` is kept for the
 * log ("is bound to 'bob', not to 'alice'"). */
static int match_account(void *ctx, const char *account, const char *where, struct dt_err *err)
{
	struct match *m = ctx;

	(void)where;
	(void)err;
	m->out->known = 1;
	if (m->out->allowed)
		return 0;
	if (strcmp(account, m->user) == 0)
		m->out->allowed = 1;
	else if (m->out->other_user[0] == '\0')
		snprintf(m->out->other_user, sizeof(m->out->other_user), "%s", account);
	return 0;
}

int dt_map_match_text(const char *text, size_t len, const char *file, const char *union_id,
		      const char *user, struct dt_map_result *out, struct dt_err *err)
{
	struct match m = {.user = user, .out = out};

	memset(out, 0, sizeof(*out));
	return dt_map_accounts_text(text, len, file, union_id, match_account, &m, err);
}

int dt_map_match_file(const char *path, const char *union_id, const char *user,
		      struct dt_map_result *out, struct dt_err *err)
{
	struct match m = {.user = user, .out = out};

	memset(out, 0, sizeof(*out));
	return dt_map_accounts_file(path, union_id, match_account, &m, err);
}
