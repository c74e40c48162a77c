/* A person's own choice of QR rendering, remembered in their home
 * (~/.pam_dingtalk): `qr = ascii` or `qr = utf8`. The caller drops
 * privileges to the user before calling these, so a user can only make
 * the module read or write what they could themselves. */
#ifndef DT_PREFS_H
#define DT_PREFS_H

#include <sys/types.h>

#include "base/err.h"
#include "conf/types.h"

#define DT_PREFS_FILE	   ".pam_dingtalk"
#define DT_PREFS_MAX_BYTES 1024

/* Reads the preferred style. Returns 1 and sets *style when the file holds
 * one, 0 when there is no file, -1 (err set) when the file is unsafe (not
 * owned by `owner`, writable by others, a symlink) or malformed. */
int dt_prefs_read(const char *home, uid_t owner, enum dt_qr_style *style, struct dt_err *err);

/* Writes the preference atomically (temp file, fsync, rename), mode 0600. */
int dt_prefs_write(const char *home, enum dt_qr_style style, struct dt_err *err);

#endif
