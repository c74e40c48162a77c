/* Sending the phone's pages: the headers every answer of the public
 * listener carries, redirects and the clean URL's cookie. */
#ifndef CBD_PAGE_SEND_H
#define CBD_PAGE_SEND_H

#include <microhttpd.h>

/* What every page's Content-Security-Policy says: no script, no frames,
 * no <base>, forms only to this origin. */
#define CBD_CSP                                                                                    \
	"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "                      \
	"frame-ancestors 'none'; base-uri 'none'"

/* Queues `html` (taken over; wiped and freed when sent; NULL sends a plain
 * 500) with the security headers and Vary: Accept-Language (the page's
 * language depends on it). */
enum MHD_Result cbd_page_send(struct MHD_Connection *conn, unsigned status, char *html);

/* The same with a page-specific Content-Security-Policy (the in-DingTalk
 * page runs DingTalk's JSAPI script). */
enum MHD_Result cbd_page_send_csp(struct MHD_Connection *conn, unsigned status, char *html,
				  const char *csp);

/* A 405 page with Allow: `allow` (e.g. "GET, HEAD"). */
enum MHD_Result cbd_page_send_405(struct MHD_Connection *conn, char *html, const char *allow);

/* A 302 to `location` with the same headers and an empty body. */
enum MHD_Result cbd_redirect_send(struct MHD_Connection *conn, const char *location);

/* A 303 See Other to `location` (relative references are resolved by the
 * browser against the request's URL, so they survive a proxy's prefix),
 * with the Set-Cookie value `cookie` unless NULL. */
enum MHD_Result cbd_redirect_see_other(struct MHD_Connection *conn, const char *location,
				       const char *cookie);

/* Appends the headers every response of the public listener carries. */
int cbd_add_security_headers(struct MHD_Response *resp);

#endif
