#include "config.h"

#include "access/emaildomain.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define SEPARATORS " \t,"
/* RFC 1035's longest name; also keeps an error message short. */
#define DOMAIN_MAX 253

static int valid_domain(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > DOMAIN_MAX || p[0] == '.' || p[0] == '-' || p[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' && p[i] != '-')
			return 0;
	return 1;
}

int dt_email_domains_check(const char *list, struct dt_err *err)
{
	const char *p = list;
	size_t len;
	int n = 0;

	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		len = strcspn(p, SEPARATORS);
		if (!valid_domain(p, len))
			return dt_err_set(err, DT_ERR_CONFIG,
					  "email_domain: '%.64s' is not a domain name (want e.g. "
					  "example.com, without '@')",
					  p);
		n++;
		p += len;
	}
	if (n == 0)
		return dt_err_set(err, DT_ERR_CONFIG, "email_domain: names no domain");
	return 0;
}

int dt_email_local_len(const char *address, const char *list)
{
	const char *at = strchr(address, '@'), *p = list;
	size_t len;

	if (at == NULL || at == address || list == NULL)
		return -1;
	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		len = strcspn(p, SEPARATORS);
		/* The whole rest must match: alice@example.com.evil is not
		 * example.com, nor is alice@x@example.com. */
		if (strlen(at + 1) == len && strncasecmp(at + 1, p, len) == 0)
			return (int)(at - address);
		p += len;
	}
	return -1;
}
