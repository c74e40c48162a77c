#include "config.h"

#include "conf/helper_urls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEPARATORS ", \t"

/* A host name (letters, digits, dots and dashes) or an IPv6 address in
 * brackets: nothing a URL parser could read two ways. */
static int host_ok(const char *host, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return 0;
	if (host[0] == '[') {
		if (len < 4 || host[len - 1] != ']')
			return 0;
		for (i = 1; i + 1 < len; i++)
			if (strchr("0123456789abcdefABCDEF:.", host[i]) == NULL)
				return 0;
		return 1;
	}
	if (host[0] == '.' || host[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
			   host[i]) == NULL)
			return 0;
	return 1;
}

static int port_ok(const char *port, size_t len)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(port[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "https://HOST[:PORT][/]" into out (the trailing slash dropped). */
static int parse_https(const char *url, size_t len, char out[DT_HELPER_URL_MAX + 1],
		       struct dt_err *err)
{
	const char *auth = url + 8, *end = url + len, *colon;
	size_t alen;

	if (len > 8 && end[-1] == '/')
		end--;
	alen = (size_t)(end - auth);
	if (memchr(auth, '@', alen) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s': user information (user@) is not allowed: the "
				  "module authenticates with its host key (helper_key_file)",
				  (int)len, url);
	if (memchr(auth, '/', alen) != NULL || memchr(auth, '?', alen) != NULL ||
	    memchr(auth, '#', alen) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s': a path, query or fragment is not allowed: give "
				  "https://HOST[:PORT] only",
				  (int)len, url);
	/* The port's colon is the last one, after a bracketed address. */
	colon = memrchr(auth, ':', alen);
	if (colon != NULL && auth[0] == '[' && memchr(colon, ']', (size_t)(end - colon)) != NULL)
		colon = NULL;
	if (!host_ok(auth, colon != NULL ? (size_t)(colon - auth) : alen) ||
	    (colon != NULL && !port_ok(colon + 1, (size_t)(end - colon - 1))))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s' is not https://HOST[:PORT] (a host name, an "
				  "IPv4 address or [an IPv6 address], a port from 1 to 65535)",
				  (int)len, url);
	if (8 + alen > DT_HELPER_URL_MAX)
		return dt_err_set(err, DT_ERR_CONFIG, "helper: '%.*s' is too long", (int)len, url);
	memcpy(out, url, 8 + alen);
	out[8 + alen] = '\0';
	return 0;
}

static int add_url(struct dt_helper_urls *out, const char *url, size_t len, struct dt_err *err)
{
	unsigned i;

	if (len >= 7 && strncmp(url, "http://", 7) == 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s': plain http is refused, the service must be "
				  "reached over https:// (TLS verified against helper_ca_file)",
				  (int)len, url);
	if (len >= 5 && strncmp(url, "unix:", 5) == 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s': a unix: socket must be the only helper (a list "
				  "is for https:// replicas of one service)",
				  (int)len, url);
	if (len < 8 || strncmp(url, "https://", 8) != 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "helper: '%.*s' is not supported: use unix:/path/to/control.sock "
				  "or a list of https://HOST[:PORT]",
				  (int)len, url);
	if (out->n == DT_HELPER_URLS_MAX)
		return dt_err_set(err, DT_ERR_CONFIG, "helper: more than %d URLs",
				  DT_HELPER_URLS_MAX);
	if (parse_https(url, len, out->url[out->n], err) < 0)
		return -1;
	for (i = 0; i < out->n; i++)
		if (strcmp(out->url[i], out->url[out->n]) == 0)
			return dt_err_set(err, DT_ERR_CONFIG, "helper: '%s' is listed twice",
					  out->url[i]);
	out->n++;
	return 0;
}

int dt_helper_urls_parse(const char *text, struct dt_helper_urls *out, struct dt_err *err)
{
	const char *p = text;
	size_t len;

	memset(out, 0, sizeof(*out));
	p += strspn(p, SEPARATORS);
	len = strcspn(p, SEPARATORS);
	if (strncmp(p, "unix:", 5) == 0 && p[len] == '\0') {
		if (p[5] != '/')
			return dt_err_set(err, DT_ERR_CONFIG,
					  "helper: '%s': a unix: socket needs an absolute path "
					  "(unix:/run/dingtalk-callbackd/control.sock)",
					  text);
		out->socket = p + 5;
		return 0;
	}
	for (; *p != '\0'; p += strspn(p, SEPARATORS)) {
		len = strcspn(p, SEPARATORS);
		if (add_url(out, p, len, err) < 0)
			return -1;
		p += len;
	}
	if (out->n == 0)
		return dt_err_set(err, DT_ERR_CONFIG, "helper: no URL given");
	return 0;
}
