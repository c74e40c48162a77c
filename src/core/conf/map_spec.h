/* The map and map_transform keys: which sources say who may log in as
 * whom, in what order, and how a name from the directory is transformed. */
#ifndef DT_CONF_MAP_SPEC_H
#define DT_CONF_MAP_SPEC_H

#include "base/err.h"
#include "conf/types.h"

/* `file userfile directory:email`: up to DT_MAP_MAX_SOURCES sources
 * separated by spaces or commas. Returns 0, or -1 with DT_ERR_CONFIG. */
int dt_map_spec_parse(const char *text, struct dt_map_spec *out, struct dt_err *err);

/* Whether the sources include `kind`. */
int dt_map_uses(const struct dt_map_spec *spec, enum dt_map_kind kind);

/* `lower` and/or `strip_domain` (cut at '@'), or `none`: DT_XFORM_* flags. */
int dt_map_transform_parse(const char *text, unsigned *flags, struct dt_err *err);

/* "userid", "job_number", "email" or "org_email". */
const char *dt_dir_field_name(enum dt_dir_field field);

#endif
