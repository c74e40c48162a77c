#include "config.h"

#include "conf/keys.h"
#include "conf/lists.h"
#include "conf/map_spec.h"

/* set_user lists the accounts of an identity; a map of userfile alone
 * could never name one, which is a configuration mistake, not a denial. */
static int check_set_user(const struct dt_modcfg *cfg, struct dt_err *err)
{
	if (!cfg->set_user || dt_map_uses(&cfg->map, DT_MAP_FILE) ||
	    dt_map_uses(&cfg->map, DT_MAP_DIRECTORY))
		return 0;
	return dt_err_set(err, DT_ERR_CONFIG,
			  "set_user needs a map source that can be listed (file or "
			  "directory:<field>); userfile cannot");
}

/* directory:email and directory:org_email trust only the local part of an
 * address, so they are refused unless email_domain says which domains. */
static int parse_email_domain(struct dt_modcfg *cfg, struct dt_err *err)
{
	size_t i;

	if (cfg->text.email_domain != NULL)
		return dt_domain_list_parse(cfg->text.email_domain, &cfg->email_domain, err);
	for (i = 0; i < cfg->map.n; i++)
		if (cfg->map.src[i].kind == DT_MAP_DIRECTORY &&
		    (cfg->map.src[i].field == DT_DIR_EMAIL ||
		     cfg->map.src[i].field == DT_DIR_ORG_EMAIL))
			return dt_err_set(err, DT_ERR_CONFIG,
					  "map = directory:%s needs email_domain (the domains "
					  "whose addresses name local accounts, e.g. "
					  "email_domain = example.com)",
					  dt_dir_field_name(cfg->map.src[i].field));
	return 0;
}

/* The list-valued keys of the policy, each parsed into its typed field. */
static int parse_policy_lists(struct dt_modcfg *cfg, struct dt_err *err)
{
	if (cfg->text.only_groups != NULL &&
	    dt_group_list_parse("only_groups", cfg->text.only_groups, &cfg->only_groups, err) < 0)
		return -1;
	if (cfg->text.skip_groups != NULL &&
	    dt_group_list_parse("skip_groups", cfg->text.skip_groups, &cfg->skip_groups, err) < 0)
		return -1;
	if (dt_map_spec_parse(cfg->text.map, &cfg->map, err) < 0)
		return -1;
	if (cfg->text.map_transform != NULL &&
	    dt_map_transform_parse(cfg->text.map_transform, &cfg->map_transform, err) < 0)
		return -1;
	if (cfg->text.allowed_depts != NULL &&
	    dt_dept_list_parse(cfg->text.allowed_depts, &cfg->allowed_depts, err) < 0)
		return -1;
	return parse_email_domain(cfg, err);
}

/* Who may log in as whom (issue 5): defaults and checks. */
int dt_keys_finish_policy(struct dt_modcfg *cfg, struct dt_err *err)
{
	if (dt_keys_default(&cfg->text.map, DT_DEFAULT_MAP_SOURCES, err) < 0 ||
	    dt_keys_default(&cfg->recovery_file, DT_DEFAULT_RECOVERY_FILE, err) < 0)
		return -1;
	if (cfg->recovery_file[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "recovery_file: '%s' must be an absolute path",
				  cfg->recovery_file);
	if (parse_policy_lists(cfg, err) < 0)
		return -1;
	return check_set_user(cfg, err);
}
