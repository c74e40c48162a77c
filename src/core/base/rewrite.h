/* Changing a protected file (dt_file_owner_trusted) that logins read at any moment (the map file,
 * the recovery codes): one writer at a time, readers always see either the
 * old or the new file whole, and the previous version is kept. */
#ifndef DT_REWRITE_H
#define DT_REWRITE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/file.h"
#include "base/err.h"

/* Computes the new contents from the old (old is "" when the file does not
 * exist yet). Sets *out to a malloc'd text, or leaves it NULL to change
 * nothing. Returns 0, or -1 with err set to abandon the change. */
typedef int (*dt_rewrite_fn)(void *ctx, const char *old, size_t old_len, char **out,
			     struct dt_err *err);

struct dt_rewrite_target {
	const char *path;
	enum dt_file_protection protection; /* what the existing file must satisfy */
	mode_t mode;			    /* of the new file */
	size_t max_bytes;
};

/* Under an exclusive flock on PATH.lock: reads PATH with the usual safety
 * checks, calls `edit`, writes the result to PATH.tmp (root's as root, else
 * the process's own; `mode`, fsync'd), keeps the old file as PATH.bak (a
 * hard link, so no copy can be torn) and renames the new one into place, then fsyncs the directory.
 * A writer killed at any point leaves PATH whole; a leftover PATH.tmp is replaced by the next
 * writer. */
int dt_rewrite_file(const struct dt_rewrite_target *target, dt_rewrite_fn edit, void *ctx,
		    struct dt_err *err);

#endif
