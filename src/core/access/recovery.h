/* Break-glass recovery codes: `dingtalk-ctl recovery --user alice` prints
 * single-use codes once; the root-only file keeps only a salted PBKDF2 hash
 * of each. The module accepts one only when DingTalk or the helper cannot
 * be reached.
 *
 *   # user  hash
 *   alice   pbkdf2-sha256$10000$<salt>$<hash>
 */
#ifndef DT_RECOVERY_H
#define DT_RECOVERY_H

#include <stddef.h>

#include "base/err.h"

#define DT_RECOVERY_MAX_BYTES (1024 * 1024)
#define DT_RECOVERY_MAX_COUNT 50
/* 16 Crockford base32 characters (80 bits) in four groups: xxxx-xxxx-xxxx-xxxx */
#define DT_RECOVERY_CODE_LEN  16
#define DT_RECOVERY_CODE_SIZE (DT_RECOVERY_CODE_LEN + 4)

/* A fresh code for a person to write down, dashes included. */
int dt_recovery_new_code(char code[DT_RECOVERY_CODE_SIZE], struct dt_err *err);

/* The stored form of a code: "pbkdf2-sha256$ITER$SALT$HASH" (malloc'd). */
char *dt_recovery_hash(const char *code, struct dt_err *err);

/* Replaces every code of `user` with `hashes` (file text in, text out). */
int dt_recovery_replace(const char *text, size_t len, const char *file, const char *user,
			char *const *hashes, size_t n, char **out, struct dt_err *err);

/* How many codes `user` has left. */
int dt_recovery_count(const char *text, size_t len, const char *file, const char *user,
		      unsigned *count, struct dt_err *err);

/* Looks for `code` among the user's codes (case, dashes, spaces and the
 * look-alikes O/I/L do not matter). On a match *out is the text without
 * it and *left what remains; with no match *out is NULL. */
int dt_recovery_consume(const char *text, size_t len, const char *file, const char *user,
			const char *code, char **out, unsigned *left, struct dt_err *err);

#endif
