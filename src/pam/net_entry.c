/* pam_dingtalk_net.so's one exported symbol: where the module finds
 * libcurl's side of dt_http (net_loader.c). */
#include "config.h"

#include "base/http_backend.h"

__attribute__((
    visibility("default"))) extern const struct dt_http_backend *const pam_dingtalk_net_backend;
const struct dt_http_backend *const pam_dingtalk_net_backend = &dt_http_curl_backend;
