/* Flow C's keys: where the page loads DingTalk's JSAPI from, and the
 * Subresource Integrity hash that pins it.
 *
 * The address goes into the page's HTML and its Content-Security-Policy,
 * so it is held to a character set that needs no escaping in either; the
 * hash is what makes a script from another host safe to run, so it must
 * be well formed here rather than silently ignored by the browser. A
 * missing hash is no error: flow C then refuses to run (inapp.h) and
 * --check-config warns. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conf/cfg.h"
#include "base/file.h"

#define HTTPS	     "https://"
#define BASE64_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define HOST_CHARS   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"
#define PORT_CHARS   "0123456789"
/* Unreserved characters, '/', '%' and a few sub-delimiters: never a
 * quote, '<', '>', ';', ',' or a space (HTML attribute, CSP). */
#define PATH_CHARS HOST_CHARS "_~/%+=&?!:@"

/* The hashes a browser accepts in `integrity`, by the base64 length of
 * their digest (with '=' padding). */
static const struct {
	const char *prefix;
	size_t b64_len, pad;
} sri_algs[] = {
    {"sha256-", 44, 1},
    {"sha384-", 64, 0},
    {"sha512-", 88, 2},
};

/* "FILE:LINE: key: " for an error about `key` (the line is left out when
 * the file cannot be read again or the key is not in it: the default). */
static void key_where(const char *path, const char *key, char *at, size_t size)
{
	struct dt_err ignored;
	size_t len = 0;
	char *text;

	memset(&ignored, 0, sizeof(ignored));
	snprintf(at, size, "%s", path);
	text = dt_read_protected_file(path, DT_FILE_PUBLIC, DT_CFG_MAX_BYTES, &len, &ignored);
	if (text != NULL &&
	    (dt_cfg_key_origin(text, len, path, key, NULL, NULL, at, size, &ignored) != 0 ||
	     at[0] == '\0'))
		snprintf(at, size, "%s", path);
	free(text);
}

static int refuse(const char *path, const char *key, const char *why, const char *value,
		  struct dt_err *err)
{
	char at[PATH_MAX + 32];

	key_where(path, key, at, sizeof(at));
	return dt_err_set(err, DT_ERR_CONFIG, "%s: %s %s (got '%s')", at, key, why, value);
}

/* https://host[:port]/path; the origin (up to the path) into `origin`. */
static int parse_url(const char *url, char **origin)
{
	const char *host = url + strlen(HTTPS), *p;
	size_t hlen;

	if (strncmp(url, HTTPS, strlen(HTTPS)) != 0 || strlen(url) > CBD_INAPP_JSAPI_URL_MAX)
		return -1;
	hlen = strspn(host, HOST_CHARS);
	if (hlen == 0 || host[0] == '.' || host[0] == '-')
		return -1;
	p = host + hlen;
	if (*p == ':') {
		size_t plen = strspn(p + 1, PORT_CHARS);

		if (plen == 0 || plen > 5 || atoi(p + 1) < 1 || atoi(p + 1) > 65535)
			return -1;
		p += 1 + plen;
	}
	if (*p != '/' || p[strspn(p, PATH_CHARS)] != '\0')
		return -1;
	*origin = strndup(url, (size_t)(p - url));
	return *origin != NULL ? 0 : -1;
}

static int integrity_ok(const char *sri)
{
	size_t i, n;

	for (i = 0; i < sizeof(sri_algs) / sizeof(sri_algs[0]); i++) {
		size_t plen = strlen(sri_algs[i].prefix);
		const char *b64 = sri + plen;

		if (strncmp(sri, sri_algs[i].prefix, plen) != 0)
			continue;
		n = strspn(b64, BASE64_CHARS);
		return strlen(b64) == sri_algs[i].b64_len &&
		       n == sri_algs[i].b64_len - sri_algs[i].pad &&
		       strspn(b64 + n, "=") == sri_algs[i].pad;
	}
	return 0;
}

int cbd_conf_check_inapp(struct cbd_conf *conf, const char *path, struct dt_err *err)
{
	if (conf->inapp_jsapi_url == NULL) {
		conf->inapp_jsapi_url = strdup(CBD_DEFAULT_INAPP_JSAPI_URL);
		if (conf->inapp_jsapi_url == NULL)
			return dt_err_oom(err);
	}
	free(conf->inapp_jsapi_origin);
	conf->inapp_jsapi_origin = NULL;
	if (parse_url(conf->inapp_jsapi_url, &conf->inapp_jsapi_origin) != 0)
		return refuse(path, "inapp_jsapi_url",
			      "must be an https:// address with a host and a path, at most 512 "
			      "bytes of letters, digits and -._~/%+=&?!:@ (DingTalk's documented "
			      "one is " CBD_DEFAULT_INAPP_JSAPI_URL ")",
			      conf->inapp_jsapi_url, err);
	if (conf->inapp_jsapi_integrity != NULL && !integrity_ok(conf->inapp_jsapi_integrity))
		return refuse(path, "inapp_jsapi_integrity",
			      "must be one sha256-, sha384- or sha512- hash of the file in base64 "
			      "(see dingtalk-callbackd(8), inapp_jsapi_integrity)",
			      conf->inapp_jsapi_integrity, err);
	return 0;
}
