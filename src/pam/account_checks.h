/* What must hold for a local account before anyone logs in as it through
 * DingTalk: it exists, it is in the module's scope (only_groups,
 * skip_groups) and it may be logged into here (allow_root). The same rules
 * for a typed name and for the account set_user found. */
#ifndef PAM_DT_ACCOUNT_CHECKS_H
#define PAM_DT_ACCOUNT_CHECKS_H

#include "base/err.h"
#include "conf/modcfg.h"

/* The uid of a local user, or -1 if there is no such user. */
long pam_dt_local_uid(const char *user);

/* Returns 1 to go on, 0 when the account is out of scope (err carries
 * the reason with DT_OK: PAM_IGNORE), -1 with err set (DT_ERR_NOUSER,
 * DT_ERR_DENIED). */
int pam_dt_check_account(const struct dt_modcfg *cfg, const char *user, struct dt_err *err);

#endif
