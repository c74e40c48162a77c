#include "config.h"

#include "inapp.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "base/util.h"

/* The script reads everything from data attributes: no value is ever
 * spliced into script text. */
static const char page_fmt[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>DingTalk login</title></head><body>"
    "<p>Asking DingTalk who you are&hellip;</p>"
    "<div id=\"dt\" data-corp-id=\"%s\" data-state=\"%s\" data-callback=\"%s\"></div>"
    "<script nonce=\"%s\" src=\"" CBD_JSAPI_URL "\"></script>"
    "<script nonce=\"%s\">(function(){"
    "var d=document.getElementById('dt').dataset;"
    "function go(q){location.replace(d.callback+'?'+q+'&state='+encodeURIComponent(d.state));}"
    "if(!window.dd){go('error=not_in_dingtalk');return;}"
    "dd.ready(function(){dd.runtime.permission.requestAuthCode({corpId:d.corpId,"
    "onSuccess:function(r){go('code='+encodeURIComponent(r.code));},"
    "onFail:function(){go('error=request_auth_code_failed');}});});"
    "})();</script></body></html>\n";

enum MHD_Result cbd_inapp_send(struct MHD_Connection *conn, const struct cbd_inapp *in,
			       const char *callback_url)
{
	char nonce[32], csp[256];
	char *callback = cbd_html_escape(callback_url), *html = NULL;

	if (callback != NULL && dt_random_token(nonce, sizeof(nonce), 16) == 0) {
		/* corp_id and state are [A-Za-z0-9_-] tokens: nothing to escape. */
		html = dt_asprintf(page_fmt, in->corp_id, in->state, callback, nonce, nonce);
		snprintf(csp, sizeof(csp),
			 "default-src 'none'; script-src 'nonce-%s' https://g.alicdn.com; "
			 "style-src 'unsafe-inline'; form-action 'self'",
			 nonce);
	}
	free(callback);
	if (html == NULL)
		return cbd_page_send(conn, 500, NULL);
	return cbd_page_send_csp(conn, 200, html, csp);
}
