/* The map source `userfile`: the user's own binding file, read with that
 * user's privileges (pam_modutil_drop_priv), never as root. */
#ifndef PAM_DT_USER_BINDING_H
#define PAM_DT_USER_BINDING_H

#include "base/err.h"

/* A dt_binding_fn; ctx is the pam_handle_t. */
int pam_dt_read_binding(void *ctx, const char *user, const char *union_id, int *bound,
			struct dt_err *err);

#endif
