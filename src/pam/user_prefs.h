/* The person's remembered QR rendering, read and written as that person
 * (base/as_user.h), never as root. */
#ifndef PAM_DT_USER_PREFS_H
#define PAM_DT_USER_PREFS_H

#include <security/pam_modules.h>

#include "conf/types.h"

/* Returns the remembered style, or `fallback` when there is none. */
enum dt_qr_style pam_dt_load_style(pam_handle_t *pamh, const char *user, enum dt_qr_style fallback);

/* Best effort: a failure is logged, the login goes on. Only for a login
 * that has succeeded: a stranger at the prompt must not make root write
 * (and fsync) someone's home. */
void pam_dt_save_style(pam_handle_t *pamh, const char *user, enum dt_qr_style style);

#endif
