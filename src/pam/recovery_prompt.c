#include "config.h"

#include "recovery_prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "env_guard.h"
#include "login/messages.h"
#include "access/recovery_store.h"
#include "base/util.h"

/* The user holds codes and a trustworthy file says so. */
static int has_codes(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user)
{
	struct dt_err ferr;
	unsigned left = 0;

	dt_err_clear(&ferr);
	if (dt_recovery_left(cfg->recovery_file, user, &left, &ferr) < 0) {
		pam_syslog(pamh, LOG_ERR, "recovery codes not offered: %s", ferr.msg);
		return 0;
	}
	return left > 0;
}

static int check_code(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user,
		      const char *code, struct dt_err *err)
{
	char why[sizeof(err->msg)];
	struct dt_err ferr;
	unsigned left = 0;
	int accepted = 0;

	snprintf(why, sizeof(why), "%s", err->msg);
	dt_err_clear(&ferr);
	if (dt_recovery_use(cfg->recovery_file, user, code, &accepted, &left, &ferr) < 0) {
		pam_syslog(pamh, LOG_ERR, "recovery code not checked: %s", ferr.msg);
		return -1;
	}
	if (!accepted) {
		pam_syslog(pamh, LOG_WARNING, "wrong recovery code for %s", user);
		dt_err_set(err, DT_ERR_DENIED,
			   "wrong recovery code while DingTalk was unreachable");
		return PAM_AUTH_ERR;
	}
	pam_syslog(pamh, LOG_WARNING,
		   "recovery code used by %s (%u left) because DingTalk was unreachable: %s", user,
		   left, why);
	dt_err_set(err, DT_OK, "recovery code used (%u left); unreachable: %.300s", left, why);
	return PAM_SUCCESS;
}

int pam_dt_offer_recovery(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user,
			  enum dt_lang lang, struct dt_err *err)
{
	char *code = NULL;
	int rc;

	if (!cfg->recovery || !has_codes(pamh, cfg, user))
		return -1;
	rc = pam_dt_conv_prompt(pamh, PAM_PROMPT_ECHO_OFF, &code, dt_msg(lang, DT_MSG_RECOVERY));
	if (rc != PAM_SUCCESS) {
		dt_free_secret(code);
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_CONV_ERR;
	}
	if (code == NULL || code[0] == '\0') {
		dt_free_secret(code);
		return -1;
	}
	rc = check_code(pamh, cfg, user, code, err);
	dt_free_secret(code);
	return rc;
}
