/* The keys whose values are lists: only_groups and skip_groups (local
 * groups), allowed_depts (department ids) and email_domain (domains).
 * Entries are separated by spaces or commas. Each parser replaces what
 * `out` held and returns 0, or -1 with a DT_ERR_CONFIG naming the key and
 * the bad entry (and `out` empty). */
#ifndef DT_CONF_LISTS_H
#define DT_CONF_LISTS_H

#include "base/err.h"
#include "conf/types.h"

/* Group names, each optionally preceded by '!'. `key` names the key in
 * errors. */
int dt_group_list_parse(const char *key, const char *text, struct dt_group_list *out,
			struct dt_err *err);
void dt_group_list_free(struct dt_group_list *list);

/* Department ids: whole numbers above 0. */
int dt_dept_list_parse(const char *text, struct dt_dept_list *out, struct dt_err *err);
void dt_dept_list_free(struct dt_dept_list *list);

/* One or more domain names (letters, digits, '.' and '-'; no '@'). */
int dt_domain_list_parse(const char *text, struct dt_domain_list *out, struct dt_err *err);
void dt_domain_list_free(struct dt_domain_list *list);

#endif
