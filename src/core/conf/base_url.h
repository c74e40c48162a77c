/* Which base URLs the module may talk to: TLS is always verified; plain
 * http:// is accepted only for a loopback host (a local mock or a
 * TLS-terminating proxy on the same machine). */
#ifndef DT_CONF_BASE_URL_H
#define DT_CONF_BASE_URL_H

#include "base/err.h"

/* Returns 0, or -1 with a DT_ERR_CONFIG naming `key` and the URL. */
int dt_check_base_url(const char *key, const char *url, struct dt_err *err);

#endif
