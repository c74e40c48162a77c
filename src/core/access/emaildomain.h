/* email_domain: the mail domains whose addresses may name local accounts
 * (map = directory:email, directory:org_email). Only the local part of an
 * address becomes the account name, so without this check any address
 * with the right local part (alice@anywhere) would name `alice`. */
#ifndef DT_EMAILDOMAIN_H
#define DT_EMAILDOMAIN_H

#include <stddef.h>

#include "conf/types.h"

/* The length of the local part of `address` when its domain (everything
 * after its first '@') is one of `domains`, compared without regard to case;
 * -1 when it has no '@', an empty local part, another domain, or the
 * list is empty or NULL (nothing is trusted unless configured). */
int dt_email_local_len(const char *address, const struct dt_domain_list *domains);

#endif
