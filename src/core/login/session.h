/* A login attempt's secrets and what the phone needs: the OAuth state, the
 * matching number, and the DingTalk authorize URL that carries them. */
#ifndef DT_SESSION_H
#define DT_SESSION_H

#include "base/err.h"
#include "conf/modcfg.h"

/* 24 random bytes: 192 bits, above the 128 the control API requires. */
#define DT_STATE_BYTES 24
#define DT_STATE_LEN   32

struct dt_session {
	char state[DT_STATE_LEN + 1];
	unsigned number; /* 10..99 */
};

/* Fresh state and number from the kernel's generator (dt_random_bytes). */
int dt_session_new(struct dt_session *s, struct dt_err *err);

/* Wipes the state. */
void dt_session_wipe(struct dt_session *s);

/* The flow A authorize URL, without redirect_uri (the helper appends its
 * own callback). malloc'd, NULL with err set on failure. */
char *dt_authorize_url(const struct dt_modcfg *cfg, const struct dt_session *s, struct dt_err *err);

#endif
