#include "config.h"

#include "session.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include "util.h"

int dt_session_new(struct dt_session *s, struct dt_err *err)
{
	if (dt_random_token(s->state, sizeof(s->state), DT_STATE_BYTES) < 0 ||
	    dt_random_range(10, 99, &s->number) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the random number generator failed");
	return 0;
}

void dt_session_wipe(struct dt_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}

char *dt_authorize_url(const struct dt_modcfg *cfg, const struct dt_session *s, struct dt_err *err)
{
	char *client_id = dt_urlencode(cfg->client_id);
	char *url = NULL;

	if (client_id != NULL)
		url = dt_asprintf("%s/oauth2/auth?response_type=code&client_id=%s&scope=openid"
				  "&state=%s&prompt=consent",
				  cfg->login_base, client_id, s->state);
	free(client_id);
	if (url == NULL)
		dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	return url;
}
