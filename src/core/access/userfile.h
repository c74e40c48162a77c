/* The per-user binding file (map source `userfile`, pam-u2f style):
 * ~/.pam_dingtalk_id lists the unionIds that may log in as the file's
 * owner, one a line, '#' comments. Self-service enrollment writes it. The
 * caller runs these with the user's own privileges, never as root. */
#ifndef DT_USERFILE_H
#define DT_USERFILE_H

#include <sys/types.h>

#include "base/err.h"

#define DT_USERFILE_NAME      ".pam_dingtalk_id"
#define DT_USERFILE_MAX_BYTES 4096

/* Sets *bound when `union_id` is listed. Returns 0 (also when there is no
 * file, or no home), or -1 (err set, DT_ERR_DENIED) when the file is
 * unsafe -- a symlink, not a regular file, not owned by `owner`, writable
 * by group or others, too large, or in a directory chain that someone
 * other than root and `owner` can write (dt_dir_chain_open, from / down to
 * `home`, links on the way followed and checked; the file is opened from
 * the checked chain's last directory, not by path) -- or malformed (the
 * line is named). An unsafe chain is refused even when it holds no file:
 * the log then says why the user's binding file cannot work. */
int dt_userfile_match(const char *home, uid_t owner, const char *union_id, int *bound,
		      struct dt_err *err);

/* Replaces the file with `union_id` atomically (temp file, fsync,
 * rename), mode 0600. */
int dt_userfile_write(const char *home, const char *union_id, struct dt_err *err);

#endif
