#include "config.h"

#include "access/mapedit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/sources.h"
#include "base/textbuf.h"
#include "base/util.h"

#define SEPARATORS   " \t\r"
#define MAX_ACCOUNTS 64

/* One line of the file, split. A comment or blank line has id == NULL. */
struct map_line {
	const char *raw; /* the line as written, without its '\n' */
	size_t raw_len;
	char *id;
	char *accounts[MAX_ACCOUNTS];
	size_t n;
	char work[]; /* the tokens point in here */
};

static int split_line(struct map_line *l, const char *where, struct dt_err *err)
{
	char *save = NULL, *tok;

	l->id = strtok_r(l->work, SEPARATORS, &save);
	if (l->id == NULL || l->id[0] == '#') {
		l->id = NULL;
		return 0;
	}
	if (!dt_is_printable_id(l->id))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%.64s' is not a unionId", where, l->id);
	while ((tok = strtok_r(NULL, SEPARATORS, &save)) != NULL) {
		if (l->n == MAX_ACCOUNTS)
			return dt_err_set(err, DT_ERR_CONFIG, "%s: more than %d accounts", where,
					  MAX_ACCOUNTS);
		if (!dt_valid_user_name(tok))
			return dt_err_set(err, DT_ERR_CONFIG, "%s: '%.64s' is not a user name",
					  where, tok);
		l->accounts[l->n++] = tok;
	}
	if (l->n == 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: '%.64s' names no local account (want 'unionId user...')",
				  where, l->id);
	return 0;
}

/* Calls `fn` on every line; stops at the first error. */
typedef int (*line_fn)(void *ctx, struct map_line *line, struct dt_err *err);

static int each_line(const char *text, size_t len, const char *file, line_fn fn, void *ctx,
		     struct dt_err *err)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	char where[512];
	int rc = 0;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		struct map_line *l = calloc(1, sizeof(*l) + n + 1);

		if (l == NULL)
			return dt_err_oom(err);
		l->raw = p;
		l->raw_len = n;
		memcpy(l->work, p, n);
		snprintf(where, sizeof(where), "%s:%u", file, ++lineno);
		rc = split_line(l, where, err);
		if (rc == 0)
			rc = fn(ctx, l, err);
		free(l);
		p += n + (nl != NULL);
	}
	return rc;
}

static int has_account(const struct map_line *l, const char *user)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->accounts[i], user) == 0)
			return 1;
	return 0;
}

static void put_raw(struct dt_textbuf *b, const struct map_line *l)
{
	dt_textbuf_add(b, l->raw, l->raw_len);
	dt_textbuf_add(b, "\n", 1);
}

struct edit {
	const char *union_id, *user;
	struct dt_textbuf out;
	unsigned changes;
	unsigned lineno;
	int bound;	 /* add: some line already binds union_id to user */
	unsigned target; /* add: the line to extend (1-based), 0 for a new line */
};

/* add, first pass: is the binding there already, and which of the
 * identity's lines has room for one more account? */
static int scan_line(void *ctx, struct map_line *l, struct dt_err *err)
{
	struct edit *e = ctx;

	(void)err;
	e->lineno++;
	if (l->id == NULL || strcmp(l->id, e->union_id) != 0)
		return 0;
	if (has_account(l, e->user))
		e->bound = 1;
	else if (e->target == 0 && l->n < MAX_ACCOUNTS)
		e->target = e->lineno;
	return 0;
}

static int add_line(void *ctx, struct map_line *l, struct dt_err *err)
{
	struct edit *e = ctx;

	(void)err;
	put_raw(&e->out, l);
	if (++e->lineno == e->target && !e->out.failed) {
		/* Append to the line just written, before its '\n'. */
		e->out.len--;
		dt_textbuf_addf(&e->out, " %s\n", e->user);
		e->changes++;
	}
	return 0;
}

static int check_args(const char *union_id, const char *user, struct dt_err *err)
{
	/* A leading '#' would make the new line a comment. */
	if (union_id != NULL &&
	    (!dt_is_printable_id(union_id) || strlen(union_id) > 128 || union_id[0] == '#'))
		return dt_err_set(err, DT_ERR_CONFIG, "'%.64s' is not a unionId", union_id);
	if (!dt_valid_user_name(user))
		return dt_err_set(err, DT_ERR_CONFIG, "'%.64s' is not a user name", user);
	return 0;
}

static int finish(struct edit *e, char **out, struct dt_err *err)
{
	char *text = dt_textbuf_take(&e->out);

	if (text == NULL)
		return dt_err_oom(err);
	if (e->changes == 0) {
		free(text);
		text = NULL;
	}
	*out = text;
	return 0;
}

int dt_map_add(const char *text, size_t len, const char *file, const char *union_id,
	       const char *user, char **out, struct dt_err *err)
{
	struct edit e = {.union_id = union_id, .user = user};

	*out = NULL;
	if (check_args(union_id, user, err) < 0 ||
	    each_line(text, len, file, scan_line, &e, err) < 0)
		return -1;
	if (e.bound)
		return 0;
	e.lineno = 0;
	if (each_line(text, len, file, add_line, &e, err) < 0) {
		dt_free_secret(dt_textbuf_take(&e.out));
		return -1;
	}
	if (e.target == 0) {
		dt_textbuf_addf(&e.out, "%s\t%s\n", union_id, user);
		e.changes++;
	}
	return finish(&e, out, err);
}

static int remove_line(void *ctx, struct map_line *l, struct dt_err *err)
{
	struct edit *e = ctx;
	size_t i, kept = 0;

	(void)err;
	if (l->id == NULL || (e->union_id != NULL && strcmp(l->id, e->union_id) != 0) ||
	    !has_account(l, e->user)) {
		put_raw(&e->out, l);
		return 0;
	}
	e->changes++;
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->accounts[i], e->user) == 0)
			continue;
		if (kept++ == 0)
			dt_textbuf_addf(&e->out, "%s\t%s", l->id, l->accounts[i]);
		else
			dt_textbuf_addf(&e->out, " %s", l->accounts[i]);
	}
	if (kept > 0)
		dt_textbuf_add(&e->out, "\n", 1);
	return 0;
}

int dt_map_remove(const char *text, size_t len, const char *file, const char *user,
		  const char *union_id, char **out, unsigned *removed, struct dt_err *err)
{
	struct edit e = {.union_id = union_id, .user = user};

	*out = NULL;
	*removed = 0;
	if (check_args(union_id, user, err) < 0)
		return -1;
	if (each_line(text, len, file, remove_line, &e, err) < 0) {
		dt_free_secret(dt_textbuf_take(&e.out));
		return -1;
	}
	*removed = e.changes;
	return finish(&e, out, err);
}

struct lister {
	dt_map_entry_fn fn;
	void *ctx;
	int pass; /* 0: check the whole file first, 1: report */
};

static int list_line(void *ctx, struct map_line *l, struct dt_err *err)
{
	struct lister *ls = ctx;
	struct dt_textbuf accounts = {0};
	char *joined;
	size_t i;

	if (ls->pass == 0 || l->id == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			dt_textbuf_add(&accounts, " ", 1);
		dt_textbuf_add(&accounts, l->accounts[i], strlen(l->accounts[i]));
	}
	joined = dt_textbuf_take(&accounts);
	if (joined == NULL)
		return dt_err_oom(err);
	ls->fn(ls->ctx, l->id, joined);
	free(joined);
	return 0;
}

int dt_map_each(const char *text, size_t len, const char *file, dt_map_entry_fn fn, void *ctx,
		struct dt_err *err)
{
	struct lister ls = {.fn = fn, .ctx = ctx, .pass = 0};

	if (each_line(text, len, file, list_line, &ls, err) < 0)
		return -1;
	ls.pass = 1;
	return each_line(text, len, file, list_line, &ls, err);
}
