#include "config.h"

#include "dingtalk/ipban_share.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "base/util.h"
#include "dingtalk/apptoken.h"
#include "dingtalk/ipban.h"

/* The file: {"bans": {"<scheme://host[:port]>": <end, wall-clock ms>}}.
 * Wall clock, since processes share it; a clock set back cannot make a
 * ban longer than DT_IPBAN_MAX_MS. */

static char *share_path(const struct dt_modcfg *cfg)
{
	return dt_asprintf("%s.ban", cfg->token_cache);
}

/* The origin of a base URL: the base itself up to its path. */
static int same_origin(const char *origin, const char *base)
{
	size_t n = strlen(origin);
	const char *host = strstr(base, "://");

	if (host == NULL || strncmp(origin, base, n) != 0)
		return 0;
	return base[n] == '\0' || base[n] == '/' || base[n] == '?' || base[n] == '#';
}

void dt_ipban_share_load(const struct dt_modcfg *cfg)
{
	const struct dt_file_rules rules = {
	    .owner = geteuid(), .forbidden = 077, .max_bytes = DT_IPBAN_SHARE_MAX_FILE};
	char *path = share_path(cfg), *text = NULL;
	json_object *obj = NULL, *bans;
	int64_t now = dt_wall_ms();
	size_t len = 0;

	/* Whoever may write to the directory could put a file there. */
	if (path != NULL && dt_apptoken_dir_ready(cfg, 0))
		text = dt_file_read(path, &rules, &len, NULL, NULL);
	if (text != NULL)
		obj = dt_json_parse_object(text, len);
	if (obj != NULL && json_object_object_get_ex(obj, "bans", &bans) &&
	    json_object_is_type(bans, json_type_object)) {
		json_object_object_foreach(bans, origin, until)
		{
			int64_t left = json_object_is_type(until, json_type_int)
					   ? json_object_get_int64(until) - now
					   : 0;

			if (left <= 0 || (!same_origin(origin, cfg->api_base) &&
					  !same_origin(origin, cfg->oapi_base)))
				continue;
			dt_ipban_note(origin, left < DT_IPBAN_MAX_MS ? left : DT_IPBAN_MAX_MS);
		}
	}
	json_object_put(obj);
	free(text);
	free(path);
}

/* Adds base's origin and the end of its ban to `bans`, if it is banned. */
static int add_ban(json_object *bans, const char *base, int64_t now)
{
	int64_t left = dt_ipban_remaining_ms(base);
	const char *host = strstr(base, "://");
	char *origin;
	int added;

	if (left <= 0 || host == NULL)
		return 0;
	origin = strndup(base, (size_t)(host + 3 - base) + strcspn(host + 3, "/?#"));
	if (origin == NULL)
		return 0;
	added = json_object_object_add(bans, origin, json_object_new_int64(now + left)) == 0;
	free(origin);
	return added;
}

void dt_ipban_share_save(const struct dt_modcfg *cfg)
{
	json_object *obj = json_object_new_object(), *bans = json_object_new_object();
	int64_t now = dt_wall_ms();
	char *path = NULL;
	const char *text;
	size_t len = 0;
	int n;

	if (obj == NULL || bans == NULL || json_object_object_add(obj, "bans", bans) != 0) {
		json_object_put(bans);
		json_object_put(obj);
		return;
	}
	n = add_ban(bans, cfg->api_base, now);
	if (strcmp(cfg->oapi_base, cfg->api_base) != 0)
		n += add_ban(bans, cfg->oapi_base, now);
	if (n > 0 && dt_apptoken_dir_ready(cfg, 1) && (path = share_path(cfg)) != NULL &&
	    (text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len)) != NULL) {
		const struct dt_file_write w = {.path = path, .mode = 0600};

		/* Failure only costs a call to DingTalk from a later login. */
		(void)dt_file_replace(&w, text, len, NULL);
	}
	free(path);
	json_object_put(obj);
}
