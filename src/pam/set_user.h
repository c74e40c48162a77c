/* set_user: a console login where nobody typed a name. After DingTalk has
 * named the person, the one local account that identity serves becomes
 * PAM_USER, once it has passed every check a typed name would. */
#ifndef PAM_DT_SET_USER_H
#define PAM_DT_SET_USER_H

#include <stddef.h>

#include <security/pam_modules.h>

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/modcfg.h"

/* Whether this attempt is one for set_user: it is on, and the
 * application has not named a user. */
int pam_dt_wants_set_user(pam_handle_t *pamh, const struct dt_modcfg *cfg);

/* Finds the account, checks it and sets PAM_USER. `chosen` receives the
 * account looked at (for the audit line, also when refused). Returns 1
 * with PAM_USER set; 0 when the account is out of scope (PAM_IGNORE, err
 * says why, PAM_USER untouched); -1 with err set (DT_ERR_DENIED for none,
 * several or a refusal; DT_ERR_CONFIG for a broken map ...). */
int pam_dt_adopt_account(pam_handle_t *pamh, const struct dt_modcfg *cfg, const struct dt_log *log,
			 const struct dt_identity *who, char *chosen, size_t size,
			 struct dt_err *err);

#endif
