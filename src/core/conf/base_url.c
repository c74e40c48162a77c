#include "config.h"

#include "conf/base_url.h"

#include <arpa/inet.h>
#include <string.h>

#include "base/err.h"

static int host_is_loopback(const char *host, size_t len)
{
	char name[64];
	struct in_addr v4;

	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, host, len);
	name[len] = '\0';
	if (strcmp(name, "localhost") == 0 || strcmp(name, "[::1]") == 0)
		return 1;
	/* A dotted quad in 127.0.0.0/8; "127.0.0.1.example.com" is not one. */
	return inet_pton(AF_INET, name, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

int dt_check_base_url(const char *key, const char *url, struct dt_err *err)
{
	const char *host, *end;

	if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%s' must start with https://", key,
				  url);
	end = host + strcspn(host, "/?#");
	if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%s' has no usable host", key, url);
	if (host == url + 7) {
		/* The host part without a port. */
		const char *colon = host[0] == '[' ? strchr(host, ']') : strchr(host, ':');
		size_t len = (size_t)(end - host);
		if (colon != NULL && colon < end)
			len = (size_t)(colon - host) + (host[0] == '[');
		if (!host_is_loopback(host, len))
			return dt_err_set(err, DT_ERR_CONFIG,
					  "%s: '%s': plain http:// is only allowed to a loopback "
					  "address; use https://",
					  key, url);
	}
	if (strlen(url) > 512 || strpbrk(url, " \t\"<>\\^`{|}") != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%s' is not a valid URL", key, url);
	return 0;
}
