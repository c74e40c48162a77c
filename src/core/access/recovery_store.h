/* The recovery file itself: root-only, changed under a lock (rewrite.h), so
 * two logins can never spend the same code. */
#ifndef DT_RECOVERY_STORE_H
#define DT_RECOVERY_STORE_H

#include <stddef.h>

#include "base/err.h"

/* How many codes `user` has; 0 when the file does not exist. A file that is
 * not root-only is an error (its codes are not trusted). */
int dt_recovery_left(const char *path, const char *user, unsigned *left, struct dt_err *err);

/* Spends `code` if it is one of the user's: *accepted says so, *left how
 * many remain. */
int dt_recovery_use(const char *path, const char *user, const char *code, int *accepted,
		    unsigned *left, struct dt_err *err);

/* Makes `count` new codes for `user` (replacing any old ones) and returns
 * them for printing, once: `codes` gets `count` malloc'd strings. */
int dt_recovery_issue(const char *path, const char *user, size_t count, char **codes,
		      struct dt_err *err);

#endif
