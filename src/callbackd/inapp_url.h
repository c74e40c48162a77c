/* Flow C (免登): the module asks for the in-DingTalk page by registering
 * the pseudo-URL
 *   dingtalk-inapp:?corpId=<corpId>&state=<state>&clientId=<AppKey>
 * as authorize_url (docs/control-api.md); a module from before clientId
 * sends the URL without it. Parsing it needs nothing of
 * libmicrohttpd, so the register checks (and their fuzzer) can use it. */
#ifndef CBD_INAPP_URL_H
#define CBD_INAPP_URL_H

struct cbd_inapp {
	char corp_id[65];
	char state[129];
	char client_id[65]; /* "" when the module sent none */
};

/* 1 if `url` is not an in-DingTalk pseudo-URL, 0 when it is and parses
 * into `out`, -1 when it is one but malformed. */
int cbd_inapp_parse(const char *url, struct cbd_inapp *out);

#endif
