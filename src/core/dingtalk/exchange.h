/* The DingTalk API client: from an authorization code to a person. Knows
 * nothing of PAM. DingTalk's side, with sources: docs/dingtalk-api.md. */
#ifndef DT_DINGTALK_H
#define DT_DINGTALK_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/http.h"
#include "conf/modcfg.h"
#include "dingtalk/identity.h"

/* Per flow (cfg->flow):
 *   oauth2: POST /v1.0/oauth2/userAccessToken, then GET /v1.0/contact/users/me;
 *           with corp_id, the token's corpId must be corp_id.
 *   sns:    POST {oapi}/sns/getuserinfo_bycode, signed (sign.h).
 *   inapp:  POST {oapi}/topapi/v2/user/getuserinfo with the app token.
 * then, with directory = yes, getbyunionid and topapi/v2/user/get, refusing
 * external contacts (unless allow_external) and non-members. The code and
 * every token are wiped after use. */
int dt_dingtalk_identify(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			 int64_t deadline_ms, struct dt_identity *out, struct dt_err *err);

/* One DingTalk call takes at most this long, so that a slow answer leaves
 * time to try again within the login's deadline. */
#define DT_DINGTALK_REQUEST_MS 10000

#endif
