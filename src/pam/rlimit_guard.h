/* The resource-limit guard: while the module runs in a privileged process,
 * the limits its own work needs are at least a sane floor, whatever the
 * caller set.
 *
 * Resource limits survive exec, so in su and sudo they are the invoking
 * user's. A caller who lowers RLIMIT_NOFILE until the helper's socket fits
 * but DingTalk's does not, or RLIMIT_AS until the TLS handshake fails to
 * allocate, would make the login "unavailable" (PAM_AUTHINFO_UNAVAIL: the
 * break-glass path, recovery codes, failmode = safe). Root may raise its
 * own limits (CAP_SYS_RESOURCE), so the guard does, for the call only.
 *
 * Contract:
 * - pam_dt_rlimit_raise() raises every limit in its table towards the
 *   table's target (soft and hard; without CAP_SYS_RESOURCE the soft one
 *   up to the hard one), never lowers one, records what it found in
 *   `saved`, and reports a limit left below what a login needs. pam_dt_rlimit_restore() puts back
 * exactly the saved soft and hard values of the limits it changed.
 * - Limits are per process: call them only at the outermost entry into the
 *   module (env_guard.c does, under its lock), never per thread.
 * - Only meaningful when geteuid() == 0: an unprivileged process cannot
 *   raise a hard limit, and there the caller only hurts itself. */
#ifndef PAM_DT_RLIMIT_GUARD_H
#define PAM_DT_RLIMIT_GUARD_H

#include <sys/resource.h>

/* How many limits the table holds. */
#define PAM_DT_RLIMITS 6

struct pam_dt_rlimits {
	struct rlimit saved[PAM_DT_RLIMITS];
	unsigned char changed[PAM_DT_RLIMITS];
};

/* Returns NULL when every limit is now at least its floor, or the name of
 * the first that could not be raised (e.g. "RLIMIT_NOFILE": the kernel
 * refused: CAP_SYS_RESOURCE missing, or nr_open below the floor). Whatever
 * was raised stays raised until restore, either way. */
const char *pam_dt_rlimit_raise(struct pam_dt_rlimits *saved);

void pam_dt_rlimit_restore(const struct pam_dt_rlimits *saved);

#endif
