#include "config.h"

#include "base/as_user.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

/* Remembers the supplementary groups, which initgroups replaces. */
static int save_groups(struct dt_as_user *as, struct dt_err *err)
{
	int n = getgroups(0, NULL);

	if (n < 0)
		return dt_err_set(err, DT_ERR_DENIED, "getgroups: %s", strerror(errno));
	as->groups = malloc((size_t)(n > 0 ? n : 1) * sizeof(*as->groups));
	if (as->groups == NULL)
		return dt_err_oom(err);
	as->n_groups = getgroups(n, as->groups);
	if (as->n_groups < 0)
		return dt_err_set(err, DT_ERR_DENIED, "getgroups: %s", strerror(errno));
	return 0;
}

/* setfsuid and setfsgid report no error: each returns the previous id.
 * Asking again with an id that cannot be set (-1) returns the current
 * one, which tells whether the change took. */
static int set_fsuid(uid_t uid)
{
	setfsuid(uid);
	return (uid_t)setfsuid((uid_t)-1) == uid ? 0 : -1;
}

static int set_fsgid(gid_t gid)
{
	setfsgid(gid);
	return (gid_t)setfsgid((gid_t)-1) == gid ? 0 : -1;
}

/* Undoes the steps taken, newest first: 3 uid, gid and groups; 2 gid and
 * groups; 1 groups. */
static int restore(struct dt_as_user *as, int steps)
{
	if (steps >= 3 && set_fsuid(as->euid) != 0)
		return -1;
	if (steps >= 2 && set_fsgid(as->egid) != 0)
		return -1;
	if (steps >= 1 && setgroups((size_t)as->n_groups, as->groups) != 0)
		return -1;
	return 0;
}

/* The way back failed: the thread would go on with the user's file
 * access, or without its own groups. Nothing it does after that can be
 * trusted (a later map source, the token cache, the audit), so the
 * process stops here rather than return a login decision. */
_Noreturn static void cannot_regain(const struct dt_as_user *as)
{
	fprintf(stderr, "dingtalk: cannot regain privileges after acting as %s: %s; aborting\n",
		as->pw.pw_name, strerror(errno));
	abort();
}

static void forget(struct dt_as_user *as)
{
	free(as->groups);
	as->groups = NULL;
	as->n_groups = 0;
	as->switched = 0;
}

/* One step of the switch failed: back to where we were. */
static int switch_failed(struct dt_as_user *as, int steps, const char *what, struct dt_err *err)
{
	int saved = errno;

	if (restore(as, steps) != 0)
		cannot_regain(as);
	forget(as);
	return dt_err_set(err, DT_ERR_DENIED, "cannot drop privileges to %s (%s: %s)",
			  as->pw.pw_name, what, strerror(saved));
}

static int look_up(const char *user, struct dt_as_user *as, struct dt_err *err)
{
	struct passwd *found = NULL;

	if (getpwnam_r(user, &as->pw, as->pw_buf, sizeof(as->pw_buf), &found) != 0 || found == NULL)
		return dt_err_set(err, DT_ERR_DENIED, "no such user '%s'", user);
	return 0;
}

int dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err)
{
	memset(as, 0, sizeof(*as));
	if (look_up(user, as, err) < 0)
		return -1;
	as->euid = geteuid();
	as->egid = getegid();
	/* Already the user: nothing to switch. */
	if (as->pw.pw_uid == as->euid)
		return 0;
	if (as->euid != 0)
		return dt_err_set(err, DT_ERR_DENIED, "not running as root: cannot act as %s",
				  user);
	if (save_groups(as, err) < 0) {
		forget(as);
		return -1;
	}
	if (initgroups(as->pw.pw_name, as->pw.pw_gid) != 0)
		return switch_failed(as, 1, "initgroups", err);
	if (set_fsgid(as->pw.pw_gid) != 0)
		return switch_failed(as, 2, "setfsgid", err);
	if (set_fsuid(as->pw.pw_uid) != 0)
		return switch_failed(as, 3, "setfsuid", err);
	as->switched = 1;
	return 0;
}

void dt_as_user_leave(struct dt_as_user *as)
{
	if (as->switched && restore(as, 3) != 0)
		cannot_regain(as);
	forget(as);
}
