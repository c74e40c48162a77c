#include "config.h"

#include "dingtalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define TOKEN_HEADER "x-acs-dingtalk-access-token: "

static char *user_token_request(const struct dt_modcfg *cfg, const char *code)
{
	json_object *o = json_object_new_object();
	char *out = NULL;

	if (o == NULL)
		return NULL;
	if (json_object_object_add(o, "clientId", json_object_new_string(cfg->client_id)) == 0 &&
	    json_object_object_add(o, "clientSecret", json_object_new_string(cfg->client_secret)) ==
		0 &&
	    json_object_object_add(o, "code", json_object_new_string(code)) == 0 &&
	    json_object_object_add(o, "grantType", json_object_new_string("authorization_code")) ==
		0)
		out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	dt_json_wipe_put(o);
	return out;
}

/* POST /v1.0/oauth2/userAccessToken: returns the user's access token. */
static char *fetch_user_token(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			      int64_t deadline_ms, struct dt_err *err)
{
	struct dt_http_response resp;
	json_object *obj;
	const char *token;
	char *body = user_token_request(cfg, code), *url, *out = NULL;
	int rc;

	url = dt_asprintf("%s/v1.0/oauth2/userAccessToken", cfg->api_base);
	if (body == NULL || url == NULL) {
		dt_free_secret(body);
		free(url);
		dt_err_set(err, DT_ERR_NOMEM, "out of memory");
		return NULL;
	}
	rc = dt_http_request(h, "POST", url, NULL, body, deadline_ms, &resp, err);
	dt_free_secret(body);
	free(url);
	if (rc < 0)
		return NULL;
	if (resp.status != 200) {
		dt_dingtalk_v1_error("userAccessToken", resp.status, resp.body, resp.len, err);
		dt_http_response_free(&resp);
		return NULL;
	}
	obj = dt_json_parse_object(resp.body, resp.len);
	dt_http_response_free(&resp);
	token = obj != NULL ? dt_json_string(obj, "accessToken") : NULL;
	if (token == NULL || token[0] == '\0' || strlen(token) > 1024 || !dt_is_printable_id(token))
		dt_err_set(err, DT_ERR_UNAVAIL,
			   "DingTalk userAccessToken: HTTP 200 without a usable accessToken");
	else if ((out = strdup(token)) == NULL)
		dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	dt_json_wipe_put(obj);
	return out;
}

static int read_identity(json_object *obj, struct dt_identity *out, struct dt_err *err)
{
	const char *union_id = dt_json_string(obj, "unionId");
	const char *nick = dt_json_string(obj, "nick");

	if (union_id == NULL || !dt_is_printable_id(union_id) || strlen(union_id) > 128)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "DingTalk contact/users/me: HTTP 200 without a usable unionId");
	out->union_id = strdup(union_id);
	out->nick = strndup(nick != NULL ? nick : "", 128);
	if (out->union_id == NULL || out->nick == NULL)
		return dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	dt_sanitize_text(out->nick);
	return 0;
}

/* GET /v1.0/contact/users/me with the token in its header, the only place
 * api.dingtalk.com accepts it. */
static int fetch_me(struct dt_http *h, const struct dt_modcfg *cfg, const char *token,
		    int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	struct dt_http_response resp;
	json_object *obj;
	char *header = dt_asprintf(TOKEN_HEADER "%s", token);
	char *url = dt_asprintf("%s/v1.0/contact/users/me", cfg->api_base);
	const char *headers[] = {header, NULL};
	int rc = -1;

	if (header == NULL || url == NULL)
		dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	else
		rc = dt_http_request(h, "GET", url, headers, NULL, deadline_ms, &resp, err);
	dt_free_secret(header);
	free(url);
	if (rc < 0)
		return -1;
	if (resp.status != 200) {
		dt_dingtalk_v1_error("contact/users/me", resp.status, resp.body, resp.len, err);
		dt_http_response_free(&resp);
		return -1;
	}
	obj = dt_json_parse_object(resp.body, resp.len);
	dt_http_response_free(&resp);
	if (obj == NULL)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "DingTalk contact/users/me: HTTP 200 with a body that is not a "
				  "JSON object");
	rc = read_identity(obj, out, err);
	json_object_put(obj);
	return rc;
}

int dt_dingtalk_identify(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			 int64_t deadline_ms, struct dt_identity *out, struct dt_err *err)
{
	char *token;
	int rc;

	memset(out, 0, sizeof(*out));
	token = fetch_user_token(h, cfg, code, deadline_ms, err);
	if (token == NULL)
		return -1;
	rc = fetch_me(h, cfg, token, deadline_ms, out, err);
	dt_free_secret(token);
	if (rc < 0)
		dt_identity_free(out);
	return rc;
}

void dt_identity_free(struct dt_identity *id)
{
	free(id->union_id);
	free(id->nick);
	id->union_id = NULL;
	id->nick = NULL;
}
