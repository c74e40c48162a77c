/* The local name the directory gives a person (map = directory:<field>),
 * and what a local account may be called. */
#ifndef DT_MAPSRC_H
#define DT_MAPSRC_H

#include <stddef.h>

#include "base/err.h"
#include "conf/types.h"
#include "dingtalk/identity.h"

/* A name a local account may have: 1..32 of [A-Za-z0-9._-], not starting
 * with '-' or '.' (and optionally ending in '$'). */
int dt_valid_user_name(const char *name);

/* The local name from a directory field: email and org_email give their
 * local part, and only for an address in one of `email_domains` (the
 * email_domain key; an empty list trusts no address); then the
 * transformations (map_transform's DT_XFORM_* flags).
 * Returns 0, or -1 with a DT_ERR_DENIED reason (field empty or not looked
 * up, an address in another domain, invalid name, or an external contact
 * (contact_type 1): their fields are free text of the organisation's
 * employees, so only a unionId map can admit them). */
int dt_directory_name(const struct dt_identity *who, enum dt_dir_field field, unsigned xform,
		      const struct dt_domain_list *email_domains, char *out, size_t size,
		      struct dt_err *err);

#endif
