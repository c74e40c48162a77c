/* Programs (the helper, dingtalk-ctl, the tests) link libcurl: the table
 * is simply there. The PAM module has its own dt_http_backend_get, which
 * loads it (src/pam/net_loader.c). */
#include "config.h"

#include "base/http_backend.h"

const struct dt_http_backend *dt_http_backend_get(struct dt_err *err)
{
	(void)err;
	return &dt_http_curl_backend;
}

int dt_http_backend_check(struct dt_err *err)
{
	(void)err;
	return 0;
}
