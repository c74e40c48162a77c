#include "config.h"

#include "conf/prompt_after.h"

unsigned dt_prompt_after_effective(const struct dt_modcfg *cfg)
{
	unsigned cap = cfg->timeout > DT_PROMPT_AFTER_MIN + DT_PROMPT_AFTER_RESERVE_S
			   ? cfg->timeout - DT_PROMPT_AFTER_RESERVE_S
			   : DT_PROMPT_AFTER_MIN;

	return cfg->prompt_after < cap ? cfg->prompt_after : cap;
}
