/* The map sources (`map = file userfile directory:email`), tried in
 * order, and the local name the directory gives a person. */
#ifndef DT_MAPSRC_H
#define DT_MAPSRC_H

#include <stddef.h>

#include "dingtalk/exchange.h"
#include "base/err.h"

enum dt_map_kind { DT_MAP_FILE, DT_MAP_USERFILE, DT_MAP_DIRECTORY };
enum dt_dir_field { DT_DIR_USERID, DT_DIR_JOB_NUMBER, DT_DIR_EMAIL, DT_DIR_ORG_EMAIL };

#define DT_MAP_MAX_SOURCES 8

struct dt_map_source {
	enum dt_map_kind kind;
	enum dt_dir_field field; /* DT_MAP_DIRECTORY only */
};

struct dt_map_spec {
	size_t n;
	struct dt_map_source src[DT_MAP_MAX_SOURCES];
};

int dt_map_spec_parse(const char *text, struct dt_map_spec *out, struct dt_err *err);

/* Whether the `map` key's sources include `kind` (0 for a bad spec). */
int dt_map_uses(const char *map, enum dt_map_kind kind);

/* map_transform: `lower` and/or `strip_domain` (cut at '@'). */
#define DT_XFORM_LOWER	      1u
#define DT_XFORM_STRIP_DOMAIN 2u
int dt_map_transform_parse(const char *text, unsigned *flags, struct dt_err *err);

/* A name a local account may have: 1..32 of [A-Za-z0-9._-], not starting
 * with '-' or '.' (and optionally ending in '$'). */
int dt_valid_user_name(const char *name);

/* The local name from a directory field: email and org_email give their
 * local part, and only for an address in one of `email_domains` (the
 * email_domain key; NULL trusts no address); then the transformations.
 * Returns 0, or -1 with a DT_ERR_DENIED reason (field empty or not looked
 * up, an address in another domain, invalid name). */
int dt_directory_name(const struct dt_identity *who, enum dt_dir_field field, unsigned xform,
		      const char *email_domains, char *out, size_t size, struct dt_err *err);

const char *dt_dir_field_name(enum dt_dir_field field);

#endif
