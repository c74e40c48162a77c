#include "config.h"

#include "access/emaildomain.h"

#include <string.h>
#include <strings.h>

int dt_email_local_len(const char *address, const struct dt_domain_list *domains)
{
	const char *at = strchr(address, '@');
	size_t i;

	if (at == NULL || at == address || domains == NULL)
		return -1;
	/* The whole rest must match: alice@example.com.evil is not
	 * example.com, nor is alice@x@example.com. */
	for (i = 0; i < domains->n; i++)
		if (strcasecmp(at + 1, domains->name[i]) == 0)
			return (int)(at - address);
	return -1;
}
