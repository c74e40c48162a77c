#include "config.h"

#include "conf/keys.h"
#include "base/util.h"
#include "conf/base_url.h"

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
