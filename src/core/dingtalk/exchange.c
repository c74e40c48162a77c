#include "config.h"

#include "dingtalk/exchange.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dingtalk/api.h"
#include "dingtalk/apptoken.h"
#include "dingtalk/directory.h"
#include "dingtalk/ipban_share.h"
#include "base/clock.h"
#include "base/json.h"
#include "dingtalk/sign.h"
#include "base/util.h"

#define TOKEN_HEADER "x-acs-dingtalk-access-token: "

/* A JSON body from key/value string pairs (NULL-terminated); wiped after
 * use since values may be secrets. */
static char *json_body(const char *const *kv)
{
	json_object *o = json_object_new_object();
	char *out = NULL;
	int ok = o != NULL;

	for (; ok && kv[0] != NULL; kv += 2)
		ok = json_object_object_add(o, kv[0], json_object_new_string(kv[1])) == 0;
	if (ok)
		out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	dt_json_wipe_put(o);
	return out;
}

static int nomem(struct dt_err *err)
{
	return dt_err_oom(err);
}

/* Equal lengths and equal bytes, in time independent of where they differ. */
static int same_text(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* With corp_id, the person must have chosen that organisation on the phone:
 * the token answer carries corpId only with the corpid scope. */
static int check_corp(const struct dt_modcfg *cfg, json_object *answer, struct dt_identity *out,
		      struct dt_err *err)
{
	if (dt_identity_field(answer, "userAccessToken", "corpId", 128, 0, &out->corp_id, err) < 0)
		return -1;
	if (cfg->corp_id == NULL)
		return 0;
	if (out->corp_id == NULL)
		return dt_err_set(err, DT_ERR_DENIED,
				  "DingTalk userAccessToken: no corpId in the answer, so the "
				  "organisation cannot be checked against corp_id %s: refused",
				  cfg->corp_id);
	if (!same_text(out->corp_id, cfg->corp_id))
		return dt_err_set(err, DT_ERR_DENIED,
				  "the person logged in through organisation %s, not corp_id %s: "
				  "refused",
				  out->corp_id, cfg->corp_id);
	return 0;
}

/* POST /v1.0/oauth2/userAccessToken: returns the user's access token. */
static char *fetch_user_token(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			      int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	const char *kv[] = {"clientId", cfg->client_id, "clientSecret", cfg->client_secret,
			    "code",	code,		"grantType",	"authorization_code",
			    NULL};
	struct dt_api_call c = {.name = "userAccessToken",
				.method = "POST",
				.url = NULL,
				.headers = NULL,
				.body = NULL,
				.envelope = DT_ENV_V1,
				.single_use = 1,
				.names_person = 0,
				.permission_proven = 0,
				.signed_at_ms = 0};
	char *body = json_body(kv), *url, *token = NULL;
	json_object *answer = NULL;
	const char *t;

	url = dt_asprintf("%s/v1.0/oauth2/userAccessToken", cfg->api_base);
	c.url = url;
	c.body = body;
	if (body == NULL || url == NULL)
		nomem(err);
	else
		answer = dt_api_call(h, &c, deadline_ms, NULL, err);
	dt_free_secret(body);
	free(url);
	if (answer == NULL)
		return NULL;
	t = dt_json_string(answer, "accessToken");
	if (t == NULL || t[0] == '\0' || strlen(t) > 1024 || !dt_is_printable_id(t))
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk userAccessToken: HTTP 200 without a usable accessToken");
	else if (check_corp(cfg, answer, out, err) == 0 && (token = strdup(t)) == NULL)
		nomem(err);
	dt_json_wipe_put(answer);
	return token;
}

/* A person's unionId and nick from `obj` under the given names. */
static int read_person(json_object *obj, const char *api, const char *union_key,
		       const char *nick_key, struct dt_identity *out, struct dt_err *err)
{
	if (dt_identity_field(obj, api, union_key, 128, 1, &out->union_id, err) < 0 ||
	    dt_identity_field(obj, api, nick_key, 128, 0, &out->nick, err) < 0)
		return -1;
	if (!dt_is_printable_id(out->union_id))
		return dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: the %s is not usable", api,
				  union_key);
	if (out->nick == NULL && (out->nick = strdup("")) == NULL)
		return nomem(err);
	return 0;
}

/* GET /v1.0/contact/users/me with the token in its header, the only place
 * api.dingtalk.com accepts it. */
static int fetch_me(struct dt_http *h, const struct dt_modcfg *cfg, const char *token,
		    int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	char *header = dt_asprintf(TOKEN_HEADER "%s", token);
	char *url = dt_asprintf("%s/v1.0/contact/users/me", cfg->api_base);
	const char *headers[] = {header, NULL};
	struct dt_api_call c = {.name = "contact/users/me",
				.method = "GET",
				.url = url,
				.headers = headers,
				.body = NULL,
				.envelope = DT_ENV_V1,
				.single_use = 0,
				.names_person = 1,
				.permission_proven = 0,
				.signed_at_ms = 0};
	json_object *answer = NULL;
	int rc;

	if (header == NULL || url == NULL)
		nomem(err);
	else
		answer = dt_api_call(h, &c, deadline_ms, NULL, err);
	dt_free_secret(header);
	free(url);
	if (answer == NULL)
		return -1;
	rc = read_person(answer, "contact/users/me", "unionId", "nick", out, err);
	json_object_put(answer);
	return rc;
}

static int identify_oauth2(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			   int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	char *token = fetch_user_token(h, cfg, code, deadline_ms, out, err);
	int rc;

	if (token == NULL)
		return -1;
	rc = fetch_me(h, cfg, token, deadline_ms, out, err);
	dt_free_secret(token);
	return rc;
}

/* Flow B: POST {oapi}/sns/getuserinfo_bycode, signed over the timestamp. */
static int identify_sns(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	const char *kv[] = {"tmp_auth_code", code, NULL};
	int64_t now = dt_wall_ms();
	char *sig = dt_sns_signature_param(cfg->client_secret, now);
	char *appid = dt_urlencode(cfg->client_id);
	char *body = json_body(kv), *url = NULL;
	struct dt_api_call c = {.name = "sns/getuserinfo_bycode",
				.method = "POST",
				.url = NULL,
				.headers = NULL,
				.body = NULL,
				.envelope = DT_ENV_OAPI,
				.single_use = 1,
				.names_person = 0,
				.permission_proven = 0,
				.signed_at_ms = now};
	json_object *answer = NULL, *info;
	int rc = -1;

	if (sig != NULL && appid != NULL)
		url = dt_asprintf("%s/sns/getuserinfo_bycode?accessKey=%s&timestamp=%" PRId64
				  "&signature=%s",
				  cfg->oapi_base, appid, now, sig);
	c.url = url;
	c.body = body;
	if (url == NULL || body == NULL)
		nomem(err);
	else
		answer = dt_api_call(h, &c, deadline_ms, NULL, err);
	dt_free_secret(sig);
	dt_free_secret(body);
	dt_free_secret(url);
	free(appid);
	if (answer == NULL)
		return -1;
	if (!json_object_object_get_ex(answer, "user_info", &info) ||
	    !json_object_is_type(info, json_type_object))
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk sns/getuserinfo_bycode: errcode 0 without a user_info object");
	else
		rc = read_person(info, "sns/getuserinfo_bycode", "unionid", "nick", out, err);
	dt_json_wipe_put(answer);
	return rc;
}

/* Flow C: the 免登 code, exchanged with the app token. */
static int identify_inapp(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			  int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	static const char api[] = "topapi/v2/user/getuserinfo";
	const char *kv[] = {"code", code, NULL};
	char *body = json_body(kv);
	json_object *answer, *result;
	int rc = -1;

	if (body == NULL)
		return nomem(err);
	answer = dt_app_call(h, cfg, api, "/topapi/v2/user/getuserinfo", body, DT_APP_CALL_CODE,
			     deadline_ms, err);
	dt_free_secret(body);
	if (answer == NULL)
		return -1;
	if (!json_object_object_get_ex(answer, "result", &result) ||
	    !json_object_is_type(result, json_type_object))
		dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: errcode 0 without a result object",
			   api);
	else if (read_person(result, api, "unionid", "name", out, err) == 0 &&
		 dt_identity_field(result, api, "userid", 128, 1, &out->user_id, err) == 0)
		rc = 0;
	dt_json_wipe_put(answer);
	return rc;
}

int dt_dingtalk_identify(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			 int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->contact_type = -1;
	out->active = -1;
	/* The handle is the caller's; the client's own settings go on it. */
	h->proxy_env = cfg->proxy_env;
	h->request_timeout_ms = DT_DINGTALK_REQUEST_MS;
	/* A ban another login of this host met: this one need not ask. */
	dt_ipban_share_load(cfg);
	switch (cfg->flow) {
	case DT_FLOW_SNS:
		rc = identify_sns(h, cfg, code, deadline_ms, out, err);
		break;
	case DT_FLOW_INAPP:
		rc = identify_inapp(h, cfg, code, deadline_ms, out, err);
		break;
	default:
		rc = identify_oauth2(h, cfg, code, deadline_ms, out, err);
		break;
	}
	if (rc == 0 && cfg->directory)
		rc = dt_directory_lookup(h, cfg, out, deadline_ms, err);
	if (rc < 0)
		dt_ipban_share_save(cfg);
	return rc;
}

void dt_identity_free(struct dt_identity *id)
{
	free(id->union_id);
	free(id->nick);
	free(id->corp_id);
	free(id->user_id);
	free(id->name);
	free(id->email);
	free(id->org_email);
	free(id->job_number);
	free(id->title);
	free(id->dept_ids);
	memset(id, 0, sizeof(*id));
	id->contact_type = -1;
	id->active = -1;
}
