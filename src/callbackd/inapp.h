/* Flow C (免登): the short link opens a page of ours inside the DingTalk
 * app, whose JSAPI (dd.requestAuthCode, or the older
 * dd.runtime.permission.requestAuthCode) asks DingTalk for a code for the
 * organisation and hands it to /callback. */
#ifndef CBD_INAPP_H
#define CBD_INAPP_H

#include <microhttpd.h>

#include "inapp_url.h"

/* DingTalk's JSAPI for pages inside the app (docs/dingtalk-api.md, flow C). */
#define CBD_JSAPI_URL "https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js"

/* Sends the page that runs requestAuthCode and goes on to `callback_url`
 * with the code and the state, or with error=not_in_dingtalk (no DingTalk
 * around the page) or error=request_auth_code_failed (DingTalk refused or
 * did not answer within 30 s). In English or Simplified Chinese after
 * `accept_language` (NULL: English); without JavaScript its <noscript>
 * text says what to do. */
enum MHD_Result cbd_inapp_send(struct MHD_Connection *conn, const struct cbd_inapp *in,
			       const char *callback_url, const char *accept_language);

#endif
