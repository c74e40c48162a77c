#include "config.h"

#include "base/as_user.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
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

/* Undoes the steps taken, newest first: 3 uid, gid and groups; 2 gid and
 * groups; 1 groups. */
static int restore(struct dt_as_user *as, int steps)
{
	if (steps >= 3 && seteuid(as->euid) != 0)
		return -1;
	if (steps >= 2 && setegid(as->egid) != 0)
		return -1;
	if (steps >= 1 && setgroups((size_t)as->n_groups, as->groups) != 0)
		return -1;
	return 0;
}

static void forget(struct dt_as_user *as)
{
	free(as->groups);
	as->groups = NULL;
	as->n_groups = 0;
	as->switched = 0;
}

/* One step of the switch failed: back to where we were, or say that even
 * that failed. */
static int switch_failed(struct dt_as_user *as, int steps, const char *what, struct dt_err *err)
{
	int saved = errno;

	if (restore(as, steps) != 0) {
		forget(as);
		return dt_err_set(err, DT_ERR_INTERNAL,
				  "cannot act as %s (%s: %s), and cannot regain privileges: %s",
				  as->pw.pw_name, what, strerror(saved), strerror(errno));
	}
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
	if (setegid(as->pw.pw_gid) != 0)
		return switch_failed(as, 2, "setegid", err);
	if (seteuid(as->pw.pw_uid) != 0)
		return switch_failed(as, 3, "seteuid", err);
	as->switched = 1;
	return 0;
}

int dt_as_user_leave(struct dt_as_user *as, struct dt_err *err)
{
	int rc = 0;

	if (as->switched && restore(as, 3) != 0)
		rc = dt_err_set(err, DT_ERR_INTERNAL,
				"cannot regain privileges after acting as %s: %s", as->pw.pw_name,
				strerror(errno));
	forget(as);
	return rc;
}
