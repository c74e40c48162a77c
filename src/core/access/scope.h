/* Who the module acts for at all (only_groups, skip_groups) and who may be
 * logged in as (allow_root). Rules that need no network: they run before
 * anyone is shown a QR code, in the module and in `dingtalk-ctl test`
 * alike (dt_scope_check_account). */
#ifndef DT_POLICY_H
#define DT_POLICY_H

#include <stddef.h>

#include "base/err.h"
#include "conf/types.h"

struct dt_modcfg;

/* Whether `user` belongs to local group `group`: 1 yes, 0 no, -1 when the
 * group does not exist. */
typedef int (*dt_member_fn)(void *ctx, const char *user, const char *group);

/* A list matches when the user is in at least one of its plain groups (or
 * it has none) and in none of its '!' groups. A group that does not exist
 * has no members. Returns 1 or 0. */
int dt_group_list_matches(const struct dt_group_list *list, const char *user, dt_member_fn member,
			  void *ctx);

/* only_groups and skip_groups together (either may be unset). Returns 1 when
 * the module acts for `user`, 0 when the user is left to the rest of the
 * stack (PAM_IGNORE), with `why` saying which rule. */
int dt_policy_in_scope(const struct dt_group_list *only_groups,
		       const struct dt_group_list *skip_groups, const char *user,
		       dt_member_fn member, void *ctx, const char **why);

/* allow_root = no: nobody logs in as uid 0 through DingTalk. Returns 0, or
 * -1 with a DT_ERR_DENIED error. */
int dt_policy_check_root(int allow_root, const char *user, long uid, struct dt_err *err);

/* The uid of a local user, or -1 if there is no such user. */
long dt_local_uid(const char *user);

/* What must hold for a local account before anyone logs in as it through
 * DingTalk: it exists, it is in the module's scope (only_groups,
 * skip_groups) and it may be logged into here (allow_root). The same rules
 * for a typed name and for the account set_user found. Returns 1 to go
 * on; 0 when the account is out of scope (err carries the reason with
 * DT_OK: the module returns PAM_IGNORE, the rest of the stack decides); -1
 * with err set (DT_ERR_NOUSER, DT_ERR_DENIED). */
int dt_scope_check_account(const struct dt_modcfg *cfg, const char *user, struct dt_err *err);

#endif
