#include "config.h"

#include "account_checks.h"

#include <pwd.h>

#include "access/scope.h"

long pam_dt_local_uid(const char *user)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return -1;
	return (long)found->pw_uid;
}

int pam_dt_check_account(const struct dt_modcfg *cfg, const char *user, struct dt_err *err)
{
	const char *why = NULL;
	long uid = pam_dt_local_uid(user);

	if (uid < 0)
		return dt_err_set(err, DT_ERR_NOUSER, "user '%s' does not exist here", user);
	if (!dt_policy_in_scope(&cfg->only_groups, &cfg->skip_groups, user, dt_user_in_group, NULL,
				&why)) {
		dt_err_set(err, DT_OK, "user %s is out of scope (%s)", user, why);
		return 0;
	}
	if (dt_policy_check_root(cfg->allow_root, user, uid, err) < 0)
		return -1;
	return 1;
}
