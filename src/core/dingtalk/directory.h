/* Directory look-ups with the app token: unionId -> userid
 * (topapi/user/getbyunionid), userid -> details (topapi/v2/user/get). */
#ifndef DT_DIRECTORY_H
#define DT_DIRECTORY_H

#include <json-c/json.h>
#include <stdint.h>

#include "dingtalk/exchange.h"

/* Fills id's directory fields. Without id->user_id, finds it from
 * id->union_id first. Refuses (DT_ERR_DENIED) non-members (60121) and,
 * unless cfg->allow_external, external contacts (contact_type 1). */
int dt_directory_lookup(struct dt_http *h, const struct dt_modcfg *cfg, struct dt_identity *id,
			int64_t deadline_ms, struct dt_err *err);

/* Reads topapi/v2/user/get's `result` into id (exposed for tests). */
int dt_directory_read_user(json_object *result, struct dt_identity *id, struct dt_err *err);

/* Copies a string field that must be absent or a string of at most `max`
 * bytes into *out (sanitized). -1 with err set for a wrong type or size;
 * `required` makes absence an error too. */
int dt_identity_field(json_object *obj, const char *api, const char *name, size_t max, int required,
		      char **out, struct dt_err *err);

#endif
