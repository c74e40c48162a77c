/* email_domain: the mail domains whose addresses may name local accounts
 * (map = directory:email, directory:org_email). Only the local part of an
 * address becomes the account name, so without this check any address
 * with the right local part (alice@anywhere) would name `alice`. */
#ifndef DT_EMAILDOMAIN_H
#define DT_EMAILDOMAIN_H

#include <stddef.h>

#include "base/err.h"

/* Checks the key's value: one or more domain names separated by spaces or
 * commas (letters, digits, '.' and '-'; no '@'). Returns 0, or -1 with a
 * DT_ERR_CONFIG naming the bad entry. */
int dt_email_domains_check(const char *list, struct dt_err *err);

/* The length of the local part of `address` when its domain (everything
 * after its first '@') is one of `list`, compared without regard to case;
 * -1 when it has no '@', an empty local part, another domain, or `list`
 * is NULL (nothing is trusted unless configured). */
int dt_email_local_len(const char *address, const char *list);

#endif
