#include "config.h"

#include "login/requester.h"

#include <stdio.h>

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

void dt_requester(char *out, size_t size, uid_t ruid, const char *rhost, const char *service,
		  const char *user)
{
	/* A root caller is trusted to name the asker; a setuid program's
	 * real uid is the asker. */
	if (ruid != 0)
		snprintf(out, size, "uid:%lu", (unsigned long)ruid);
	else if (rhost != NULL && rhost[0] != '\0')
		snprintf(out, size, "rhost:%.256s user:%.256s", rhost, or_dash(user));
	else
		snprintf(out, size, "local:%.64s user:%.256s", or_dash(service), or_dash(user));
}

void dt_requester_address(char *out, size_t size, uid_t ruid, const char *rhost,
			  const char *service)
{
	/* The same three cases as dt_requester, with the same prefixes, so
	 * that a host name in rhost can never pass for a local uid. */
	if (ruid != 0)
		snprintf(out, size, "uid:%lu", (unsigned long)ruid);
	else if (rhost != NULL && rhost[0] != '\0')
		snprintf(out, size, "rhost:%.256s", rhost);
	else
		snprintf(out, size, "local:%.64s", or_dash(service));
}
