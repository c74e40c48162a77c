#include "config.h"

#include "user_prefs.h"

#include <pwd.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "base/err.h"
#include "login/prefs.h"

enum prefs_op { PREFS_LOAD, PREFS_SAVE };

/* Runs one preference operation with the user's own privileges. */
static int as_user(pam_handle_t *pamh, const char *user, enum prefs_op op, enum dt_qr_style *style)
{
/* Linux-PAM's macro initializes the saved ids with -1. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
	PAM_MODUTIL_DEF_PRIVS(privs);
#pragma GCC diagnostic pop
	struct passwd *pw = pam_modutil_getpwnam(pamh, user);
	struct dt_err err;
	int rc;

	if (pw == NULL)
		return -1;
	if (pam_modutil_drop_priv(pamh, &privs, pw) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_WARNING, "cannot drop privileges to %s for %s", user,
			   DT_PREFS_FILE);
		return -1;
	}
	dt_err_clear(&err);
	if (op == PREFS_LOAD)
		rc = dt_prefs_read(pw->pw_dir, pw->pw_uid, style, &err);
	else
		rc = dt_prefs_write(pw->pw_dir, *style, &err);
	if (pam_modutil_regain_priv(pamh, &privs) != PAM_SUCCESS) {
		/* Fewer privileges, not more: later steps fail closed. */
		pam_syslog(pamh, LOG_CRIT, "cannot regain privileges after %s", DT_PREFS_FILE);
		return -1;
	}
	if (rc < 0)
		pam_syslog(pamh, LOG_NOTICE, "%s", err.msg);
	return rc;
}

enum dt_qr_style pam_dt_load_style(pam_handle_t *pamh, const char *user, enum dt_qr_style fallback)
{
	enum dt_qr_style style = fallback;

	return as_user(pamh, user, PREFS_LOAD, &style) == 1 ? style : fallback;
}

void pam_dt_save_style(pam_handle_t *pamh, const char *user, enum dt_qr_style style)
{
	as_user(pamh, user, PREFS_SAVE, &style);
}
