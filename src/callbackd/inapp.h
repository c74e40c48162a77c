/* Flow C (免登): the short link opens a page of ours inside the DingTalk
 * app, whose JSAPI (dd.requestAuthCode, or the older
 * dd.runtime.permission.requestAuthCode) asks DingTalk for a code for the
 * organisation and hands it to /callback. */
#ifndef CBD_INAPP_H
#define CBD_INAPP_H

#include <microhttpd.h>

#include "inapp_url.h"

/* What the page needs besides the session: where to go on to, where the
 * pinned JSAPI is (both under public_url), and the phone's language. */
struct cbd_inapp_page {
	const struct cbd_inapp *in;
	const char *callback_url;
	const char *jsapi_url; /* {public_url} CBD_JSAPI_PATH */
	const char *accept_language;
};

/* Sends the page that loads the pinned JSAPI (jsapi.h, with its
 * integrity hash), runs requestAuthCode and goes on to the callback
 * with the code and the state, or with error=not_in_dingtalk (no DingTalk
 * around the page) or error=request_auth_code_failed (DingTalk refused or
 * did not answer within 30 s). In English or Simplified Chinese after
 * `accept_language` (NULL: English); without JavaScript its <noscript>
 * text says what to do. */
enum MHD_Result cbd_inapp_send(struct MHD_Connection *conn, const struct cbd_inapp_page *page);

#endif
