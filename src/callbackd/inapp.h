/* Flow C (免登): the short link opens a page of ours inside the DingTalk
 * app, whose JSAPI (dd.requestAuthCode, or the older
 * dd.runtime.permission.requestAuthCode) asks DingTalk for a code for the
 * organisation and hands it to /callback. */
#ifndef CBD_INAPP_H
#define CBD_INAPP_H

#include <microhttpd.h>

#include "inapp_url.h"

/* What the page needs besides the session: where to go on to, DingTalk's
 * JSAPI (its address, the origin of that address and the hash that pins
 * it: dingtalk-callbackd.conf's inapp_jsapi_url and
 * inapp_jsapi_integrity, checked by cbd_conf_check_inapp), and the
 * phone's language. */
struct cbd_inapp_page {
	const struct cbd_inapp *in;
	const char *callback_url;
	const char *jsapi_url;
	const char *jsapi_origin;    /* "https://host[:port]" of jsapi_url */
	const char *jsapi_integrity; /* never NULL: the caller refuses flow C without it */
	const char *accept_language;
};

/* Sends the page that loads DingTalk's JSAPI (with `integrity` and
 * crossorigin="anonymous"; its script policy admits the page's nonce and
 * the JSAPI's origin, nothing else), runs requestAuthCode and goes on to the callback
 * with the code and the state, or with error=not_in_dingtalk (no DingTalk
 * around the page) or error=request_auth_code_failed (DingTalk refused or
 * did not answer within 30 s). In English or Simplified Chinese after
 * `accept_language` (NULL: English); without JavaScript its <noscript>
 * text says what to do. */
enum MHD_Result cbd_inapp_send(struct MHD_Connection *conn, const struct cbd_inapp_page *page);

#endif
