#include "config.h"

#include "dingtalk/permission.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* Each API's "权限要求" on its page of open.dingtalk.com (docs/dingtalk-api.md
 * names the pages). The email permission's page names no code. */
static const struct dt_permission contact_user_read = {"Contact.User.Read", "通讯录个人信息读权限",
						       "read a person's own contact details"};
static const struct dt_permission get_member = {"qyapi_get_member", "成员信息读权限",
						"read member information"};
static const struct dt_permission ext_read = {"qyapi_ext_read", "企业外部联系人读权限",
					      "read external contacts"};
static const struct dt_permission base = {"qyapi_base", "调用企业API时需要具备的基本权限",
					  "the basic permission to call the organisation's APIs"};
static const struct dt_permission email = {NULL, "邮箱等个人信息",
					   "email and other personal information"};

static const struct {
	const char *api;
	const struct dt_permission *needs;
} by_api[] = {
    {"contact/users/me", &contact_user_read}, {"topapi/user/getbyunionid", &get_member},
    {"topapi/v2/user/get", &get_member},      {"topapi/extcontact/get", &ext_read},
    {"topapi/v2/user/getuserinfo", &base},
};

const struct dt_permission *dt_permission_for_api(const char *api)
{
	size_t i;

	for (i = 0; api != NULL && i < sizeof(by_api) / sizeof(by_api[0]); i++)
		if (strcmp(by_api[i].api, api) == 0)
			return by_api[i].needs;
	return NULL;
}

const struct dt_permission *dt_permission_email(void)
{
	return &email;
}

void dt_permission_name(const struct dt_permission *p, char *out, size_t size)
{
	if (p->code != NULL)
		snprintf(out, size, "%s (%s: %s)", p->zh, p->code, p->en);
	else
		snprintf(out, size, "%s (%s)", p->zh, p->en);
}

static json_object *member(json_object *obj, const char *const *names)
{
	json_object *v = NULL;

	for (; obj != NULL && *names != NULL; names++)
		if (json_object_object_get_ex(obj, *names, &v))
			return v;
	return NULL;
}

/* The scope codes a v1 answer lists, comma-separated and sanitized: 0 when
 * it lists none. DingTalk's SDKs read the detail under each of these
 * spellings (alibabacloud-go/darabonba-openapi and DingTalk's gateway
 * client), so the client does too. */
static int listed_scopes(json_object *answer, char *out, size_t size)
{
	static const char *const detail_key[] = {"AccessDeniedDetail", "accessDeniedDetail",
						 "accessdenieddetail", NULL};
	static const char *const scopes_key[] = {"requiredScopes", "requiredscopes", NULL};
	json_object *list = member(member(answer, detail_key), scopes_key), *item;
	size_t i, n, used = 0;

	out[0] = '\0';
	if (list == NULL || !json_object_is_type(list, json_type_array))
		return 0;
	n = json_object_array_length(list);
	for (i = 0; i < n && i < 8 && used + 1 < size; i++) {
		item = json_object_array_get_idx(list, i);
		if (!json_object_is_type(item, json_type_string))
			continue;
		snprintf(out + used, size - used, "%s%.64s", used > 0 ? ", " : "",
			 json_object_get_string(item));
		used = strlen(out);
	}
	dt_sanitize_text(out);
	return used > 0;
}

void dt_permission_advice(const char *api, json_object *answer, char *out, size_t size)
{
	const struct dt_permission *p = dt_permission_for_api(api);
	char scopes[256], name[160];

	if (listed_scopes(answer, scopes, sizeof(scopes))) {
		if (p != NULL && p->code != NULL && strcmp(scopes, p->code) == 0)
			dt_permission_name(p, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%s", scopes);
		snprintf(
		    out, size,
		    "the app lacks the permission %s: grant it under 权限管理 (permissions) of "
		    "the app in the developer console, open-dev.dingtalk.com",
		    name);
	} else if (p != NULL) {
		dt_permission_name(p, name, sizeof(name));
		snprintf(
		    out, size,
		    "the app lacks the permission %s: grant it under 权限管理 (permissions) of "
		    "the app in the developer console, open-dev.dingtalk.com",
		    name);
	} else
		snprintf(out, size,
			 "the app lacks this API's permission: grant the one the API's page names "
			 "under 权限管理 (permissions) of the app in the developer console, "
			 "open-dev.dingtalk.com");
}
