#include "config.h"

#include "user_binding.h"

#include <pwd.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "access/userfile.h"

int pam_dt_read_binding(void *ctx, const char *user, const char *union_id, int *bound,
			struct dt_err *err)
{
	pam_handle_t *pamh = ctx;
/* Linux-PAM's macro initializes the saved ids with -1. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
	PAM_MODUTIL_DEF_PRIVS(privs);
#pragma GCC diagnostic pop
	struct passwd *pw = pam_modutil_getpwnam(pamh, user);
	int rc;

	*bound = 0;
	if (pw == NULL)
		return dt_err_set(err, DT_ERR_DENIED, "no such user '%s'", user);
	if (pam_modutil_drop_priv(pamh, &privs, pw) != PAM_SUCCESS)
		return dt_err_set(err, DT_ERR_DENIED, "cannot drop privileges to %s", user);
	rc = dt_userfile_match(pw->pw_dir, pw->pw_uid, union_id, bound, err);
	if (pam_modutil_regain_priv(pamh, &privs) != PAM_SUCCESS) {
		/* Fewer privileges, not more: later steps fail closed. */
		pam_syslog(pamh, LOG_CRIT, "cannot regain privileges after %s", DT_USERFILE_NAME);
		*bound = 0;
		return dt_err_set(err, DT_ERR_INTERNAL, "cannot regain privileges");
	}
	return rc;
}
