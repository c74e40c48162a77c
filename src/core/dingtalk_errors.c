#include "config.h"

/* What each DingTalk error means for the administrator. */
#include <stdio.h>
#include <string.h>

#include "dingtalk.h"
#include "json.h"
#include "util.h"

struct error_advice {
	const char *code;
	enum dt_err_kind kind;
	const char *advice;
};

static const struct error_advice v1_errors[] = {
    {"invalidParameter.authCode.notFound", DT_ERR_DENIED,
     "the authorization code is unknown, used or expired: scan again"},
    {"invalidCode", DT_ERR_DENIED,
     "the authorization code is unknown, used or expired: scan again"},
    {"invalidClientIdOrSecret", DT_ERR_UNAVAIL,
     "the AppKey or AppSecret is wrong: check client_id and client_secret for pasted spaces or "
     "a wrong app"},
    {"Forbidden.AccessDenied.IpNotInWhiteList", DT_ERR_UNAVAIL,
     "this host's egress IP is not in the app's server IP whitelist: add it in the developer "
     "console"},
    {"Forbidden.AccessDenied.AccessTokenPermissionDenied", DT_ERR_UNAVAIL,
     "the app lacks an API permission: grant it under API permissions in the developer console"},
    {"InvalidAuthentication", DT_ERR_UNAVAIL, "the access token was refused"},
    {"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", DT_ERR_UNAVAIL,
     "DingTalk is throttling this app: retry later"},
    {"Forbidden.AccessDenied.QpsLimitForApi", DT_ERR_UNAVAIL,
     "DingTalk is throttling this API: retry later"},
    {NULL, DT_ERR_UNAVAIL, NULL},
};

static const struct error_advice *find_advice(const char *code)
{
	const struct error_advice *e;

	for (e = v1_errors; e->code != NULL; e++)
		if (strcmp(e->code, code) == 0)
			return e;
	return e;
}

/* Copies server text for a log line: bounded and without control characters. */
static void copy_shown(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text != NULL ? text : "");
	dt_sanitize_text(out);
}

int dt_dingtalk_v1_error(const char *api, long status, const char *body, size_t len,
			 struct dt_err *err)
{
	json_object *obj = dt_json_parse_object(body, len);
	const struct error_advice *e;
	char code[128], message[200];

	if (obj == NULL || dt_json_string(obj, "code") == NULL) {
		json_object_put(obj);
		return dt_err_set(
		    err, DT_ERR_UNAVAIL, "DingTalk %s: HTTP %ld without a DingTalk error body%s",
		    api, status, status >= 500 ? ": DingTalk is failing, retry later" : "");
	}
	copy_shown(code, sizeof(code), dt_json_string(obj, "code"));
	copy_shown(message, sizeof(message), dt_json_string(obj, "message"));
	json_object_put(obj);
	e = find_advice(code);
	return dt_err_set(err, e->kind, "DingTalk %s: HTTP %ld %s (\"%s\"): %s", api, status, code,
			  message,
			  e->advice != NULL ? e->advice : "see DingTalk's error code list");
}
