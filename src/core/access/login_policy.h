/* May the person DingTalk named log in as this account? The directory
 * rules (require_active, allowed_depts), then the map sources in order:
 * the first that binds the identity to the account allows it. */
#ifndef DT_ACCESS_H
#define DT_ACCESS_H

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/modcfg.h"

/* Reads `user`'s binding file with that user's privileges (the PAM layer
 * drops them; the CLI runs as the user). 0 with *bound set, -1 with err. */
typedef int (*dt_binding_fn)(void *ctx, const char *user, const char *union_id, int *bound,
			     struct dt_err *err);

struct dt_access {
	const struct dt_modcfg *cfg;
	const char *user; /* the account asked for */
	dt_binding_fn read_binding;
	void *ctx;
	const struct dt_log *log;
};

/* 0 when allowed; -1 with DT_ERR_DENIED naming the identity and the
 * account, or DT_ERR_CONFIG when a source cannot be read. */
int dt_access_check(const struct dt_access *a, const struct dt_identity *who, struct dt_err *err);

/* require_active and allowed_depts alone (exposed for tests). */
int dt_directory_policy(const struct dt_modcfg *cfg, const struct dt_identity *who,
			struct dt_err *err);

#endif
