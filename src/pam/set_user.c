#include "config.h"

#include "set_user.h"

#include <stdio.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "access/accounts.h"
#include "access/login_policy.h"
#include "access/scope.h"

int pam_dt_wants_set_user(pam_handle_t *pamh, const struct dt_modcfg *cfg)
{
	const void *user = NULL;

	if (!cfg->set_user)
		return 0;
	/* A name given by the application, or by a module above, wins. */
	if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS)
		return 0;
	return user == NULL || ((const char *)user)[0] == '\0';
}

static int exists(void *ctx, const char *user)
{
	(void)ctx;
	return dt_local_uid(user) >= 0;
}

/* The account passes what a typed name must pass, and the identity must
 * still be allowed in as it by dt_access_check (the directory rules and the
 * sources once more, now for this account). */
static int check_chosen(const struct dt_modcfg *cfg, const struct dt_log *log,
			const struct dt_identity *who, const char *user, struct dt_err *err)
{
	struct dt_access access = {.cfg = cfg, .user = user, .log = log};
	int go = dt_scope_check_account(cfg, user, err);

	if (go <= 0)
		return go;
	return dt_access_check(&access, who, err) < 0 ? -1 : 1;
}

int pam_dt_adopt_account(pam_handle_t *pamh, const struct dt_modcfg *cfg, const struct dt_log *log,
			 const struct dt_identity *who, char *chosen, size_t size,
			 struct dt_err *err)
{
	struct dt_accounts_query q = {.cfg = cfg, .exists = exists, .ctx = NULL, .log = log};
	struct dt_accounts accounts;
	const char *user;
	int rc;

	chosen[0] = '\0';
	if (dt_accounts_for(&q, who, &accounts, err) < 0)
		return -1;
	user = dt_accounts_single(&accounts, who, err);
	if (user == NULL)
		return -1;
	snprintf(chosen, size, "%s", user);
	rc = check_chosen(cfg, log, who, user, err);
	if (rc <= 0)
		return rc;
	rc = pam_set_item(pamh, PAM_USER, user);
	if (rc != PAM_SUCCESS)
		return dt_err_set(err, rc == PAM_BUF_ERR ? DT_ERR_NOMEM : DT_ERR_INTERNAL,
				  "set_user: cannot set PAM_USER to %s: %s", user,
				  pam_strerror(pamh, rc));
	pam_syslog(pamh, LOG_NOTICE, "set_user: unionId %s serves one account here: PAM_USER=%s",
		   who->union_id, user);
	return 1;
}
