/* pam_dingtalk: log in by scanning a QR code with DingTalk.
 *
 * This file only orchestrates: read the configuration, find out who and
 * where, hand the login to libdtcore, and turn its outcome into a PAM code
 * in one place (pam_code_for). */
#include "config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "err.h"
#include "log.h"
#include "login.h"
#include "modcfg.h"

/* The build hides every symbol; these two are the module's interface. */
#define DT_EXPORT __attribute__((visibility("default")))

struct conv_state {
	pam_handle_t *pamh;
	int last_pam_rc; /* of the last conversation, to tell PAM_CONV_AGAIN apart */
};

static void log_to_pam(void *ctx, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)ctx, priority, "%s", msg);
}

static int show_info(void *ctx, const char *text, struct dt_err *err)
{
	struct conv_state *cs = ctx;

	cs->last_pam_rc = pam_info(cs->pamh, "%s", text);
	if (cs->last_pam_rc != PAM_SUCCESS)
		return dt_err_set(err, DT_ERR_CONV, "the PAM conversation failed: %s",
				  pam_strerror(cs->pamh, cs->last_pam_rc));
	return 0;
}

/* The single place where outcomes become PAM codes (DESIGN.md's table). */
static int pam_code_for(enum dt_err_kind kind, int conv_rc)
{
	switch (kind) {
	case DT_OK:
		return PAM_SUCCESS;
	case DT_ERR_DENIED:
	case DT_ERR_TIMEOUT:
		return PAM_AUTH_ERR;
	case DT_ERR_UNAVAIL:
		return PAM_AUTHINFO_UNAVAIL;
	case DT_ERR_NOUSER:
		return PAM_USER_UNKNOWN;
	case DT_ERR_NOMEM:
		return PAM_BUF_ERR;
	case DT_ERR_CONV:
		return conv_rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_CONV_ERR;
	case DT_ERR_CONFIG:
	case DT_ERR_INTERNAL:
		break;
	}
	return PAM_SERVICE_ERR;
}

static const char *pam_item_string(pam_handle_t *pamh, int item)
{
	const void *value = NULL;

	if (pam_get_item(pamh, item, &value) != PAM_SUCCESS)
		return NULL;
	return value;
}

static int have_conversation(pam_handle_t *pamh)
{
	const void *item = NULL;

	return pam_get_item(pamh, PAM_CONV, &item) == PAM_SUCCESS && item != NULL &&
	       ((const struct pam_conv *)item)->conv != NULL;
}

static int local_user_exists(const char *user)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	return getpwnam_r(user, &pw, buf, sizeof(buf), &found) == 0 && found != NULL;
}

/* Checks what must hold before anyone is shown a QR code. */
static int check_preconditions(pam_handle_t *pamh, const char *user, struct dt_err *err)
{
	if (!local_user_exists(user))
		return dt_err_set(err, DT_ERR_NOUSER, "user '%s' does not exist here", user);
	if (!have_conversation(pamh))
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "no PAM conversation: cannot show a QR code (non-interactive)");
	return 0;
}

static void log_result(pam_handle_t *pamh, int pam_rc, const char *user,
		       const struct dt_login_outcome *out, const struct dt_err *err)
{
	const char *union_id = out->who.union_id != NULL ? out->who.union_id : "-";
	const char *session = out->session_id[0] != '\0' ? out->session_id : "-";

	if (pam_rc == PAM_SUCCESS)
		pam_syslog(pamh, LOG_NOTICE, "user %s: approved by unionId %s (%s), session %s",
			   user, union_id, out->who.nick != NULL ? out->who.nick : "", session);
	else
		pam_syslog(pamh, pam_rc == PAM_AUTH_ERR ? LOG_NOTICE : LOG_ERR,
			   "user %s: %s (%s), session %s", user, pam_strerror(pamh, pam_rc),
			   err->msg, session);
}

DT_EXPORT PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
					     const char **argv)
{
	struct conv_state cs = {pamh, PAM_SUCCESS};
	struct dt_login_ui ui = {show_info, &cs};
	struct dt_log log = {log_to_pam, pamh, 0};
	struct dt_login_outcome out;
	struct dt_login_request req;
	struct dt_modcfg cfg;
	struct dt_err err;
	const char *user = NULL;
	int rc;

	(void)flags;
	memset(&out, 0, sizeof(out));
	dt_err_clear(&err);
	if (dt_modcfg_load(&cfg, argc, argv, &err) < 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err.msg);
		rc = pam_code_for(err.kind, PAM_SUCCESS);
		goto done;
	}
	log.debug = cfg.debug;
	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS || user == NULL || user[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user: %s", pam_strerror(pamh, rc));
		rc = rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_USER_UNKNOWN;
		goto done;
	}
	req.user = user;
	req.service = pam_item_string(pamh, PAM_SERVICE);
	req.rhost = pam_item_string(pamh, PAM_RHOST);
	req.tty = pam_item_string(pamh, PAM_TTY);
	if (req.service == NULL)
		req.service = "unknown";
	if (check_preconditions(pamh, user, &err) == 0)
		dt_login_run(&cfg, &req, &ui, &log, &out, &err);
	rc = pam_code_for(err.kind, cs.last_pam_rc);
	log_result(pamh, rc, user, &out, &err);
done:
	dt_login_outcome_free(&out);
	dt_modcfg_free(&cfg);
	return rc;
}

DT_EXPORT PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
