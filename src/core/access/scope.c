#include "config.h"

#include "access/scope.h"
#include "conf/modcfg.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define NSS_BUF 16384

static int group_gid(const char *group, gid_t *gid)
{
	struct group gr, *found = NULL;
	char buf[NSS_BUF];

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &found) != 0 || found == NULL)
		return -1;
	*gid = found->gr_gid;
	return 0;
}

/* Supplementary groups of `user` (with `primary`), bounded. */
static int in_group_list(const char *user, gid_t primary, gid_t gid)
{
	int n = 64, i, member = 0;
	gid_t *groups = malloc((size_t)n * sizeof(*groups));

	if (groups != NULL && getgrouplist(user, primary, groups, &n) < 0 && n > 0 && n <= 65536) {
		gid_t *more = realloc(groups, (size_t)n * sizeof(*groups));
		if (more == NULL || getgrouplist(user, primary, more, &n) < 0)
			n = 0;
		groups = more;
	}
	for (i = 0; groups != NULL && i < n && !member; i++)
		member = groups[i] == gid;
	free(groups);
	return member;
}

/* The system's answer: primary group or supplementary membership. */
static int user_in_group(void *ctx, const char *user, const char *group)
{
	struct passwd pw, *found = NULL;
	char buf[NSS_BUF];
	gid_t gid;

	(void)ctx;
	if (group_gid(group, &gid) < 0)
		return -1;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return 0;
	return found->pw_gid == gid || in_group_list(user, found->pw_gid, gid);
}

int dt_group_list_matches(const struct dt_group_list *list, const char *user, dt_member_fn member,
			  void *ctx)
{
	int any_plain = 0, in_plain = 0;
	size_t i;

	for (i = 0; i < list->n; i++) {
		const struct dt_group *g = &list->group[i];
		if (g->negated && member(ctx, user, g->name) == 1)
			return 0;
		if (!g->negated) {
			any_plain = 1;
			in_plain = in_plain || member(ctx, user, g->name) == 1;
		}
	}
	return !any_plain || in_plain;
}

int dt_policy_in_scope(const struct dt_group_list *only_groups,
		       const struct dt_group_list *skip_groups, const char *user,
		       dt_member_fn member, void *ctx, const char **why)
{
	if (only_groups->set && !dt_group_list_matches(only_groups, user, member, ctx)) {
		*why = "not in only_groups";
		return 0;
	}
	if (skip_groups->set && dt_group_list_matches(skip_groups, user, member, ctx)) {
		*why = "in skip_groups";
		return 0;
	}
	return 1;
}

int dt_policy_check_root(int allow_root, const char *user, long uid, struct dt_err *err)
{
	if (uid == 0 && !allow_root)
		return dt_err_set(err, DT_ERR_DENIED,
				  "'%s' has uid 0 and allow_root = no: no DingTalk identity logs "
				  "in as root",
				  user);
	return 0;
}

long dt_local_uid(const char *user)
{
	struct passwd pw, *found = NULL;
	char buf[NSS_BUF];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return -1;
	return (long)found->pw_uid;
}

int dt_scope_check_account(const struct dt_modcfg *cfg, const char *user, struct dt_err *err)
{
	const char *why = NULL;
	long uid = dt_local_uid(user);

	if (uid < 0)
		return dt_err_set(err, DT_ERR_NOUSER, "user '%s' does not exist here", user);
	if (!dt_policy_in_scope(&cfg->only_groups, &cfg->skip_groups, user, user_in_group, NULL,
				&why)) {
		dt_err_set(err, DT_OK, "user %s is out of scope (%s)", user, why);
		return 0;
	}
	if (dt_policy_check_root(cfg->allow_root, user, uid, err) < 0)
		return -1;
	return 1;
}
