#include "config.h"

#include "access/mapedit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/mapfile.h"
#include "access/sources.h"
#include "base/textbuf.h"
#include "base/util.h"

#define MAX_ACCOUNTS 64

/* One line of the file as the editor sees it: the map's own grammar
 * (mapfile.h), then the editor's stricter checks, since what it writes
 * must be clean. A comment or blank line has id == NULL. */
struct map_line {
	const char *raw; /* the line as written, without its '\n' */
	size_t raw_len;
	const char *id;
	const char *accounts[MAX_ACCOUNTS];
	size_t n;
};

/* Calls `fn` on every line; stops at the first error. */
typedef int (*line_fn)(void *ctx, struct map_line *line, struct dt_err *err);

struct walk {
	const char *text; /* the caller's, for the lines as written */
	line_fn fn;
	void *ctx;
};

static int check_line(void *ctx, struct dt_map_line *parsed, struct dt_err *err)
{
	struct walk *w = ctx;
	struct map_line l = {
	    .raw = w->text + parsed->offset, .raw_len = parsed->raw_len, .id = parsed->id};
	const char *account;

	if (l.id != NULL && !dt_is_printable_id(l.id))
		return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: '%.64s' is not a unionId",
				  parsed->file, parsed->lineno, l.id);
	while ((account = dt_map_next_account(parsed)) != NULL) {
		if (l.n == MAX_ACCOUNTS)
			return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: more than %d accounts",
					  parsed->file, parsed->lineno, MAX_ACCOUNTS);
		if (!dt_valid_user_name(account))
			return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: '%.64s' is not a user name",
					  parsed->file, parsed->lineno, account);
		l.accounts[l.n++] = account;
	}
	return w->fn(w->ctx, &l, err);
}

/* The file is parsed in a copy, so that the lines as written stay whole
 * for the output. */
static int each_line(const char *text, size_t len, const char *file, line_fn fn, void *ctx,
		     struct dt_err *err)
{
	struct walk w = {.text = text, .fn = fn, .ctx = ctx};

	return dt_map_parse_copy(text, len, file, check_line, &w, err);
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

	(void)err;
	if (ls->pass == 1 && l->id != NULL)
		ls->fn(ls->ctx, l->id, l->accounts, l->n);
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
