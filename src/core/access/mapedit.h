/* Editing the central map file (dingtalk-ctl enroll, map add|remove|list).
 * Each function takes the file's text and gives new text: comments, blank
 * lines and every other entry stay as they were, byte for byte. The file
 * is read with the module's own grammar (mapfile.h), and the editor also
 * refuses a unionId with control characters, an account no user can be
 * called, and more than 64 accounts on a line. A file that does not parse
 * is refused, never "repaired". */
#ifndef DT_MAPEDIT_H
#define DT_MAPEDIT_H

#include <stddef.h>

#include "base/err.h"

/* Binds `union_id` to `user`: appends the account to the identity's line,
 * or adds a line. *out is NULL when the binding already exists. */
int dt_map_add(const char *text, size_t len, const char *file, const char *union_id,
	       const char *user, char **out, struct dt_err *err);

/* Unbinds `user` from `union_id` (or from every identity when union_id is
 * NULL); a line left without accounts goes. *removed counts the bindings
 * undone; *out is NULL when there were none. */
int dt_map_remove(const char *text, size_t len, const char *file, const char *user,
		  const char *union_id, char **out, unsigned *removed, struct dt_err *err);

/* Calls `fn` for each entry with its `n` accounts, in file order, after
 * the whole file has been checked. */
typedef void (*dt_map_entry_fn)(void *ctx, const char *union_id, const char *const *accounts,
				size_t n);
int dt_map_each(const char *text, size_t len, const char *file, dt_map_entry_fn fn, void *ctx,
		struct dt_err *err);

#endif
