/* The service's host key file (`host_keys`) as `dingtalk-ctl host-key`
 * reads and changes it: one writer at a time (an flock on PATH.lock), the
 * file read with a secret's checks and parsed by proto/hostkey_file
 * before anything is changed, and replaced atomically (stage, then
 * rename), readers seeing the old file or the new one whole. No backup
 * copy is kept: a removed key must not live on in one. */
#ifndef DT_CTL_HOSTKEY_EDIT_H
#define DT_CTL_HOSTKEY_EDIT_H

#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "proto/hostkey_file.h"

#define CTL_HOST_KEYS_DEFAULT "/etc/dingtalk-callbackd/host-keys"

struct ctl_keyfile {
	const char *path;
	/* Who the file belongs to: it may be root's or this user's when
	 * read, and is this user's when written (the service reads it as
	 * its own user: dingtalk-callbackd(8)). */
	uid_t uid;
	gid_t gid;
};

/* The file's text and keys. A missing file is an empty one (*missing set
 * when the caller wants to say so). Free with ctl_keyfile_release. */
struct ctl_keyfile_view {
	char *text;
	size_t len;
	struct dt_hostkey_entry *keys;
	size_t n;
	int missing;
};

int ctl_keyfile_read(const struct ctl_keyfile *f, struct ctl_keyfile_view *v, struct dt_err *err);

void ctl_keyfile_release(struct ctl_keyfile_view *v);

/* Computes the new text from the current one: *out a malloc'd text (wiped
 * and freed by the caller: it holds secrets), or left NULL to change
 * nothing. 0, or -1 with err to abandon. */
typedef int (*ctl_keyfile_edit_fn)(void *ctx, const struct ctl_keyfile_view *v, char **out,
				   struct dt_err *err);

/* Under the lock: read, edit, and replace the file (mode 0600, owned as
 * f says). The new text must parse too, or nothing is written. */
int ctl_keyfile_rewrite(const struct ctl_keyfile *f, ctl_keyfile_edit_fn edit, void *ctx,
			struct dt_err *err);

#endif
