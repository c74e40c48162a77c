/* Break-glass: while DingTalk or the helper cannot be reached, a user who
 * holds recovery codes may type one instead. */
#ifndef PAM_DT_RECOVERY_PROMPT_H
#define PAM_DT_RECOVERY_PROMPT_H

#include <security/pam_modules.h>

#include "base/err.h"
#include "conf/modcfg.h"

/* Called only after the login failed with DT_ERR_UNAVAIL (err says why).
 * Returns PAM_SUCCESS for a valid code (spent, logged at LOG_WARNING),
 * PAM_AUTH_ERR for a wrong one, PAM_CONV_ERR/PAM_INCOMPLETE when the
 * conversation fails, or -1 when no code was offered or typed: the
 * caller keeps its answer. err's message tells the audit line what
 * happened. */
int pam_dt_offer_recovery(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user,
			  enum dt_lang lang, struct dt_err *err);

#endif
