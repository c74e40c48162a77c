#include "config.h"

#include "dingtalk/apptoken.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/json.h"
#include "dingtalk/api.h"
#include "base/util.h"

/* The longest wait for another process that is fetching the token. */
#define LOCK_WAIT_MS 3000

struct cached {
	char *token;
	int64_t refresh_at; /* wall-clock seconds */
};

static int64_t wall_s(void)
{
	return dt_wall_ms() / 1000;
}

/* The token's cache is only trusted for the same app at the same base. */
static const char *token_base(const struct dt_modcfg *cfg)
{
	return cfg->token_api == DT_TOKEN_API_GETTOKEN ? cfg->oapi_base : cfg->api_base;
}

/* Reads the cache: a regular file of ours that nobody else can read or
 * write, small, not empty. NULL if absent or not trustworthy (then it is
 * replaced, never used). */
static char *read_cache_text(const char *path, size_t *len)
{
	const struct dt_file_rules rules = {
	    .owner = geteuid(), .forbidden = 077, .max_bytes = DT_APPTOKEN_MAX_FILE};
	char *text = dt_file_read(path, &rules, len, NULL, NULL);

	if (text != NULL && *len == 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int read_cache(const struct dt_modcfg *cfg, struct cached *out)
{
	size_t len = 0;
	char *text = read_cache_text(cfg->token_cache, &len);
	json_object *obj, *v;
	const char *app, *base, *token;
	int64_t refresh_at;

	if (text == NULL)
		return -1;
	obj = dt_json_parse_object(text, len);
	OPENSSL_cleanse(text, len);
	free(text);
	if (obj == NULL)
		return -1;
	app = dt_json_string(obj, "app");
	base = dt_json_string(obj, "base");
	token = dt_json_string(obj, "token");
	refresh_at = json_object_object_get_ex(obj, "refresh_at", &v) &&
			     json_object_is_type(v, json_type_int)
			 ? json_object_get_int64(v)
			 : 0;
	if (app != NULL && base != NULL && token != NULL && strcmp(app, cfg->client_id) == 0 &&
	    strcmp(base, token_base(cfg)) == 0 && dt_is_printable_id(token) &&
	    refresh_at > wall_s()) {
		out->token = strdup(token);
		out->refresh_at = refresh_at;
	}
	dt_json_wipe_put(obj);
	return out->token != NULL ? 0 : -1;
}

/* Replaces the cache atomically (base/file.h), 0600. Failure only costs a
 * later fetch. */
static void write_cache(const struct dt_modcfg *cfg, const struct cached *c)
{
	const struct dt_file_write w = {.path = cfg->token_cache, .mode = 0600};
	json_object *o = json_object_new_object();
	const char *text = NULL;
	size_t len = 0;

	if (o != NULL &&
	    json_object_object_add(o, "app", json_object_new_string(cfg->client_id)) == 0 &&
	    json_object_object_add(o, "base", json_object_new_string(token_base(cfg))) == 0 &&
	    json_object_object_add(o, "token", json_object_new_string(c->token)) == 0 &&
	    json_object_object_add(o, "refresh_at", json_object_new_int64(c->refresh_at)) == 0)
		text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	if (text != NULL)
		(void)dt_file_replace(&w, text, len, NULL);
	dt_json_wipe_put(o);
}

static int directory_is_ours(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       (st.st_mode & 022) == 0;
}

/* mkdir's mode is cut by the umask of whoever runs the module (su's
 * caller): a directory made here is set to 0700 on its descriptor. One
 * that exists is left as it is (directory_is_ours judges it). */
static int make_private_dir(const char *dir)
{
	int fd, ok;

	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ok = fchmod(fd, 0700) == 0;
	close(fd);
	return ok ? 0 : -1;
}

int dt_apptoken_dir_ready(const struct dt_modcfg *cfg, int create)
{
	char *copy = strdup(cfg->token_cache);
	const char *dir = copy != NULL ? dirname(copy) : NULL;
	int ok = dir != NULL && (!create || make_private_dir(dir) == 0) && directory_is_ours(dir);

	free(copy);
	return ok;
}

/* Creates the cache's directory (only its last component, 0700) if it is
 * missing, and takes the lock that keeps processes from fetching at once.
 * Returns the lock's descriptor, or -1: the cache is then skipped. */
static int lock_cache(const struct dt_modcfg *cfg, int64_t deadline_ms)
{
	char *lock = dt_asprintf("%s.lock", cfg->token_cache);
	char *dir = strdup(cfg->token_cache);
	int64_t give_up = dt_now_ms() + LOCK_WAIT_MS;
	struct timespec pause = {0, 50 * 1000000L};
	int fd = -1;

	if (lock != NULL && dir != NULL) {
		if (make_private_dir(dirname(dir)) < 0)
			goto out;
		/* Temporary files and renames in a directory others can write
		 * to could be raced: such a directory is not used at all. */
		if (!directory_is_ours(dir))
			goto out;
		fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		/* 0600 whatever the caller's umask cut from open's mode. */
		if (fd >= 0 && fchmod(fd, 0600) != 0) {
			close(fd);
			fd = -1;
		}
	}
	if (give_up > deadline_ms)
		give_up = deadline_ms;
	while (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || dt_now_ms() >= give_up) {
			close(fd);
			fd = -1;
			break;
		}
		nanosleep(&pause, NULL);
	}
out:
	free(lock);
	free(dir);
	return fd;
}

static char *token_request_v1(const struct dt_modcfg *cfg)
{
	json_object *o = json_object_new_object();
	char *out = NULL;

	if (o != NULL &&
	    json_object_object_add(o, "appKey", json_object_new_string(cfg->client_id)) == 0 &&
	    json_object_object_add(o, "appSecret", json_object_new_string(cfg->client_secret)) == 0)
		out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	dt_json_wipe_put(o);
	return out;
}

/* Asks DingTalk for the token (either API) and when to replace it. */
static int fetch_token(struct dt_http *h, const struct dt_modcfg *cfg, int64_t deadline_ms,
		       struct cached *out, struct dt_err *err)
{
	int v1 = cfg->token_api == DT_TOKEN_API_V1;
	struct dt_api_call c = {.name = v1 ? "oauth2/accessToken" : "gettoken",
				.method = v1 ? "POST" : "GET",
				.url = NULL,
				.headers = NULL,
				.body = NULL,
				.envelope = v1 ? DT_ENV_V1 : DT_ENV_OAPI,
				.single_use = 0,
				.names_person = 0,
				.permission_proven = 0,
				.signed_at_ms = 0};
	char *key = dt_urlencode(cfg->client_id), *secret = dt_urlencode(cfg->client_secret);
	char *body = v1 ? token_request_v1(cfg) : NULL, *url = NULL;
	json_object *answer = NULL;
	const char *token;
	unsigned expire = 0;

	if (v1)
		url = dt_asprintf("%s/v1.0/oauth2/accessToken", cfg->api_base);
	else if (key != NULL && secret != NULL)
		url =
		    dt_asprintf("%s/gettoken?appkey=%s&appsecret=%s", cfg->oapi_base, key, secret);
	c.url = url;
	c.body = body;
	if (url == NULL || (v1 && body == NULL))
		dt_err_oom(err);
	else
		answer = dt_api_call(h, &c, deadline_ms, NULL, err);
	dt_free_secret(url);
	dt_free_secret(body);
	dt_free_secret(secret);
	free(key);
	if (answer == NULL)
		return -1;
	token = dt_json_string(answer, v1 ? "accessToken" : "access_token");
	if (token == NULL || token[0] == '\0' || strlen(token) > 1024 ||
	    !dt_is_printable_id(token) ||
	    dt_json_uint(answer, v1 ? "expireIn" : "expires_in", 86400 * 30, &expire) < 0 ||
	    expire == 0) {
		dt_json_wipe_put(answer);
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "DingTalk %s: an answer without a usable token and lifetime",
				  c.name);
	}
	out->token = strdup(token);
	out->refresh_at = wall_s() + expire -
			  (expire / 2 < DT_APPTOKEN_MARGIN_S ? expire / 2 : DT_APPTOKEN_MARGIN_S);
	dt_json_wipe_put(answer);
	if (out->token == NULL)
		return dt_err_oom(err);
	return 0;
}

char *dt_app_token(struct dt_http *h, const struct dt_modcfg *cfg, int fresh, int64_t deadline_ms,
		   struct dt_err *err)
{
	struct cached c = {NULL, 0};
	int lock = lock_cache(cfg, deadline_ms);

	/* Under the lock, a token another process has just fetched is read
	 * instead of fetching one more; `fresh` skips it all the same. */
	if ((fresh || lock < 0 || read_cache(cfg, &c) < 0) &&
	    fetch_token(h, cfg, deadline_ms, &c, err) == 0 && lock >= 0)
		write_cache(cfg, &c);
	if (lock >= 0)
		close(lock); /* releases the flock */
	return c.token;
}

json_object *dt_app_call(struct dt_http *h, const struct dt_modcfg *cfg, const char *name,
			 const char *path, const char *body, unsigned input, int64_t deadline_ms,
			 struct dt_err *err)
{
	struct dt_api_call c = {.name = name,
				.method = "POST",
				.url = NULL,
				.headers = NULL,
				.body = body,
				.envelope = DT_ENV_OAPI,
				.single_use = (input & DT_APP_CALL_CODE) != 0,
				.names_person = (input & DT_APP_CALL_PERSON) != 0,
				.permission_proven = (input & DT_APP_CALL_PROVEN) != 0,
				.signed_at_ms = 0};
	enum dt_api_class cls = DT_API_FAIL;
	json_object *answer = NULL;
	int fresh;

	for (fresh = 0; fresh < 2 && answer == NULL; fresh++) {
		char *token = dt_app_token(h, cfg, fresh, deadline_ms, err);
		char *url = NULL;

		if (token == NULL)
			return NULL;
		url = dt_asprintf("%s%s?access_token=%s", cfg->oapi_base, path, token);
		dt_free_secret(token);
		if (url == NULL) {
			dt_err_oom(err);
			return NULL;
		}
		c.url = url;
		answer = dt_api_call(h, &c, deadline_ms, &cls, err);
		dt_free_secret(url);
		if (answer == NULL && cls != DT_API_TOKEN)
			break;
	}
	return answer;
}
