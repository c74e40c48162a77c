/* May the person DingTalk named log in as this account? The directory
 * rules (require_active, allowed_depts), then the map sources in order:
 * the first that binds the identity to the account allows it. */
#ifndef DT_ACCESS_H
#define DT_ACCESS_H

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/modcfg.h"

struct dt_access {
	const struct dt_modcfg *cfg;
	const char *user; /* the account asked for */
	const struct dt_log *log;
};

/* 0 when allowed; -1 with DT_ERR_DENIED naming the identity and the
 * account, or DT_ERR_CONFIG when a source cannot be read. The caller of
 * dt_login_run asks this once DingTalk has named the person. The map
 * source `userfile` is read with the account's own rights (as_user.h):
 * the process must be root, or that account. */
int dt_access_check(const struct dt_access *a, const struct dt_identity *who, struct dt_err *err);

/* require_active and allowed_depts alone (exposed for tests). */
int dt_directory_policy(const struct dt_modcfg *cfg, const struct dt_identity *who,
			struct dt_err *err);

#endif
