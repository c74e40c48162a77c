#include "config.h"

#include "conf/modcfg.h"
#include "conf/cfg.h"
#include "base/util.h"
#include "conf/base_url.h"
#include "conf/keys.h"
#include "conf/lists.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const qr_styles[] = {"auto", "utf8", "block", "ascii", "off", NULL};
static const char *const wait_modes[] = {"auto", "enter", "poll", NULL};
static const char *const langs[] = {"auto", "en", "zh_CN", NULL};
static const char *const failmodes[] = {"secure", "safe", NULL};
static const char *const audit_formats[] = {"text", "json", NULL};
static const char *const flows[] = {"oauth2", "sns", "inapp", NULL};
static const char *const token_apis[] = {"v1", "gettoken", NULL};

/* The table's DT_CFG_ENUM writes an int into these fields. */
_Static_assert(sizeof(enum dt_qr_style) == sizeof(int) &&
		   sizeof(enum dt_wait_mode) == sizeof(int) &&
		   sizeof(enum dt_lang) == sizeof(int) && sizeof(enum dt_failmode) == sizeof(int) &&
		   sizeof(enum dt_audit_format) == sizeof(int) &&
		   sizeof(enum dt_flow) == sizeof(int) && sizeof(enum dt_token_api) == sizeof(int),
	       "an enum key's field must be int-sized");

#define STR(name, secret)                                                                          \
	{                                                                                          \
#name, DT_CFG_STRING, offsetof(struct dt_modcfg, name), 0, 0, NULL, secret         \
	}

/* A key parsed into a typed field after loading (dt_modcfg_finish); the
 * text is kept as written for messages. */
#define LIST(name)                                                                                 \
	{                                                                                          \
#name, DT_CFG_STRING, offsetof(struct dt_modcfg, text.name), 0, 0, NULL, 0         \
	}

static const struct dt_cfg_key modcfg_keys[] = {
    STR(client_id, 0),
    STR(client_secret, 1),
    STR(login_base, 0),
    STR(api_base, 0),
    STR(ca_file, 0),
    STR(proxy, 0),
    STR(helper, 0),
    STR(helper_user, 0),
    STR(helper_ca_file, 0),
    STR(helper_key_file, 0),
    STR(map_file, 0),
    LIST(map),
    LIST(only_groups),
    LIST(skip_groups),
    LIST(map_transform),
    LIST(allowed_depts),
    LIST(email_domain),
    {"require_active", DT_CFG_BOOL, offsetof(struct dt_modcfg, require_active), 0, 0, NULL, 0},
    {"allow_root", DT_CFG_BOOL, offsetof(struct dt_modcfg, allow_root), 0, 0, NULL, 0},
    {"failmode", DT_CFG_ENUM, offsetof(struct dt_modcfg, failmode), 0, 0, failmodes, 0},
    {"audit", DT_CFG_ENUM, offsetof(struct dt_modcfg, audit), 0, 0, audit_formats, 0},
    {"timeout", DT_CFG_UINT, offsetof(struct dt_modcfg, timeout), 10, 600, NULL, 0},
    {"qr", DT_CFG_ENUM, offsetof(struct dt_modcfg, qr), 0, 0, qr_styles, 0},
    {"wait", DT_CFG_ENUM, offsetof(struct dt_modcfg, wait), 0, 0, wait_modes, 0},
    {"lang", DT_CFG_ENUM, offsetof(struct dt_modcfg, lang), 0, 0, langs, 0},
    {"max_tries", DT_CFG_UINT, offsetof(struct dt_modcfg, max_tries), 1, 100, NULL, 0},
    {"prompt_after", DT_CFG_UINT, offsetof(struct dt_modcfg, prompt_after), DT_PROMPT_AFTER_MIN,
     600, NULL, 0},
    {"debug", DT_CFG_BOOL, offsetof(struct dt_modcfg, debug), 0, 0, NULL, 0},
    STR(corp_id, 0),
    STR(oapi_base, 0),
    STR(token_cache, 0),
    {"flow", DT_CFG_ENUM, offsetof(struct dt_modcfg, flow), 0, 0, flows, 0},
    {"token_api", DT_CFG_ENUM, offsetof(struct dt_modcfg, token_api), 0, 0, token_apis, 0},
    {"directory", DT_CFG_BOOL, offsetof(struct dt_modcfg, directory), 0, 0, NULL, 0},
    {"allow_external", DT_CFG_BOOL, offsetof(struct dt_modcfg, allow_external), 0, 0, NULL, 0},
    {"proxy_env", DT_CFG_BOOL, offsetof(struct dt_modcfg, proxy_env), 0, 0, NULL, 0},
    {"recovery", DT_CFG_BOOL, offsetof(struct dt_modcfg, recovery), 0, 0, NULL, 0},
    STR(recovery_file, 0),
    {"set_user", DT_CFG_BOOL, offsetof(struct dt_modcfg, set_user), 0, 0, NULL, 0},
    DT_CFG_END,
};
const struct dt_cfg_key *const dt_modcfg_keys = modcfg_keys;

int dt_keys_default(char **field, const char *value, struct dt_err *err)
{
	if (*field != NULL)
		return 0;
	*field = strdup(value);
	if (*field == NULL)
		return dt_err_oom(err);
	return 0;
}

/* Under su the working directory is the caller's: a relative path would
 * name a file the caller chose. */
int dt_keys_absolute(const char *key, const char *path, struct dt_err *err)
{
	if (path != NULL && path[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%s' must be an absolute path", key,
				  path);
	return 0;
}

static int require(const char *key, const char *value, struct dt_err *err)
{
	if (value == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "required key '%s' is not set", key);
	return 0;
}

int dt_modcfg_finish(struct dt_modcfg *cfg, struct dt_err *err)
{
	if (require("client_id", cfg->client_id, err) < 0 ||
	    require("client_secret", cfg->client_secret, err) < 0 ||
	    dt_keys_default(&cfg->login_base, DT_DEFAULT_LOGIN_BASE, err) < 0 ||
	    dt_keys_default(&cfg->api_base, DT_DEFAULT_API_BASE, err) < 0 ||
	    dt_keys_default(&cfg->helper, DT_DEFAULT_HELPER, err) < 0 ||
	    dt_keys_default(&cfg->map_file, DT_DEFAULT_MAP, err) < 0 ||
	    dt_keys_finish_client(cfg, err) < 0)
		return -1;
	if (dt_check_base_url("login_base", cfg->login_base, err) < 0 ||
	    dt_check_base_url("api_base", cfg->api_base, err) < 0)
		return -1;
	if (dt_keys_finish_helper(cfg, err) < 0)
		return -1;
	if (dt_keys_absolute("map_file", cfg->map_file, err) < 0 ||
	    dt_keys_absolute("ca_file", cfg->ca_file, err) < 0)
		return -1;
	if (!dt_is_printable_id(cfg->client_id))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "client_id: contains spaces or control characters");
	return dt_keys_finish_policy(cfg, err);
}

static int key_is_secret(const char *key)
{
	const struct dt_cfg_key *k;

	for (k = dt_modcfg_keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return k->secret;
	return 0;
}

static int apply_argument(struct dt_modcfg *cfg, const char *arg, struct dt_err *err)
{
	char key[64], shown[80];
	const char *eq = strchr(arg, '=');
	size_t klen;

	/* Arguments come from a pam.d file; keep a log line one line. */
	snprintf(shown, sizeof(shown), "%s", arg);
	dt_sanitize_text(shown);
	if (strcmp(arg, "debug") == 0)
		return cfg->debug = 1, 0;
	klen = eq != NULL ? (size_t)(eq - arg) : 0;
	if (eq == NULL || klen == 0 || klen >= sizeof(key))
		return dt_err_set(err, DT_ERR_CONFIG, "module argument '%s': unknown", shown);
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (strcmp(key, "conf") == 0)
		return 0;
	if (strcmp(key, "helper") == 0)
		snprintf(cfg->helper_origin, sizeof(cfg->helper_origin), "module argument");
	if (key_is_secret(key))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "module argument '%s': refused: files in /etc/pam.d are "
				  "world-readable; put it in the configuration file",
				  key);
	return dt_cfg_set(dt_modcfg_keys, cfg, key, eq + 1, "module argument", err);
}

/* `[service NAME]`: the name, or NULL (err set) for any other header. */
static const char *section_service(const char *section, const char *where, struct dt_err *err)
{
	const char *name = section + 7;

	if (strncmp(section, "service", 7) != 0 || (*name != ' ' && *name != '\t')) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: unknown section '[%s]' (want [service NAME])",
			   where, section);
		return NULL;
	}
	name += strspn(name, " \t");
	if (name[0] == '\0' || strpbrk(name, " \t") != NULL) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: '[%s]' must name exactly one service", where,
			   section);
		return NULL;
	}
	return name;
}

/* Every section is parsed (into a scratch copy) so that a typo in the
 * sshd section is found when sudo runs too. */
static int any_section(void *ctx, const char *section, const char *where, struct dt_err *err)
{
	(void)ctx;
	return section_service(section, where, err) == NULL ? -1 : 1;
}

static int this_service(void *ctx, const char *section, const char *where, struct dt_err *err)
{
	const char *service = ctx, *name = section_service(section, where, err);

	if (name == NULL)
		return -1;
	return service != NULL && strcmp(name, service) == 0;
}

static int load_file(struct dt_modcfg *cfg, const char *path, const char *service,
		     struct dt_err *err)
{
	struct dt_modcfg scratch;
	size_t len = 0;
	char *text = dt_read_protected_file(path, DT_FILE_SECRET, DT_CFG_MAX_BYTES, &len, err);
	int rc;

	if (text == NULL)
		return -1;
	memset(&scratch, 0, sizeof(scratch));
	rc = dt_cfg_parse_text(text, len, path, dt_modcfg_keys, &scratch, any_section, NULL, err);
	dt_modcfg_free(&scratch);
	if (rc == 0)
		rc = dt_cfg_parse_text(text, len, path, dt_modcfg_keys, cfg, this_service,
				       (void *)(uintptr_t)service, err);
	/* Checked after loading (dt_modcfg_finish), but named by its line. */
	if (rc == 0)
		rc = dt_cfg_key_origin(text, len, path, "helper", this_service,
				       (void *)(uintptr_t)service, cfg->helper_origin,
				       sizeof(cfg->helper_origin), err);
	dt_free_secret(text);
	return rc;
}

int dt_modcfg_load_for(struct dt_modcfg *cfg, const char *service, int argc, const char **argv,
		       struct dt_err *err)
{
	const char *path = DT_DEFAULT_CONF;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout = DT_DEFAULT_TIMEOUT;
	cfg->max_tries = DT_DEFAULT_MAX_TRIES;
	cfg->prompt_after = DT_DEFAULT_PROMPT_AFTER;
	cfg->recovery = 1;
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0)
			path = argv[i] + 5;
	if (dt_keys_absolute("conf", path, err) < 0 || load_file(cfg, path, service, err) < 0)
		return -1;
	for (i = 0; i < argc; i++)
		if (apply_argument(cfg, argv[i], err) < 0)
			return -1;
	return dt_modcfg_finish(cfg, err);
}

int dt_modcfg_load(struct dt_modcfg *cfg, int argc, const char **argv, struct dt_err *err)
{
	return dt_modcfg_load_for(cfg, NULL, argc, argv, err);
}

void dt_modcfg_free(struct dt_modcfg *cfg)
{
	dt_group_list_free(&cfg->only_groups);
	dt_group_list_free(&cfg->skip_groups);
	dt_dept_list_free(&cfg->allowed_depts);
	dt_domain_list_free(&cfg->email_domain);
	dt_host_key_wipe(&cfg->helper_key);
	dt_cfg_free(dt_modcfg_keys, cfg);
}
