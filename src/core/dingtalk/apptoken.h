/* The app (enterprise internal app) access token: fetched from
 * POST /v1.0/oauth2/accessToken (or the old GET /gettoken), cached in a
 * root-only file shared by every process on the host, refreshed before it
 * expires and once when DingTalk refuses it. */
#ifndef DT_APPTOKEN_H
#define DT_APPTOKEN_H

#include <json-c/json.h>
#include <stdint.h>

#include "base/err.h"
#include "base/http.h"
#include "conf/modcfg.h"

/* A cached token is replaced this long before DingTalk says it expires
 * (or at half its lifetime, if that is shorter). */
#define DT_APPTOKEN_MARGIN_S 300
#define DT_APPTOKEN_MAX_FILE 4096

/* The token (a secret: dt_free_secret it). `fresh` skips the cache: DingTalk
 * has just refused the cached one. NULL with err set on failure. */
char *dt_app_token(struct dt_http *h, const struct dt_modcfg *cfg, int fresh, int64_t deadline_ms,
		   struct dt_err *err);

/* Whether token_cache's directory may be used: 1 when it is a directory
 * of ours that nobody else can write to, else 0. With `create`, makes it
 * first if it is missing (0700, whatever the umask). Files kept beside
 * the cache (dingtalk/ipban_share.h) follow the same rule. */
int dt_apptoken_dir_ready(const struct dt_modcfg *cfg, int create);

/* What a dt_app_call's body carries that somebody else chose (api.h):
 * the person's single-use code, or their identity (unionId, userid). */
#define DT_APP_CALL_CODE   1u /* dt_api_call.single_use */
#define DT_APP_CALL_PERSON 2u /* dt_api_call.names_person */
#define DT_APP_CALL_PROVEN 4u /* dt_api_call.permission_proven */

/* POSTs `body` to {oapi_base}{path}?access_token=<app token> (the only
 * place oapi accepts it). When DingTalk refuses the token (40014, 42001,
 * InvalidAuthentication), fetches a new one and tries once more. `input`:
 * DT_APP_CALL_* flags, 0 for a call nobody else steers. Returns the
 * answer (errcode 0) or NULL with err set. */
json_object *dt_app_call(struct dt_http *h, const struct dt_modcfg *cfg, const char *name,
			 const char *path, const char *body, unsigned input, int64_t deadline_ms,
			 struct dt_err *err);

#endif
