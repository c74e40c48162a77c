/* The one audit line per attempt (authpriv, through pam_syslog). */
#ifndef PAM_DT_AUDIT_LOG_H
#define PAM_DT_AUDIT_LOG_H

#include <stdint.h>

#include <security/pam_modules.h>

#include "base/err.h"
#include "login/login.h"
#include "conf/modcfg.h"

struct pam_dt_attempt {
	int64_t start_ms;
	const char *user; /* PAM_USER, or NULL before it is known */
	enum dt_audit_format format;
	int degraded; /* failmode = safe turned an error into PAM_IGNORE */
};

/* Logs `rc` with who, from where, the identity (if any) and the reason. */
void pam_dt_audit(pam_handle_t *pamh, const struct pam_dt_attempt *at, int rc,
		  const struct dt_login_outcome *out, const struct dt_err *err);

#endif
