#include "config.h"

#include "user_prefs.h"

#include <syslog.h>

#include <security/pam_ext.h>

#include "base/as_user.h"
#include "base/err.h"
#include "login/prefs.h"

enum prefs_op { PREFS_LOAD, PREFS_SAVE };

/* Runs one preference operation with the user's own privileges. */
static int as_user(pam_handle_t *pamh, const char *user, enum prefs_op op, enum dt_qr_style *style)
{
	struct dt_as_user as;
	struct dt_err err;
	int rc;

	dt_err_clear(&err);
	if (dt_as_user_enter(user, &as, &err) < 0) {
		pam_syslog(pamh, LOG_WARNING, "%s for %s", err.msg, DT_PREFS_FILE);
		return -1;
	}
	if (op == PREFS_LOAD)
		rc = dt_prefs_read(as.pw.pw_dir, as.pw.pw_uid, style, &err);
	else
		rc = dt_prefs_write(as.pw.pw_dir, *style, &err);
	dt_as_user_leave(&as);
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
