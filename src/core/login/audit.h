/* The audit record: one line per login attempt, as key=value text or one
 * JSON object (audit = json). It holds who, from where, the outcome and why
 * -- never a secret, code, token or state: nothing that is one reaches the
 * struct. */
#ifndef DT_AUDIT_H
#define DT_AUDIT_H

#include "conf/types.h"

/* Each value is bounded and stripped of control characters on output. */
#define DT_AUDIT_VALUE_MAX 600

struct dt_audit {
	/* success | denied | refused ("Not me" on the phone) | ignored |
	 * unavailable | unknown_user | error */
	const char *result;
	const char *pam_code; /* "PAM_SUCCESS", ... */
	const char *user;
	const char *union_id;
	const char *nick;
	const char *rhost;
	const char *service;
	const char *tty;
	const char *session; /* the helper's session id, not the state */
	/* How a login without approval ended (dt_login_end_name): not_me,
	 * wrong_number, denied, timeout; NULL otherwise. */
	const char *cause;
	long long elapsed_ms;
	const char *reason;
};

/* The record as one line (malloc'd, no newline), or NULL when out of
 * memory. Text: `audit: result=... elapsed_ms=N reason: free text`, values
 * with spaces or quotes in double quotes, absent values "-". JSON: the
 * same keys, absent values null. */
char *dt_audit_format(const struct dt_audit *a, enum dt_audit_format format);

#endif
