#include "config.h"

#include "audit_log.h"

#include <stdlib.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "base/clock.h"
#include "login/audit.h"
#include "base/util.h"

/* "PAM_SUCCESS" and so on. */
static const char *pam_dt_code_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_AUTHINFO_UNAVAIL:
		return "PAM_AUTHINFO_UNAVAIL";
	case PAM_IGNORE:
		return "PAM_IGNORE";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_MAXTRIES:
		return "PAM_MAXTRIES";
	case PAM_BUF_ERR:
		return "PAM_BUF_ERR";
	case PAM_CONV_ERR:
		return "PAM_CONV_ERR";
	case PAM_INCOMPLETE:
		return "PAM_INCOMPLETE";
	default:
		return "PAM_SYSTEM_ERR";
	}
}

/* "Not me" tapped on the phone: the person DingTalk named did not start
 * this login, so someone else did, with this account's password or a
 * session of theirs. A result of its own, at LOG_WARNING, so that it
 * stands out among ordinary refusals. */
static int refused_by_person(int rc, const struct dt_login_outcome *out)
{
	return rc == PAM_AUTH_ERR && out->ended == DT_END_NOT_ME;
}

static const char *result_word(int rc, const struct dt_login_outcome *out)
{
	if (refused_by_person(rc, out))
		return "refused";
	switch (rc) {
	case PAM_SUCCESS:
		return "success";
	case PAM_AUTH_ERR:
	case PAM_MAXTRIES:
		return "denied";
	case PAM_IGNORE:
		return "ignored";
	case PAM_AUTHINFO_UNAVAIL:
		return "unavailable";
	case PAM_USER_UNKNOWN:
		return "unknown_user";
	default:
		return "error";
	}
}

static int priority_of(const struct pam_dt_attempt *at, int rc, const struct dt_login_outcome *out)
{
	if (at->degraded || refused_by_person(rc, out))
		return LOG_WARNING;
	switch (rc) {
	case PAM_SUCCESS:
	case PAM_AUTH_ERR:
	case PAM_MAXTRIES:
	case PAM_USER_UNKNOWN:
		return LOG_NOTICE;
	case PAM_IGNORE:
		return LOG_INFO;
	default:
		return LOG_ERR;
	}
}

static const char *item(pam_handle_t *pamh, int which)
{
	const void *value = NULL;

	if (pam_get_item(pamh, which, &value) != PAM_SUCCESS)
		return NULL;
	return value;
}

void pam_dt_audit(pam_handle_t *pamh, const struct pam_dt_attempt *at, int rc,
		  const struct dt_login_outcome *out, const struct dt_err *err)
{
	struct dt_audit a;
	char *line;

	a.result = result_word(rc, out);
	a.pam_code = pam_dt_code_name(rc);
	a.user = at->user;
	a.union_id = out->who.union_id;
	a.nick = out->who.nick;
	a.rhost = item(pamh, PAM_RHOST);
	a.service = item(pamh, PAM_SERVICE);
	a.tty = item(pamh, PAM_TTY);
	a.session = out->session_id[0] != '\0' ? out->session_id : NULL;
	/* Only with the code it explains: a failmode or a later check may
	 * have changed what the login's end means. */
	a.cause = rc == PAM_AUTH_ERR ? dt_login_end_name(out->ended) : NULL;
	a.elapsed_ms = (long long)(dt_now_ms() - at->start_ms);
	a.reason = err->msg[0] != '\0' ? err->msg : NULL;
	line = dt_audit_format(&a, at->format);
	if (line == NULL) {
		pam_syslog(pamh, LOG_ERR, "audit: %s; %s for %s", DT_OOM_TEXT, a.pam_code,
			   at->user != NULL ? at->user : "-");
		return;
	}
	pam_syslog(pamh, priority_of(at, rc, out), "%s", line);
	free(line);
}
