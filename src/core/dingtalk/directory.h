/* Directory look-ups with the app token: unionId -> userid and contact
 * type (topapi/user/getbyunionid), then an employee's details
 * (topapi/v2/user/get) or an external contact's (topapi/extcontact/get).
 * A person who left the organisation is not found (60121): DingTalk keeps
 * no record of leavers to look up. */
#ifndef DT_DIRECTORY_H
#define DT_DIRECTORY_H

#include <json-c/json.h>
#include <stdint.h>

#include "dingtalk/exchange.h"

/* Fills id's directory fields. Without id->user_id, finds it from
 * id->union_id first. Refuses (DT_ERR_DENIED) people DingTalk does not
 * find (60121: never a member, or left) and, unless cfg->allow_external,
 * external contacts (contact_type 1), whose details otherwise come from
 * topapi/extcontact/get (no `active`, no departments). */
int dt_directory_lookup(struct dt_http *h, const struct dt_modcfg *cfg, struct dt_identity *id,
			int64_t deadline_ms, struct dt_err *err);

/* Reads topapi/v2/user/get's `result` into id (exposed for tests): its
 * `userid` must be id->user_id (when set) and, when the login named a
 * unionId, its `unionid` must be present and that one (else
 * DT_ERR_DENIED). A field DingTalk left out, or sent as "", is NULL:
 * absent. */
int dt_directory_read_user(json_object *result, struct dt_identity *id, struct dt_err *err);

/* Reads topapi/extcontact/get's `result` into id: its `userid` must be
 * id->user_id; name and title as above. Its email is never read: an
 * employee typed it (exposed for tests). */
int dt_directory_read_external(json_object *result, struct dt_identity *id, struct dt_err *err);

/* Asks `api` (topapi/user/getbyunionid or topapi/extcontact/get) about a
 * made-up person, to learn up front whether the app holds the API's
 * permission: 0 when DingTalk let the call through and found nobody
 * (60121, 33012 or 400002); -1 with err set otherwise (a missing
 * permission names it, permission.h). */
int dt_directory_probe(struct dt_http *h, const struct dt_modcfg *cfg, const char *api,
		       int64_t deadline_ms, struct dt_err *err);

/* Copies a string field that must be absent or a string of at most `max`
 * bytes into *out (sanitized). -1 with err set for a wrong type or size;
 * `required` makes absence an error too. */
int dt_identity_field(json_object *obj, const char *api, const char *name, size_t max, int required,
		      char **out, struct dt_err *err);

#endif
