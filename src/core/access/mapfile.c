#include "config.h"

#include "access/mapfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "base/util.h"

#define SEPARATORS " \t\r"

char *dt_map_next_account(struct dt_map_line *line)
{
	if (line->id == NULL) /* a comment's words are no accounts */
		return NULL;
	return strtok_r(NULL, SEPARATORS, &line->save);
}

/* One line, cut in place: the unionId, then the accounts. */
static int parse_line(char *text, struct dt_map_line *l, dt_map_line_fn fn, void *ctx,
		      struct dt_err *err)
{
	char *rest;

	l->id = strtok_r(text, SEPARATORS, &l->save);
	if (l->id != NULL && l->id[0] == '#')
		l->id = NULL;
	if (l->id == NULL)
		return fn(ctx, l, err);
	rest = strtok_r(NULL, "", &l->save);
	if (rest == NULL || rest[strspn(rest, SEPARATORS)] == '\0')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: '%.64s' names no local account (want 'unionId user...')",
				  l->file, l->lineno, l->id);
	/* dt_map_next_account walks the accounts from here. */
	l->save = rest;
	return fn(ctx, l, err);
}

int dt_map_parse(char *buf, size_t len, const char *file, dt_map_line_fn fn, void *ctx,
		 struct dt_err *err)
{
	struct dt_map_line l = {.file = file};
	char *p = buf, *end = buf + len, *nl;
	int rc = 0;

	if (memchr(buf, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	while (p < end && rc == 0) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.raw_len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		l.offset = (size_t)(p - buf);
		l.lineno++;
		p[l.raw_len] = '\0'; /* the '\n', or the buffer's own terminator */
		rc = parse_line(p, &l, fn, ctx, err);
		p += l.raw_len + 1;
	}
	return rc;
}

struct scan {
	const char *union_id;
	dt_map_account_fn fn;
	void *ctx;
};

/* Every account of the identity's lines. Both the check of one account
 * (a normal login) and the list of all of them (set_user) read the map
 * through here. The map is read at every login, so "file:line" is only
 * formatted when the line is the identity's. */
static int scan_line(void *ctx, struct dt_map_line *l, struct dt_err *err)
{
	struct scan *sc = ctx;
	char where[512], *account;

	if (l->id == NULL || strcmp(l->id, sc->union_id) != 0)
		return 0;
	snprintf(where, sizeof(where), "%s:%u", l->file, l->lineno);
	while ((account = dt_map_next_account(l)) != NULL)
		if (sc->fn(sc->ctx, account, where, err) < 0)
			return -1;
	return 0;
}

static int scan_buffer(char *buf, size_t len, const char *file, const char *union_id,
		       dt_map_account_fn fn, void *ctx, struct dt_err *err)
{
	struct scan sc = {.union_id = union_id, .fn = fn, .ctx = ctx};

	return dt_map_parse(buf, len, file, scan_line, &sc, err);
}

int dt_map_parse_copy(const char *text, size_t len, const char *file, dt_map_line_fn fn, void *ctx,
		      struct dt_err *err)
{
	char *copy;
	int rc;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	copy = strndup(text, len);
	if (copy == NULL)
		return dt_err_oom(err);
	rc = dt_map_parse(copy, len, file, fn, ctx, err);
	free(copy);
	return rc;
}

int dt_map_accounts_text(const char *text, size_t len, const char *file, const char *union_id,
			 dt_map_account_fn fn, void *ctx, struct dt_err *err)
{
	struct scan sc = {.union_id = union_id, .fn = fn, .ctx = ctx};

	return dt_map_parse_copy(text, len, file, scan_line, &sc, err);
}

/* The file's buffer is ours: scanned in place, without a copy (the map is
 * read at every login, and large maps make copies show). */
int dt_map_accounts_file(const char *path, const char *union_id, dt_map_account_fn fn, void *ctx,
			 struct dt_err *err)
{
	size_t len = 0;
	char *text = dt_read_protected_file(path, DT_FILE_PUBLIC, DT_MAP_MAX_BYTES, &len, err);
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
