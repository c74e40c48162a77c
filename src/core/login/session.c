#include "config.h"

#include "login/session.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include "base/util.h"
#include "proto/control_api.h"

int dt_session_new(struct dt_session *s, struct dt_err *err)
{
	if (dt_random_token(s->state, sizeof(s->state), DT_STATE_BYTES) < 0 ||
	    dt_random_range(10, 99, &s->number) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the random number generator failed");
	return 0;
}

void dt_session_wipe(struct dt_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Flow A: scope openid, or "openid corpid" with corp_id so that the token
 * answer names the organisation (checked in dingtalk.c); corpId pre-selects
 * it on the phone. */
static char *oauth2_url(const struct dt_modcfg *cfg, const char *client_id, const char *state)
{
	char *corp, *url;

	if (cfg->corp_id == NULL)
		return dt_asprintf("%s/oauth2/auth?response_type=code&client_id=%s&scope=openid"
				   "&state=%s&prompt=consent",
				   cfg->login_base, client_id, state);
	corp = dt_urlencode(cfg->corp_id);
	if (corp == NULL)
		return NULL;
	url = dt_asprintf("%s/oauth2/auth?response_type=code&client_id=%s&scope=openid%%20corpid"
			  "&corpId=%s&state=%s&prompt=consent",
			  cfg->login_base, client_id, corp, state);
	free(corp);
	return url;
}

char *dt_authorize_url(const struct dt_modcfg *cfg, const struct dt_session *s, struct dt_err *err)
{
	char *client_id;
	char *url = NULL;

	/* Flow C: the helper's own page inside DingTalk asks the JSAPI for a
	 * code (docs/control-api.md, the dingtalk-inapp pseudo-URL). */
	if (cfg->flow == DT_FLOW_INAPP) {
		if (!dt_is_token(cfg->corp_id, 1, 64)) {
			dt_err_set(
			    err, DT_ERR_CONFIG,
			    "corp_id: '%s' is not a DingTalk corpId (letters, digits, - and _)",
			    cfg->corp_id != NULL ? cfg->corp_id : "");
			return NULL;
		}
		if (!dt_is_token(cfg->client_id, 1, 64)) {
			dt_err_set(err, DT_ERR_CONFIG,
				   "client_id: '%s' is not a DingTalk AppKey (letters, digits, - "
				   "and _); flow = inapp hands it to the page inside DingTalk",
				   cfg->client_id != NULL ? cfg->client_id : "");
			return NULL;
		}
		url = dt_asprintf(DT_CONTROL_INAPP_PREFIX "%s" DT_CONTROL_INAPP_STATE_PARAM
							  "%s" DT_CONTROL_INAPP_CLIENT_PARAM "%s",
				  cfg->corp_id, s->state, cfg->client_id);
		if (url == NULL)
			dt_err_oom(err);
		return url;
	}
	client_id = dt_urlencode(cfg->client_id);
	if (client_id != NULL && cfg->flow == DT_FLOW_SNS)
		/* Flow B: the legacy QR page; the redirect carries code and state. */
		url = dt_asprintf("%s/connect/qrconnect?appid=%s&response_type=code"
				  "&scope=snsapi_login&state=%s",
				  cfg->oapi_base, client_id, s->state);
	else if (client_id != NULL)
		url = oauth2_url(cfg, client_id, s->state);
	free(client_id);
	if (url == NULL)
		dt_err_oom(err);
	return url;
}
