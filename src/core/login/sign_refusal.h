/* What a fleet service's 401 or 403 to a signed request means for the
 * administrator of this host: the error_code the service names (its
 * signature check, docs/control-api.md "Signed requests") and what to
 * do about it. Never the person's doing, so never a refusal: the service
 * cannot serve this host until its configuration is fixed. */
#ifndef DT_SIGN_REFUSAL_H
#define DT_SIGN_REFUSAL_H

#include "base/err.h"
#include "base/http.h"

/* Sets err to DT_ERR_UNAVAIL: "<where>: the service refused this host's
 * signed request (HTTP 401, error_code stale): <advice> (the service
 * says: ...)". `host` is the name this host registers (gethostname()),
 * named for host_mismatch. Returns -1. */
int dt_sign_refusal(const struct dt_http_response *resp, const char *where, const char *host,
		    struct dt_err *err);

/* The advice for one error_code; a generic line for a code this module
 * does not know. */
const char *dt_sign_refusal_advice(const char *error_code);

#endif
