/* What a fleet service's 401 or 403 to a signed request means for the
 * administrator of this host: the error_code the service names (its
 * signature check, docs/control-api.md "Signed requests") and what to
 * do about it. A refusal, never "unavailable": the service answered, and
 * it refuses this host's credentials. Under failmode = safe an outage lets
 * people past this module; a service that refuses this host must not:
 * whoever can bring the refusal about (a clock pushed out of the window,
 * a key removed too early in a rotation) must not open that door. So the
 * login fails closed (PAM_AUTH_ERR) until the configuration is fixed,
 * like a Unix socket whose listener fails the peer check. */
#ifndef DT_SIGN_REFUSAL_H
#define DT_SIGN_REFUSAL_H

#include "base/err.h"
#include "base/http.h"

/* Sets err to DT_ERR_DENIED: "<where>: the service refused this host's
 * signed request (HTTP 401, error_code stale): <advice> (the service
 * says: ...)". `host` is the name this host registers (gethostname()),
 * named for host_mismatch. Returns -1. */
int dt_sign_refusal(const struct dt_http_response *resp, const char *where, const char *host,
		    struct dt_err *err);

/* The advice for one error_code; a generic line for a code this module
 * does not know. */
const char *dt_sign_refusal_advice(const char *error_code);

#endif
