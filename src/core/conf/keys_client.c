#include "config.h"

#include "conf/keys.h"
#include "base/util.h"
#include "conf/base_url.h"
#include "conf/helper_urls.h"
#include "proto/reqsign.h"

/* The DingTalk client's keys (issue 4): defaults and checks. */
int dt_keys_finish_client(struct dt_modcfg *cfg, struct dt_err *err)
{
	if (dt_keys_default(&cfg->oapi_base, DT_DEFAULT_OAPI_BASE, err) < 0 ||
	    dt_keys_default(&cfg->token_cache, DT_DEFAULT_TOKEN_CACHE, err) < 0 ||
	    dt_check_base_url("oapi_base", cfg->oapi_base, err) < 0)
		return -1;
	if (cfg->corp_id != NULL && !dt_is_printable_id(cfg->corp_id))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "corp_id: contains spaces or control characters");
	if (cfg->flow == DT_FLOW_INAPP && cfg->corp_id == NULL)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "flow = inapp needs corp_id (the JSAPI asks DingTalk for a code "
				  "of that organisation)");
	if (cfg->token_cache[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG, "token_cache: '%s' must be an absolute path",
				  cfg->token_cache);
	return 0;
}

/* issue 12: the helper, one Unix socket or a fleet of https replicas. The
 * keys of the other form are left alone (a [service NAME] section may
 * switch forms), but those of the form in use are checked. */
int dt_keys_finish_helper(struct dt_modcfg *cfg, struct dt_err *err)
{
	if (dt_helper_urls_parse(cfg->helper, &cfg->helpers, err) < 0) {
		if (cfg->helper_origin[0] != '\0')
			dt_err_prefix(err, "%s: ", cfg->helper_origin);
		return -1;
	}
	cfg->helper_socket = cfg->helpers.socket;
	if (cfg->helper_socket != NULL) {
		if (cfg->helper_user != NULL && !dt_is_printable_id(cfg->helper_user))
			return dt_err_set(err, DT_ERR_CONFIG,
					  "helper_user: contains spaces or control characters");
		return 0;
	}
	if (dt_keys_default(&cfg->helper_key_file, DT_DEFAULT_HELPER_KEY_FILE, err) < 0 ||
	    dt_keys_absolute("helper_key_file", cfg->helper_key_file, err) < 0 ||
	    dt_keys_absolute("helper_ca_file", cfg->helper_ca_file, err) < 0)
		return -1;
	if (dt_host_key_load(cfg->helper_key_file, &cfg->helper_key, err) < 0) {
		/* dt_host_key_load names the file; say which key wants it. */
		dt_err_prefix(err, "helper_key_file (needed by helper = https://...): ");
		err->kind = err->kind == DT_ERR_NOMEM ? DT_ERR_NOMEM : DT_ERR_CONFIG;
		return -1;
	}
	return 0;
}
