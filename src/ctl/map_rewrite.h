/* The map file as the commands change it: atomically, under a lock, with
 * the previous version kept (rewrite.h), and logged. */
#ifndef DT_CTL_MAP_REWRITE_H
#define DT_CTL_MAP_REWRITE_H

#include "base/err.h"

/* 1 when the binding was added, 0 when it was there already, -1 on error. */
int ctl_map_bind(const char *map_file, const char *union_id, const char *user, struct dt_err *err);

/* How many bindings were removed (0 or more), -1 on error. */
int ctl_map_unbind(const char *map_file, const char *user, const char *union_id,
		   struct dt_err *err);

#endif
