#include "config.h"

#include "access/login_policy.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "access/mapfile.h"
#include "access/sources.h"
#include "access/userfile.h"
#include "base/as_user.h"
#include "conf/map_spec.h"

static int in_depts(const struct dt_dept_list *list, const struct dt_identity *who)
{
	size_t i, j;

	for (i = 0; i < list->n; i++)
		for (j = 0; j < who->n_dept_ids; j++)
			if (who->dept_ids[j] == list->id[i])
				return 1;
	return 0;
}

/* require_active: DingTalk's `active` says whether the person has
 * activated DingTalk (查询用户详情), not whether they are still employed: a
 * person who left is not found at all (60121) and never gets here. */
static int activated(const struct dt_identity *who, struct dt_err *err)
{
	if (who->contact_type == 1)
		return dt_err_set(err, DT_ERR_DENIED,
				  "unionId %s (%s) is an external contact: DingTalk keeps no "
				  "activation state for them, so require_active refuses them "
				  "(turn it off to admit external contacts)",
				  who->union_id, who->nick);
	if (who->active < 0)
		return dt_err_set(err, DT_ERR_DENIED,
				  "unionId %s (%s): the directory does not say whether the person "
				  "has activated DingTalk (no 'active'): refused (require_active)",
				  who->union_id, who->nick);
	if (who->active == 0)
		return dt_err_set(err, DT_ERR_DENIED,
				  "unionId %s (%s) has not activated DingTalk in the organisation "
				  "(active = false in the directory): refused (require_active)",
				  who->union_id, who->nick);
	return 0;
}

int dt_directory_policy(const struct dt_modcfg *cfg, const struct dt_identity *who,
			struct dt_err *err)
{
	/* contact_type is set by every directory look-up, active only by an
	 * employee's. */
	if ((cfg->require_active || cfg->allowed_depts.set) && who->contact_type < 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "require_active and allowed_depts need directory = yes");
	if (cfg->require_active && activated(who, err) < 0)
		return -1;
	if (cfg->allowed_depts.set && !in_depts(&cfg->allowed_depts, who))
		return dt_err_set(
		    err, DT_ERR_DENIED, "unionId %s (%s) is in none of allowed_depts %s%s",
		    who->union_id, who->nick, cfg->text.allowed_depts,
		    who->contact_type == 1 ? " (an external contact is in no department)" : "");
	return 0;
}

static int user_exists(const char *name)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	return getpwnam_r(name, &pw, buf, sizeof(buf), &found) == 0 && found != NULL;
}

/* The user's own binding file, read with the user's rights, never root's
 * (as_user.h): 0 with *bound set, -1 with err set. */
static int read_binding(const struct dt_access *a, const char *union_id, int *bound,
			struct dt_err *err)
{
	struct dt_as_user as;
	int rc;

	*bound = 0;
	if (dt_as_user_enter(a->user, &as, err) < 0)
		return -1;
	rc = dt_userfile_match(as.pw.pw_dir, as.pw.pw_uid, union_id, bound, err);
	dt_as_user_leave(&as);
	return rc;
}

/* One source: 1 allows, 0 does not (why says so), -1 error. */
static int try_source(const struct dt_access *a, const struct dt_map_source *src,
		      const struct dt_identity *who, char *why, size_t size, struct dt_err *err)
{
	struct dt_map_result map;
	struct dt_err soft;
	char name[64];
	int bound = 0;

	dt_err_clear(&soft);
	switch (src->kind) {
	case DT_MAP_FILE:
		if (dt_map_match_file(a->cfg->map_file, who->union_id, a->user, &map, err) < 0)
			return -1;
		if (map.known && !map.allowed)
			snprintf(why, size, "is bound to '%s', not to '%s'", map.other_user,
				 a->user);
		else if (!map.allowed)
			snprintf(why, size, "is not in the map file %s", a->cfg->map_file);
		return map.allowed;
	case DT_MAP_USERFILE:
		if (read_binding(a, who->union_id, &bound, &soft) < 0)
			snprintf(why, size, "userfile: %.300s", soft.msg);
		else if (!bound)
			snprintf(why, size, "is not in %s's binding file", a->user);
		return bound;
	case DT_MAP_DIRECTORY:
		if (dt_directory_name(who, src->field, a->cfg->map_transform, &a->cfg->email_domain,
				      name, sizeof(name), &soft) < 0)
			return snprintf(why, size, "%.300s", soft.msg), 0;
		if (strcmp(name, a->user) != 0 || !user_exists(name))
			return snprintf(why, size, "directory:%s names '%s', not '%s'",
					dt_dir_field_name(src->field), name, a->user),
			       0;
		return 1;
	}
	return dt_err_set(err, DT_ERR_INTERNAL, "unknown map source");
}

int dt_access_check(const struct dt_access *a, const struct dt_identity *who, struct dt_err *err)
{
	const struct dt_map_spec *spec = &a->cfg->map;
	char why[400] = "", all[400] = "";
	size_t i, used = 0;
	int rc;

	if (dt_directory_policy(a->cfg, who, err) < 0)
		return -1;
	for (i = 0; i < spec->n; i++) {
		rc = try_source(a, &spec->src[i], who, why, sizeof(why), err);
		if (rc != 0)
			return rc > 0 ? 0 : -1;
		dt_logf(a->log, LOG_DEBUG, "unionId %s for %s: %s", who->union_id, a->user, why);
		if (used < sizeof(all))
			used += (size_t)snprintf(all + used, sizeof(all) - used, "%s%s",
						 i > 0 ? "; " : "", why);
	}
	return dt_err_set(err, DT_ERR_DENIED, "unionId %s (%s) %s", who->union_id, who->nick, all);
}
