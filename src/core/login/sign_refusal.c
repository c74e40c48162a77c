#include "config.h"

#include "login/sign_refusal.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/util.h"
#include "proto/control_api.h"

/* The error_code values of the service's signature check
 * (proto/control_api.h) and the one thing to check for each. */
static const struct {
	const char *code, *advice;
} advice[] = {
    {DT_CONTROL_SIGN_MISSING,
     "a signature header did not arrive: a proxy between this host and the "
     "service may drop X-DT-* headers"},
    {DT_CONTROL_SIGN_MALFORMED,
     "a signature header was not understood: are this module and the service "
     "of matching versions?"},
    {DT_CONTROL_SIGN_UNKNOWN_KEY,
     "the service does not know this host's key id: add this host's key "
     "(helper_key_file) to the service's host_keys, or install the key the "
     "service has for this host"},
    {DT_CONTROL_SIGN_STALE, "this host's clock and the service's differ by more than the service's "
			    "control_skew: check this host's clock and NTP"},
    {DT_CONTROL_SIGN_BAD_SIGNATURE,
     "the secret in helper_key_file does not match the service's host_keys "
     "for this key id: install the current key on this host"},
    {DT_CONTROL_SIGN_REPLAY,
     "the service has seen this request's nonce before: a copy of the request "
     "was replayed, or the service's replicas do not share one store"},
    {DT_CONTROL_HOST_MISMATCH,
     "the key belongs to another host name: the module registers this "
     "host's gethostname(); give the key this host's name in host_keys or "
     "install this host's own key"},
};

const char *dt_sign_refusal_advice(const char *error_code)
{
	size_t i;

	for (i = 0; error_code != NULL && i < sizeof(advice) / sizeof(advice[0]); i++)
		if (strcmp(error_code, advice[i].code) == 0)
			return advice[i].advice;
	return "the service refused this host: check its host_keys entry for this host and "
	       "the service's log";
}

int dt_sign_refusal(const struct dt_http_response *resp, const char *where, const char *host,
		    struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(resp->body, resp->len);
	const char *code = obj != NULL ? dt_json_string(obj, "error_code") : NULL;
	const char *said = obj != NULL ? dt_json_string(obj, "error") : NULL;
	char shown_code[32], shown_said[160];

	snprintf(shown_code, sizeof(shown_code), "%s", code != NULL ? code : "none");
	snprintf(shown_said, sizeof(shown_said), "%s", said != NULL ? said : "no reason given");
	dt_sanitize_text(shown_code);
	dt_sanitize_text(shown_said);
	dt_err_set(
	    err, DT_ERR_DENIED,
	    "%s: the service refused this host's signed request (HTTP %ld, error_code "
	    "%s): %s%s%s (the service says: %s)",
	    where, resp->status, shown_code, dt_sign_refusal_advice(code),
	    code != NULL && strcmp(code, DT_CONTROL_HOST_MISMATCH) == 0 ? "; this host is " : "",
	    code != NULL && strcmp(code, DT_CONTROL_HOST_MISMATCH) == 0 ? host : "", shown_said);
	json_object_put(obj);
	return -1;
}
