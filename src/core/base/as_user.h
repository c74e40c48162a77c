/* Touching a user's own files with that user's rights, never root's: the
 * binding file (map source `userfile`) and the remembered QR rendering,
 * read by the module, written by dingtalk-ctl. The one privilege switch of
 * the project: the process takes on the user's effective ids and groups
 * for a few file operations, then returns to its own.
 *
 *	struct dt_as_user as;
 *	if (dt_as_user_enter(user, &as, err) < 0)
 *		return -1;
 *	rc = work(as.pw.pw_dir, as.pw.pw_uid, ...);
 *	if (dt_as_user_leave(&as, err) < 0)
 *		... fail closed: the process may be left with fewer rights
 *
 * Effective ids only: the real and saved uid stay what they were (root,
 * or the caller of su and sudo), so the user cannot signal the process
 * while it acts for them, and the way back stays open. Not for threads
 * that do other work meanwhile: the ids are the whole process's. */
#ifndef DT_AS_USER_H
#define DT_AS_USER_H

#include <pwd.h>
#include <sys/types.h>

#include "base/err.h"

struct dt_as_user {
	struct passwd pw; /* the user, for their home and uid */
	char pw_buf[4096];
	/* What dt_as_user_leave restores, valid while `switched`. */
	int switched;
	uid_t euid;
	gid_t egid;
	gid_t *groups;
	int n_groups;
};

/* Looks `user` up and takes on their effective gid, uid and supplementary
 * groups: the group list first (initgroups), then the gid, then the uid,
 * while still root. As root acting for root, and as a non-root process
 * acting for itself, nothing changes and it succeeds. A non-root process
 * cannot act for anyone else: refused, since reading another's files with
 * one's own rights would prove nothing about them.
 * Returns 0 with `as` filled (call dt_as_user_leave, whatever happens), or
 * -1 with err set (DT_ERR_DENIED: no such user, or the switch failed; the
 * process is then back as it was, or DT_ERR_INTERNAL if even that failed)
 * and nothing to leave. */
int dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err);

/* Back to the ids and groups dt_as_user_enter found, in reverse order: uid,
 * gid, groups. Returns 0, or -1 with DT_ERR_INTERNAL when a step failed:
 * the process may be left with the user's rights, fewer than its own, and
 * the caller must treat whatever it was doing as failed. */
int dt_as_user_leave(struct dt_as_user *as, struct dt_err *err);

#endif
