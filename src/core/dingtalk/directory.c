#include "config.h"

#include "dingtalk/directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dingtalk/apptoken.h"
#include "base/json.h"
#include "base/util.h"

#define MAX_DEPTS 64

int dt_identity_field(json_object *obj, const char *api, const char *name, size_t max, int required,
		      char **out, struct dt_err *err)
{
	json_object *v;
	size_t len;

	if (!json_object_object_get_ex(obj, name, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: no '%s' in the answer",
					  api, name);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: '%s' is not a string", api,
				  name);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || (required && len == 0))
		return dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: '%s' is %s", api, name,
				  len == 0 ? "empty" : "too long");
	free(*out);
	*out = strndup(json_object_get_string(v), len);
	if (*out == NULL)
		return dt_err_oom(err);
	dt_sanitize_text(*out);
	return 0;
}

static int read_bool(json_object *obj, const char *name, int *out, struct dt_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "DingTalk topapi/v2/user/get: '%s' is not a boolean", name);
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 0;
}

static int read_depts(json_object *obj, struct dt_identity *id, struct dt_err *err)
{
	json_object *list, *item;
	size_t i, n;

	if (!json_object_object_get_ex(obj, "dept_id_list", &list))
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "DingTalk topapi/v2/user/get: 'dept_id_list' is not an array");
	n = json_object_array_length(list);
	if (n > MAX_DEPTS)
		n = MAX_DEPTS; /* policy needs membership, not every department */
	free(id->dept_ids);
	id->n_dept_ids = 0;
	id->dept_ids = calloc(n ? n : 1, sizeof(*id->dept_ids));
	if (id->dept_ids == NULL)
		return dt_err_oom(err);
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		if (!json_object_is_type(item, json_type_int))
			return dt_err_set(err, DT_ERR_UNAVAIL,
					  "DingTalk topapi/v2/user/get: 'dept_id_list' holds a "
					  "value that is not a number");
		id->dept_ids[id->n_dept_ids++] = (long long)json_object_get_int64(item);
	}
	return 0;
}

/* DingTalk leaves out a field that is empty or that the app may not read
 * (查询用户详情: email, org_email, work_place, hired_date...); an empty
 * string means the same and is kept as absent. */
static int optional_field(json_object *obj, const char *api, const char *name, size_t max,
			  char **out, struct dt_err *err)
{
	if (dt_identity_field(obj, api, name, max, 0, out, err) < 0)
		return -1;
	if (*out != NULL && (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* The answer must name the userid the look-up asked about. */
static int same_userid(json_object *result, const char *api, struct dt_identity *id,
		       struct dt_err *err)
{
	char *asked = id->user_id;
	int rc;

	id->user_id = NULL;
	rc = dt_identity_field(result, api, "userid", 128, 1, &id->user_id, err);
	if (rc == 0 && asked != NULL && strcmp(asked, id->user_id) != 0)
		rc = dt_err_set(err, DT_ERR_DENIED,
				"DingTalk %s: asked about userid %s, answered "
				"about %s: refused",
				api, asked, id->user_id);
	free(asked);
	return rc;
}

int dt_directory_read_user(json_object *result, struct dt_identity *id, struct dt_err *err)
{
	static const char api[] = "topapi/v2/user/get";
	char *union_id = NULL;
	int rc;

	rc = same_userid(result, api, id, err);
	if (rc == 0)
		rc = dt_identity_field(result, api, "unionid", 128, 0, &union_id, err);
	/* The directory must name the person the login named: an answer
	 * without their unionid proves nothing about whom it describes. */
	if (rc == 0 && id->union_id != NULL &&
	    (union_id == NULL || strcmp(union_id, id->union_id) != 0))
		rc = dt_err_set(err, DT_ERR_DENIED,
				"DingTalk %s: userid %s belongs to unionId %s, not %s: refused",
				api, id->user_id, union_id != NULL ? union_id : "(none given)",
				id->union_id);
	free(union_id);
	if (rc == 0 &&
	    (optional_field(result, api, "name", 128, &id->name, err) < 0 ||
	     optional_field(result, api, "email", 256, &id->email, err) < 0 ||
	     optional_field(result, api, "org_email", 256, &id->org_email, err) < 0 ||
	     optional_field(result, api, "job_number", 64, &id->job_number, err) < 0 ||
	     optional_field(result, api, "title", 128, &id->title, err) < 0 ||
	     read_bool(result, "active", &id->active, err) < 0 || read_depts(result, id, err) < 0))
		rc = -1;
	return rc;
}

int dt_directory_read_external(json_object *result, struct dt_identity *id, struct dt_err *err)
{
	static const char api[] = "topapi/extcontact/get";

	/* Its email is whatever the employee who created the record typed:
	 * never read, so that nothing can map it to an account
	 * (access/sources.h). */
	if (same_userid(result, api, id, err) < 0 ||
	    optional_field(result, api, "name", 128, &id->name, err) < 0 ||
	    optional_field(result, api, "title", 128, &id->title, err) < 0)
		return -1;
	/* Not an employee: no activation flag, no org_email, no departments. */
	id->active = -1;
	return 0;
}

static char *body_with(const char *key, const char *value, const char *key2, const char *value2)
{
	json_object *o = json_object_new_object();
	char *out = NULL;

	if (o != NULL && json_object_object_add(o, key, json_object_new_string(value)) == 0 &&
	    (key2 == NULL || json_object_object_add(o, key2, json_object_new_string(value2)) == 0))
		out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static json_object *result_of(json_object *answer, const char *api, struct dt_err *err)
{
	json_object *result;

	if (!json_object_object_get_ex(answer, "result", &result) ||
	    !json_object_is_type(result, json_type_object)) {
		dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: errcode 0 without a result object",
			   api);
		return NULL;
	}
	return result;
}

/* DingTalk answered (errcode 0) about the person who scanned, but the
 * record cannot be used: a field too long or of the wrong type, a
 * contact_type it does not document. Which account was scanned decides
 * what the record holds (some fields the person may edit), so this is a
 * refusal, never "unavailable" that failmode = safe would let through. */
static int unusable_record(struct dt_err *err)
{
	if (err->kind != DT_ERR_DENIED && err->kind != DT_ERR_NOMEM) {
		err->kind = DT_ERR_DENIED;
		dt_err_prefix(err, "the person's record is unusable (refused, not unavailable): ");
	}
	return -1;
}

/* unionId -> userid and contact_type. */
static int find_userid(struct dt_http *h, const struct dt_modcfg *cfg, struct dt_identity *id,
		       int64_t deadline_ms, struct dt_err *err)
{
	static const char api[] = "topapi/user/getbyunionid";
	char *body = body_with("unionid", id->union_id, NULL, NULL);
	json_object *answer, *result;
	unsigned contact_type = 0;
	int rc = -1;

	if (body == NULL)
		return dt_err_oom(err);
	answer = dt_app_call(h, cfg, api, "/topapi/user/getbyunionid", body, DT_APP_CALL_PERSON,
			     deadline_ms, err);
	free(body);
	if (answer == NULL)
		return -1;
	result = result_of(answer, api, err);
	if (result != NULL &&
	    dt_identity_field(result, api, "userid", 128, 1, &id->user_id, err) == 0) {
		if (json_object_object_get_ex(result, "contact_type", NULL) &&
		    dt_json_uint(result, "contact_type", 1, &contact_type) < 0)
			dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: 'contact_type' is not 0 or 1",
				   api);
		else
			rc = 0;
	}
	json_object_put(answer);
	id->contact_type = rc == 0 ? (int)contact_type : -1;
	return rc == 0 ? 0 : unusable_record(err);
}

/* POSTs {key: value} to an app-token topapi about the person and reads
 * its `result` with `read`; `input`: DT_APP_CALL_* flags. */
static int look_up(struct dt_http *h, const struct dt_modcfg *cfg, const char *api, const char *key,
		   struct dt_identity *id,
		   int (*read)(json_object *, struct dt_identity *, struct dt_err *),
		   unsigned input, int64_t deadline_ms, struct dt_err *err)
{
	char path[64];
	char *body = strcmp(key, "userid") == 0 ? body_with(key, id->user_id, "language", "zh_CN")
						: body_with(key, id->user_id, NULL, NULL);
	json_object *answer, *result;
	int rc = -1;

	if (body == NULL)
		return dt_err_oom(err);
	snprintf(path, sizeof(path), "/%s", api);
	answer = dt_app_call(h, cfg, api, path, body, input, deadline_ms, err);
	free(body);
	if (answer == NULL)
		return -1;
	result = result_of(answer, api, err);
	if (result != NULL)
		rc = read(result, id, err);
	json_object_put(answer);
	return rc == 0 ? 0 : unusable_record(err);
}

/* topapi/extcontact/get, which only an external contact's login reaches:
 * whoever scans chooses whether it is called, so no failure of it may be
 * "unavailable" (failmode = safe would let them in unchecked by scanning
 * with such an account). Every failure is a refusal that keeps DingTalk's
 * code and the advice for the administrator (the permission to grant). */
static int read_external(struct dt_http *h, const struct dt_modcfg *cfg, struct dt_identity *id,
			 int64_t deadline_ms, struct dt_err *err)
{
	if (look_up(h, cfg, "topapi/extcontact/get", "user_id", id, dt_directory_read_external,
		    DT_APP_CALL_PERSON, deadline_ms, err) == 0)
		return 0;
	if (err->kind != DT_ERR_DENIED) {
		err->kind = DT_ERR_DENIED;
		dt_err_prefix(err,
			      "external contact %s: refused, not unavailable (only their logins "
			      "make this call): ",
			      id->union_id);
	}
	return -1;
}

int dt_directory_lookup(struct dt_http *h, const struct dt_modcfg *cfg, struct dt_identity *id,
			int64_t deadline_ms, struct dt_err *err)
{
	unsigned input = DT_APP_CALL_PERSON;

	if (id->user_id == NULL && find_userid(h, cfg, id, deadline_ms, err) < 0) {
		if (err->kind == DT_ERR_DENIED)
			dt_err_prefix(err, "unionId %s: ", id->union_id);
		return -1;
	}
	if (id->contact_type == 1 && !cfg->allow_external)
		return dt_err_set(err, DT_ERR_DENIED,
				  "unionId %s (%s) is an external contact of the organisation, "
				  "not a member: refused (allow_external = yes admits them)",
				  id->union_id, id->nick != NULL ? id->nick : "");
	/* An external contact is no employee: topapi/v2/user/get answers
	 * 60121 for them; their own record is topapi/extcontact/get's. */
	if (id->contact_type == 1)
		return read_external(h, cfg, id, deadline_ms, err);
	/* getbyunionid answered with 成员信息读权限, which v2/user/get needs
	 * too: refused for lack of it, the refusal is about this person. */
	if (id->contact_type == 0)
		input |= DT_APP_CALL_PROVEN;
	else
		id->contact_type = 0; /* flow inapp: a member's own code */
	return look_up(h, cfg, "topapi/v2/user/get", "userid", id, dt_directory_read_user, input,
		       deadline_ms, err);
}

/* What DingTalk answers about somebody it does not find once it has let
 * the call through: 60121 (a refusal), 33012 "无效的userId" (the error
 * extcontact/get's page lists) or 400002 "无效的参数" (getbyunionid's page,
 * for a unionId it cannot read). Each proves the permission. */
static int found_nobody(const struct dt_err *err)
{
	return err->kind == DT_ERR_DENIED || strstr(err->msg, "errcode 33012 ") != NULL ||
	       strstr(err->msg, "errcode 400002 ") != NULL;
}

int dt_directory_probe(struct dt_http *h, const struct dt_modcfg *cfg, const char *api,
		       int64_t deadline_ms, struct dt_err *err)
{
	/* Made up, in the shape of DingTalk's own identifiers. */
	static const char nobody_union[] = "dtDoctorProbe00000000000000000iEiE";
	static const char nobody_user[] = "000000000000000000";
	int ext = strcmp(api, "topapi/extcontact/get") == 0;
	char path[64], *body;
	json_object *answer;

	if (!ext && strcmp(api, "topapi/user/getbyunionid") != 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "no probe for %s", api);
	body = ext ? body_with("user_id", nobody_user, NULL, NULL)
		   : body_with("unionid", nobody_union, NULL, NULL);
	if (body == NULL)
		return dt_err_oom(err);
	snprintf(path, sizeof(path), "/%s", api);
	answer = dt_app_call(h, cfg, api, path, body, 0, deadline_ms, err);
	free(body);
	if (answer != NULL) {
		json_object_put(answer);
		return dt_err_set(err, DT_ERR_UNAVAIL, "DingTalk %s: found a made-up person", api);
	}
	return found_nobody(err) ? 0 : -1;
}
