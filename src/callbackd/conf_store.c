/* The store's configuration keys: which store, and how to reach Redis.
 *
 * The parser checks each value alone; what only makes sense together
 * (redis keys under store = memory, an address and sentinels at once, a
 * user without a password) is checked here, after parsing. Those errors
 * name the line of the key at fault, found by reading the file again: the
 * parser keeps no positions, and an administrator fixing a fleet's
 * configuration wants the line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "conf/cfg.h"
#include "base/file.h"
#include "base/util.h"

#define PASSWORD_MAX 512

/* The file's text, read again only to find lines for error messages. */
struct where {
	const char *path;
	char *text;
};

/* The 1-based line of the last `key = ...` in the file, or 0. */
static unsigned key_line(const struct where *w, const char *key)
{
	const char *p, *eol, *k, *end;
	size_t klen = strlen(key);
	unsigned line = 0, found = 0;

	if (w->text == NULL)
		return 0;
	for (p = w->text; *p != '\0'; p = *eol != '\0' ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		line++;
		for (k = p; k < eol && (*k == ' ' || *k == '\t'); k++)
			;
		if ((size_t)(eol - k) <= klen || strncmp(k, key, klen) != 0)
			continue;
		for (end = k + klen; end < eol && (*end == ' ' || *end == '\t'); end++)
			;
		if (end < eol && *end == '=')
			found = line;
	}
	return found;
}

static int key_set(const struct where *w, const char *key)
{
	return key_line(w, key) != 0;
}

/* "path:line: key" (or "path: key" when the key is not in the file). */
static int refuse(const struct where *w, const char *key, const char *fmt, const char *detail,
		  struct dt_err *err)
{
	char at[32] = "";
	unsigned line = key_line(w, key);

	if (line != 0)
		snprintf(at, sizeof(at), ":%u", line);
	return dt_err_set(err, DT_ERR_CONFIG, "%s%s: %s: %s%s", w->path, at, key, fmt,
			  detail != NULL ? detail : "");
}

int cbd_conf_each_item(const char *list, int (*fn)(void *ctx, const char *item), void *ctx)
{
	char *copy = strdup(list), *save = NULL, *item;
	int rc = 0;

	if (copy == NULL)
		return -1;
	for (item = strtok_r(copy, ", \t", &save); item != NULL && rc == 0;
	     item = strtok_r(NULL, ", \t", &save))
		rc = fn(ctx, item);
	free(copy);
	return rc;
}

/* host:port or [v6]:port with a host (not "*"). */
static int is_hostport(const char *s)
{
	char host[256], port[8];

	return cbd_split_hostport(s, host, sizeof(host), port, sizeof(port)) == 0 &&
	       host[0] != '\0';
}

static int check_redis_addr(const struct where *w, const char *addr, struct dt_err *err)
{
	struct sockaddr_un sun;

	if (strncmp(addr, "unix:", 5) == 0) {
		if (addr[5] != '/' || strlen(addr + 5) >= sizeof(sun.sun_path))
			return refuse(w, "redis",
				      "a Unix socket must be unix: and an absolute path shorter "
				      "than 108 bytes, not ",
				      addr, err);
		return 0;
	}
	if (!is_hostport(addr))
		return refuse(w, "redis",
			      "must be host:port, [v6addr]:port or unix:/path "
			      "(e.g. 127.0.0.1:6379), not ",
			      addr, err);
	return 0;
}

struct sentinel_count {
	unsigned n, bad;
};

static int count_sentinel(void *ctx, const char *item)
{
	struct sentinel_count *sc = ctx;

	sc->n++;
	if (!is_hostport(item))
		sc->bad = 1;
	return 0;
}

static int check_sentinels(const struct where *w, struct cbd_conf *conf, struct dt_err *err)
{
	struct sentinel_count sc = {.n = 0, .bad = 0};
	const char *m;

	if (cbd_conf_each_item(conf->redis_sentinels, count_sentinel, &sc) < 0)
		return dt_err_oom(err);
	if (sc.n == 0 || sc.bad)
		return refuse(w, "redis_sentinels",
			      "must list host:port addresses separated by spaces or commas, "
			      "e.g. 10.0.0.1:26379 10.0.0.2:26379 10.0.0.3:26379",
			      NULL, err);
	if (sc.n > CBD_REDIS_SENTINELS_MAX)
		return refuse(w, "redis_sentinels", "lists more than 8 sentinels", NULL, err);
	if (conf->redis_master == NULL || conf->redis_master[0] == '\0')
		return refuse(w, "redis_sentinels",
			      "needs redis_master, the name the sentinels monitor "
			      "(their 'sentinel monitor NAME ...' line)",
			      NULL, err);
	for (m = conf->redis_master; *m != '\0'; m++)
		if (!isalnum((unsigned char)*m) && strchr("._-", *m) == NULL)
			return refuse(w, "redis_master",
				      "may hold only letters, digits, '.', '_' and '-'", NULL, err);
	if (strlen(conf->redis_master) > 64)
		return refuse(w, "redis_master", "is longer than 64 bytes", NULL, err);
	return 0;
}

static int check_prefix(const struct where *w, const char *prefix, struct dt_err *err)
{
	const char *p;

	if (prefix[0] == '\0' || strlen(prefix) > CBD_REDIS_PREFIX_MAX)
		return refuse(w, "redis_prefix", "must be 1 to 64 characters", NULL, err);
	for (p = prefix; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return refuse(w, "redis_prefix",
				      "may hold only printable ASCII without spaces", NULL, err);
	return 0;
}

static int check_user(const struct where *w, const struct cbd_conf *conf, struct dt_err *err)
{
	const char *p;

	if (conf->redis_user == NULL)
		return 0;
	if (conf->redis_password_file == NULL)
		return refuse(w, "redis_user",
			      "needs redis_password_file (Redis authenticates a user with a "
			      "password)",
			      NULL, err);
	if (conf->redis_user[0] == '\0' || strlen(conf->redis_user) > 128)
		return refuse(w, "redis_user", "must be 1 to 128 characters", NULL, err);
	for (p = conf->redis_user; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return refuse(w, "redis_user",
				      "may hold only printable ASCII without spaces", NULL, err);
	return 0;
}

/* The password: the file's first line, without its newline. */
static int read_password(const struct where *w, struct cbd_conf *conf, struct dt_err *err)
{
	struct dt_err ferr;
	size_t len = 0;
	char *text, *nl;

	if (conf->redis_password_file[0] != '/')
		return refuse(w, "redis_password_file", "must be an absolute path", NULL, err);
	memset(&ferr, 0, sizeof(ferr));
	text = dt_read_protected_file(conf->redis_password_file, DT_FILE_SECRET, PASSWORD_MAX + 2,
				      &len, &ferr);
	if (text == NULL)
		return refuse(w, "redis_password_file", "", ferr.msg, err);
	nl = strchr(text, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (nl != NULL && nl > text && nl[-1] == '\r')
		nl[-1] = '\0';
	if (text[0] == '\0' || strlen(text) > PASSWORD_MAX) {
		dt_free_secret(text);
		return refuse(w, "redis_password_file", "the file's first line (the password) ",
			      "must hold 1 to 512 bytes", err);
	}
	conf->redis_password = text;
	return 0;
}

static const char *const redis_only_keys[] = {
    "redis",	"redis_sentinels", "redis_master",  "redis_user",	    "redis_password_file",
    "redis_db", "redis_prefix",	   "redis_timeout", "redis_failover_grace", NULL,
};

static int check_memory(const struct where *w, struct dt_err *err)
{
	size_t i;

	for (i = 0; redis_only_keys[i] != NULL; i++)
		if (key_set(w, redis_only_keys[i]))
			return refuse(w, redis_only_keys[i],
				      "is a Redis setting, but store is memory (the default): set "
				      "store = redis, or remove the key",
				      NULL, err);
	return 0;
}

static int check_redis(const struct where *w, struct cbd_conf *conf, struct dt_err *err)
{
	int has_addr = conf->redis != NULL, has_sentinels = conf->redis_sentinels != NULL;

	if (has_addr && has_sentinels)
		return refuse(w, "redis_sentinels",
			      "and redis are both set: name either one primary (redis) or the "
			      "sentinels that find it (redis_sentinels with redis_master)",
			      NULL, err);
	if (!has_addr && !has_sentinels)
		return refuse(w, "store",
			      "is redis, but neither redis (e.g. 127.0.0.1:6379) nor "
			      "redis_sentinels is set",
			      NULL, err);
	if (has_addr && conf->redis_master != NULL)
		return refuse(w, "redis_master", "is only used with redis_sentinels", NULL, err);
	if (has_addr && check_redis_addr(w, conf->redis, err) != 0)
		return -1;
	if (has_sentinels && check_sentinels(w, conf, err) != 0)
		return -1;
	if (conf->redis_prefix == NULL &&
	    (conf->redis_prefix = strdup(CBD_DEFAULT_REDIS_PREFIX)) == NULL)
		return dt_err_oom(err);
	if (check_prefix(w, conf->redis_prefix, err) != 0 || check_user(w, conf, err) != 0)
		return -1;
	if (conf->redis_password_file != NULL)
		return read_password(w, conf, err);
	return 0;
}

int cbd_conf_check_store(struct cbd_conf *conf, const char *path, struct dt_err *err)
{
	struct where w = {.path = path, .text = NULL};
	struct dt_err ignored;
	size_t len = 0;
	int rc;

	memset(&ignored, 0, sizeof(ignored));
	/* Already read and checked by the parser; read again for lines only,
	 * so a failure here just leaves the line numbers out. */
	w.text = dt_read_protected_file(path, DT_FILE_PUBLIC, DT_CFG_MAX_BYTES, &len, &ignored);
	if (conf->store == CBD_STORE_REDIS)
		rc = check_redis(&w, conf, err);
	else
		rc = check_memory(&w, err);
	free(w.text);
	/* Only sentinels promote a new primary by themselves: with one
	 * address (or the memory store) there is nothing to wait for. */
	if (conf->redis_failover_grace == CBD_REDIS_GRACE_UNSET)
		conf->redis_failover_grace =
		    conf->store == CBD_STORE_REDIS && conf->redis_sentinels != NULL
			? CBD_REDIS_GRACE_SENTINEL_DEFAULT
			: 0;
	return rc;
}
