#include "config.h"

#include "inapp.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsapi.h"
#include "page_lang.h"
#include "pages.h"
#include "base/util.h"

/* The words of the page, by language (page_lang.h). */
struct inapp_words {
	const char *title, *working, *noscript;
};

static const struct inapp_words words[] = {
    [CBD_LANG_EN] = {"Signing in with DingTalk", "Asking DingTalk who you are&hellip;",
		     "This page needs JavaScript to ask DingTalk who you are, and it is off. Open "
		     "the link inside the DingTalk app (which runs it), or start a new login in "
		     "your terminal."},
    [CBD_LANG_ZH] = {"正在通过钉钉登录", "正在向钉钉确认你的身份&hellip;",
		     "本页面需要 JavaScript 才能向钉钉确认你的身份，但它已被关闭。请在钉钉 App "
		     "内打开该链接，或在终端重新发起登录。"},
};

/* The script reads everything from data attributes: no value is ever
 * spliced into script text. DingTalk's current call is dd.requestAuthCode
 * with corpId and clientId; the older dd.runtime.permission.requestAuthCode
 * (corpId only) serves where it is missing, where there is no clientId,
 * and where it fails: the pinned JSAPI always has the newer function, but
 * the app behind it needs DingTalk 7.0.45 (docs/dingtalk-api.md, flow C),
 * and asking again is silent (免登 shows the person nothing).
 * Outside DingTalk there is no dd, or dd.env.platform says so: the
 * callback is told "not_in_dingtalk", which is not a refusal by DingTalk
 * ("request_auth_code_failed", also when DingTalk says nothing in 30 s). */
static const char script[] =
    "(function(){"
    "var d=document.getElementById('dt').dataset,dd=window.dd,done=false;"
    "function go(q){if(done)return;done=true;"
    "location.replace(d.callback+'?'+q+'&state='+encodeURIComponent(d.state));}"
    "function ok(r){go(r&&r.code?'code='+encodeURIComponent(r.code)"
    ":'error=request_auth_code_failed');}"
    "function fail(){go('error=request_auth_code_failed');}"
    "if(!dd||typeof dd.ready!=='function'||(dd.env&&dd.env.platform==='notInDingTalk')){"
    "go('error=not_in_dingtalk');return;}"
    "setTimeout(fail,30000);"
    "var p=dd.runtime&&dd.runtime.permission,"
    "old=p&&typeof p.requestAuthCode==='function';"
    "function older(){try{if(old){"
    "p.requestAuthCode({corpId:d.corpId,onSuccess:ok,onFail:fail});}else{fail();}"
    "}catch(e){fail();}}"
    "dd.ready(function(){try{"
    "if(typeof dd.requestAuthCode==='function'&&d.clientId){"
    "dd.requestAuthCode({corpId:d.corpId,clientId:d.clientId,onSuccess:ok,onFail:older});}"
    "else if(old){older();}"
    "else{go('error=not_in_dingtalk');}"
    "}catch(e){older();}});"
    "})();";

static const char page_fmt[] =
    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>%s</title>\n<style>%s</style>\n"
    /* Without JavaScript nobody is asking DingTalk: only the <noscript>
     * text shows. */
    "<noscript><style>#working{display:none}</style></noscript>\n"
    "<script nonce=\"%s\" src=\"%s\" integrity=\"%s\" crossorigin=\"anonymous\"></script>\n"
    "</head><body><main id=\"inapp\">\n<h1>%s</h1>\n"
    "<noscript><p id=\"noscript\">%s</p></noscript>\n"
    "<p id=\"working\">%s</p>\n"
    "<div id=\"dt\" data-corp-id=\"%s\" data-client-id=\"%s\" data-state=\"%s\" "
    "data-callback=\"%s\"></div>\n"
    "<script nonce=\"%s\">%s</script>\n</main></body></html>\n";

enum MHD_Result cbd_inapp_send(struct MHD_Connection *conn, const struct cbd_inapp_page *page)
{
	enum cbd_lang lang = cbd_lang_pick(page->accept_language);
	const struct inapp_words *w = &words[lang];
	const struct cbd_inapp *in = page->in;
	const char *sri = cbd_jsapi_integrity();
	char nonce[32], csp[320];
	char *callback = cbd_html_escape(page->callback_url);
	char *jsapi = cbd_html_escape(page->jsapi_url), *html = NULL;

	if (callback != NULL && jsapi != NULL && sri != NULL &&
	    dt_random_token(nonce, sizeof(nonce), 16) == 0) {
		/* corp_id, client_id and state are [A-Za-z0-9_-] tokens: nothing
		 * to escape. */
		html = dt_asprintf(page_fmt, cbd_lang_tag(lang), w->title, cbd_page_style, nonce,
				   jsapi, sri, w->title, w->noscript, w->working, in->corp_id,
				   in->client_id, in->state, callback, nonce, script);
		/* The nonce alone admits both scripts: the JSAPI is ours, under
		 * public_url, and its integrity is checked on top. */
		snprintf(csp, sizeof(csp),
			 "default-src 'none'; script-src 'nonce-%s'; style-src 'unsafe-inline'; "
			 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
			 nonce);
	}
	free(callback);
	free(jsapi);
	if (html == NULL)
		return cbd_page_send(conn, 500, NULL);
	return cbd_page_send_csp(conn, 200, html, csp);
}
