/* set_user: which local accounts an approved identity serves, when nobody
 * typed a name. The map sources that can be listed take part: `file` (all
 * accounts on the identity's lines) and `directory:<field>` (the derived
 * name). `userfile` cannot: the binding files live in every home and are
 * read with that user's privileges, so nothing lists them. */
#ifndef DT_ACCOUNTS_H
#define DT_ACCOUNTS_H

#include <stddef.h>

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/modcfg.h"

/* Enough to name the accounts in a log line; set_user only logs in when
 * there is exactly one. */
#define DT_ACCOUNTS_MAX	    8
#define DT_ACCOUNT_NAME_MAX 32

/* Whether a local account exists: 1 yes, 0 no. */
typedef int (*dt_user_exists_fn)(void *ctx, const char *user);

struct dt_accounts_query {
	const struct dt_modcfg *cfg;
	dt_user_exists_fn exists;
	void *ctx;
	const struct dt_log *log;
};

struct dt_accounts {
	size_t n; /* distinct existing accounts in `name` */
	int more; /* there were more than DT_ACCOUNTS_MAX */
	char name[DT_ACCOUNTS_MAX][DT_ACCOUNT_NAME_MAX + 1];
};

/* Lists the distinct local accounts that `who` serves here, in the order
 * of the sources. Accounts that do not exist on this host are left out (a
 * map file shared by a fleet names accounts some hosts lack). Returns 0,
 * or -1 with err: DT_ERR_CONFIG when a source cannot be read or names an
 * account that no local account can be called (the map is broken). */
int dt_accounts_for(const struct dt_accounts_query *q, const struct dt_identity *who,
		    struct dt_accounts *out, struct dt_err *err);

/* The one account, or NULL with DT_ERR_DENIED when there is none or there
 * are several (set_user never chooses: the person must type a name). */
const char *dt_accounts_single(const struct dt_accounts *a, const struct dt_identity *who,
			       struct dt_err *err);

#endif
