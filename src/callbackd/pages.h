/* The HTML pages the phone sees, and the headers every one of them carries.
 * Every value is escaped; the pages hold no script. Titles are stable:
 * tests and people recognise the pages by them. */
#ifndef CBD_PAGES_H
#define CBD_PAGES_H

#include <microhttpd.h>

#include "store.h"

#define CBD_TITLE_CONFIRM     "Confirm DingTalk login"
#define CBD_TITLE_APPROVED    "Login approved"
#define CBD_TITLE_REFUSED     "Login refused"
#define CBD_TITLE_INVALID     "Link not valid"
#define CBD_TITLE_NOTFOUND    "Page not found"
#define CBD_TITLE_UNAVAILABLE "Service unavailable"

/* Each returns a malloc'd page or NULL when out of memory. */
char *cbd_page_confirm(const struct cbd_view *view);
char *cbd_page_approved(void);
char *cbd_page_refused(const char *why);
char *cbd_page_invalid(const char *why);
char *cbd_page_not_found(void);
/* The session store cannot be reached (CBD_E_DOWN): nothing was decided,
 * so the person is told to reload. The page's own URL is safe to load
 * again: a callback is single-use when it is recorded, and nothing was;
 * DingTalk's code is spent only at the module's exchange. */
char *cbd_page_unavailable(void);

/* Queues `html` (taken over; wiped and freed when sent; NULL sends a plain
 * 500) with the security headers. */
enum MHD_Result cbd_page_send(struct MHD_Connection *conn, unsigned status, char *html);

/* The same with a page-specific Content-Security-Policy (the in-DingTalk
 * page runs DingTalk's JSAPI script). */
enum MHD_Result cbd_page_send_csp(struct MHD_Connection *conn, unsigned status, char *html,
				  const char *csp);

/* A 302 to `location` with the same headers and an empty body. */
enum MHD_Result cbd_redirect_send(struct MHD_Connection *conn, const char *location);

/* Appends the headers every response of the public listener carries. */
int cbd_add_security_headers(struct MHD_Response *resp);

/* HTML-escapes & < > " ' into a malloc'd string. */
char *cbd_html_escape(const char *s);

#endif
