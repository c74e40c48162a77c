/* Touching a user's own files with that user's rights, never root's: the
 * binding file (map source `userfile`) and the remembered QR rendering,
 * read by the module, written by dingtalk-ctl. The one privilege switch of
 * the project: the calling thread takes on the user's file-system ids
 * (setfsuid, setfsgid) and the process the user's supplementary groups for
 * a few file operations, then returns to its own.
 *
 *	struct dt_as_user as;
 *	if (dt_as_user_enter(user, &as, err) < 0)
 *		return -1;
 *	rc = work(as.pw.pw_dir, as.pw.pw_uid, ...);
 *	dt_as_user_leave(&as);
 *
 * File-system ids, not effective ids: they belong to the calling thread
 * alone (other threads of a PAM application keep root's), and the
 * effective, real and saved uids stay what they were, so the user cannot
 * signal or trace the process while it acts for them, and the way back
 * stays open. A new file gets the user as its owner. */
#ifndef DT_AS_USER_H
#define DT_AS_USER_H

#include <pwd.h>
#include <sys/types.h>

#include "base/err.h"

struct dt_as_user {
	struct passwd pw;   /* the user, for their home and uid */
	char pw_buf[16384]; /* as much as any NSS entry this project reads */
	/* What dt_as_user_leave restores, valid while `switched`. */
	int switched;
	uid_t euid;
	gid_t egid;
	gid_t *groups;
	int n_groups;
};

/* Looks `user` up and takes on their supplementary groups (initgroups),
 * then their file-system gid, then their file-system uid, while still
 * root. As root acting for root, and as a non-root process acting for
 * itself, nothing changes and it succeeds. A non-root process cannot act
 * for anyone else: refused, since reading another's files with one's own
 * rights would prove nothing about them.
 * Returns 0 with `as` filled (call dt_as_user_leave, whatever happens), or
 * -1 with err set (DT_ERR_DENIED: no such user, or the switch failed and
 * the process is back as it was) and nothing to leave. */
int dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err);

/* Back to the groups and file-system ids dt_as_user_enter found, in
 * reverse order. Does not return if that fails (the process aborts): a
 * thread that cannot get its own rights back must not go on to decide a
 * login or write a root-owned file. */
void dt_as_user_leave(struct dt_as_user *as);

#endif
