/* The DingTalk API client: from an authorization code to a person. Knows
 * nothing of PAM. Facts from shared/dingtalk-api.md. */
#ifndef DT_DINGTALK_H
#define DT_DINGTALK_H

#include <stdint.h>

#include "err.h"
#include "http.h"
#include "modcfg.h"

struct dt_identity {
	char *union_id; /* the stable identity used for mapping */
	char *nick;	/* display name, sanitized for terminals and logs */
};

/* Flow A: POST /v1.0/oauth2/userAccessToken, then GET /v1.0/contact/users/me.
 * The code and the user token are wiped after use. */
int dt_dingtalk_identify(struct dt_http *h, const struct dt_modcfg *cfg, const char *code,
			 int64_t deadline_ms, struct dt_identity *out, struct dt_err *err);

void dt_identity_free(struct dt_identity *id);

/* Turns a v1.0 error answer ({"code","message","requestid"}) into an error
 * that names the code, DingTalk's message and what the administrator
 * should do. */
int dt_dingtalk_v1_error(const char *api, long status, const char *body, size_t len,
			 struct dt_err *err);

#endif
