/* Inside conf/: dt_modcfg_finish's work, by concern. Each applies the
 * defaults of its keys, parses them into their typed fields and checks
 * them; 0, or -1 with a DT_ERR_CONFIG naming the key. */
#ifndef DT_CONF_KEYS_H
#define DT_CONF_KEYS_H

#include "base/err.h"
#include "conf/modcfg.h"

/* Who may log in as whom: map, map_transform, email_domain, only_groups,
 * skip_groups, allowed_depts, recovery_file, set_user. */
int dt_keys_finish_policy(struct dt_modcfg *cfg, struct dt_err *err);

/* The DingTalk client: oapi_base, token_cache, corp_id, flow. */
int dt_keys_finish_client(struct dt_modcfg *cfg, struct dt_err *err);

/* Where the module finds the helper: helper (one Unix socket or a fleet
 * of https replicas), helper_user, helper_ca_file, helper_key_file; a
 * fleet's host key is loaded here, so a missing or unsafe key file is a
 * configuration error naming the file. */
int dt_keys_finish_helper(struct dt_modcfg *cfg, struct dt_err *err);

/* A path key that must be absolute (NULL passes). */
int dt_keys_absolute(const char *key, const char *path, struct dt_err *err);

/* Sets *field to a copy of `value` unless the key was given. */
int dt_keys_default(char **field, const char *value, struct dt_err *err);

#endif
