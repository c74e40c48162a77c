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

/* Origins a host's configurations may name (api_base, oapi_base, as each
 * service's file sets them); more, or longer, are not kept. */
#define SHARE_MAX_BANS	 8
#define SHARE_ORIGIN_MAX 200

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

/* The end of a recorded ban, if it is one that has not ended: a number
 * past `now`. Compared before any arithmetic, so that no value in the
 * file (INT64_MIN, INT64_MAX) can overflow. */
static int ban_end(json_object *until, int64_t now, int64_t *end)
{
	int64_t v;

	if (!json_object_is_type(until, json_type_int))
		return 0;
	v = json_object_get_int64(until);
	if (v <= now)
		return 0;
	*end = v - now > DT_IPBAN_MAX_MS ? now + DT_IPBAN_MAX_MS : v;
	return 1;
}

/* The file's bans that have not ended, as {origin: end}, at most
 * SHARE_MAX_BANS of them with origins of a sane length; an empty object
 * when the file is missing, unsafe or unreadable. NULL only without
 * memory. */
static json_object *read_bans(const struct dt_modcfg *cfg, int64_t now)
{
	const struct dt_file_rules rules = {
	    .owner = geteuid(), .forbidden = 077, .max_bytes = DT_IPBAN_SHARE_MAX_FILE};
	char *path = share_path(cfg), *text = NULL;
	json_object *obj = NULL, *bans, *out = json_object_new_object();
	size_t len = 0, n = 0;
	int64_t end;

	/* Whoever may write to the directory could put a file there. */
	if (out != NULL && path != NULL && dt_apptoken_dir_ready(cfg, 0))
		text = dt_file_read(path, &rules, &len, NULL, NULL);
	if (text != NULL)
		obj = dt_json_parse_object(text, len);
	if (obj != NULL && json_object_object_get_ex(obj, "bans", &bans) &&
	    json_object_is_type(bans, json_type_object)) {
		json_object_object_foreach(bans, origin, until)
		{
			if (n >= SHARE_MAX_BANS || strlen(origin) >= SHARE_ORIGIN_MAX ||
			    !ban_end(until, now, &end))
				continue;
			if (json_object_object_add(out, origin, json_object_new_int64(end)) == 0)
				n++;
		}
	}
	json_object_put(obj);
	free(text);
	free(path);
	return out;
}

void dt_ipban_share_load(const struct dt_modcfg *cfg)
{
	int64_t now = dt_wall_ms(), end;
	json_object *bans = read_bans(cfg, now);

	if (bans == NULL)
		return;
	json_object_object_foreach(bans, origin, until)
	{
		if (!ban_end(until, now, &end) ||
		    (!same_origin(origin, cfg->api_base) && !same_origin(origin, cfg->oapi_base)))
			continue;
		dt_ipban_note(origin, end - now);
	}
	json_object_put(bans);
}

/* Sets base's origin in `bans` to the end of its ban in this process, if
 * it is banned here and the file does not already hold a later end. */
static int add_ban(json_object *bans, const char *base, int64_t now)
{
	int64_t left = dt_ipban_remaining_ms(base), recorded;
	const char *host = strstr(base, "://");
	json_object *known;
	char *origin;
	int added = 0;

	if (left <= 0 || host == NULL)
		return 0;
	origin = strndup(base, (size_t)(host + 3 - base) + strcspn(host + 3, "/?#"));
	if (origin == NULL)
		return 0;
	if (!json_object_object_get_ex(bans, origin, &known) || !ban_end(known, now, &recorded) ||
	    recorded < now + left)
		added =
		    json_object_object_add(bans, origin, json_object_new_int64(now + left)) == 0;
	free(origin);
	return added;
}

void dt_ipban_share_save(const struct dt_modcfg *cfg)
{
	int64_t now = dt_wall_ms();
	json_object *obj = json_object_new_object(), *bans = NULL;
	char *path = NULL;
	const char *text;
	size_t len = 0;
	int n;

	/* Another process's bans (of other base URLs too) stay: the file is
	 * rewritten with them, in the one atomic rename. */
	if (obj != NULL)
		bans = read_bans(cfg, now);
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
