/* The app permissions (权限点) DingTalk checks for each API the project
 * calls, named as the developer console (权限管理) names them, so that a
 * refusal for lack of one says which to grant (docs/dingtalk-api.md,
 * "Permissions"). */
#ifndef DT_PERMISSION_H
#define DT_PERMISSION_H

#include <json-c/json.h>
#include <stddef.h>

struct dt_permission {
	const char *code; /* the permission's code, or NULL where DingTalk gives none */
	const char *zh;	  /* its name in the console */
	const char *en;	  /* what it allows, in English */
};

/* The permission an API (named as in error messages: "contact/users/me",
 * "topapi/v2/user/get", ...) needs, or NULL for one that needs none beyond
 * what every app has. */
const struct dt_permission *dt_permission_for_api(const char *api);

/* The permission without which topapi/v2/user/get leaves out `email`. */
const struct dt_permission *dt_permission_email(void);

/* Writes "成员信息读权限 (qyapi_get_member: read member information)" into
 * out (always terminated, truncated to size). */
void dt_permission_name(const struct dt_permission *p, char *out, size_t size);

/* What to do when DingTalk refused `api` for lack of a permission: the
 * permissions DingTalk named itself (`AccessDeniedDetail.requiredScopes`
 * in a v1 `answer`, which may be NULL), else the one the API is known to
 * need, and where to grant it. Always terminated. */
void dt_permission_advice(const char *api, json_object *answer, char *out, size_t size);

#endif
