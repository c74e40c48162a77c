/* Who may log in as whom: the central map file.
 *
 *   # unionId                     local accounts
 *   z21HjQliSzpw0YxxxxiEiE        alice alice-admin
 *
 * Only the DingTalk identity bound to a local account can approve a login
 * as that account. */
#ifndef DT_MAPPING_H
#define DT_MAPPING_H

#include <stddef.h>

#include "base/err.h"

#define DT_MAP_MAX_BYTES (4 * 1024 * 1024)

struct dt_map_result {
	int allowed;	     /* union_id is bound to the requested user */
	int known;	     /* union_id appears in the map at all */
	char other_user[64]; /* when known but not allowed: the first account it serves */
};

/* The grammar, for the module and for the editor (mapedit.h) alike:
 * lines separated by '\n'; words separated by spaces, tabs or '\r'; a
 * blank line, or one whose first word starts with '#', is a comment;
 * otherwise the first word is a unionId and every further word an
 * account it serves, at least one. A NUL byte anywhere is refused. */
struct dt_map_line {
	const char *file;
	unsigned lineno;	/* 1-based */
	size_t offset, raw_len; /* the line as written: offset into the text, without '\n' */
	const char *id;		/* the unionId, NULL for a comment or blank line */
	char *save;		/* dt_map_next_account's place */
};

/* Called for every line, in order. Returns 0, or -1 with err set to stop. */
typedef int (*dt_map_line_fn)(void *ctx, struct dt_map_line *line, struct dt_err *err);

/* Parses `buf` (len bytes and a NUL after them) in place: it is cut into
 * lines and words. Returns 0, or -1 with err naming the file and line of a
 * malformed entry, or fn's error. */
int dt_map_parse(char *buf, size_t len, const char *file, dt_map_line_fn fn, void *ctx,
		 struct dt_err *err);

/* dt_map_parse on a copy of `text`, which stays as it is (the editor
 * keeps the lines as written): a NUL byte in it is an error. */
int dt_map_parse_copy(const char *text, size_t len, const char *file, dt_map_line_fn fn, void *ctx,
		      struct dt_err *err);

/* The line's next account, or NULL after the last (at once for a
 * comment or blank line). */
char *dt_map_next_account(struct dt_map_line *line);

/* Called for each account bound to the identity, in file order (several
 * lines for one unionId add up); `where` is "file:line". Returns 0, or -1
 * with err set to stop. */
typedef int (*dt_map_account_fn)(void *ctx, const char *account, const char *where,
				 struct dt_err *err);

/* Every account the map binds `union_id` to (set_user). Returns 0, or -1
 * with err naming the file and line of a malformed entry, or fn's error. */
int dt_map_accounts_text(const char *text, size_t len, const char *file, const char *union_id,
			 dt_map_account_fn fn, void *ctx, struct dt_err *err);
int dt_map_accounts_file(const char *path, const char *union_id, dt_map_account_fn fn, void *ctx,
			 struct dt_err *err);

/* Looks `union_id` up in map text. Returns 0, or -1 with err naming the
 * file and line of a malformed entry. */
int dt_map_match_text(const char *text, size_t len, const char *file, const char *union_id,
		      const char *user, struct dt_map_result *out, struct dt_err *err);

/* The same on a file that must have a trusted owner (dt_file_owner_trusted)
 * and not be group/world writable. */
int dt_map_match_file(const char *path, const char *union_id, const char *user,
		      struct dt_map_result *out, struct dt_err *err);

#endif
