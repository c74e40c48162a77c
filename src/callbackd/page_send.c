/* Queuing the phone's pages and redirects with the headers every answer
 * of the public listener carries (page_send.h). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "page_send.h"

static int add_headers(struct MHD_Response *resp, const char *csp)
{
	const char *const headers[][2] = {
	    {"Content-Security-Policy", csp},	   {"Cache-Control", "no-store"},
	    {"X-Frame-Options", "DENY"},	   {"Referrer-Policy", "no-referrer"},
	    {"X-Content-Type-Options", "nosniff"}, {"Vary", "Accept-Language"},
	};
	size_t i;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (MHD_add_response_header(resp, headers[i][0], headers[i][1]) != MHD_YES)
			return -1;
	return 0;
}

int cbd_add_security_headers(struct MHD_Response *resp)
{
	return add_headers(resp, CBD_CSP);
}

static void wipe_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

/* Adds the headers (and `extra`, a name and a value, unless NULL) and
 * queues; the response is released whatever happens. */
static enum MHD_Result queue_with(struct MHD_Connection *conn, unsigned status,
				  struct MHD_Response *resp, const char *csp,
				  const char *const *extra)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (add_headers(resp, csp) != 0 ||
	    (extra != NULL && MHD_add_response_header(resp, extra[0], extra[1]) != MHD_YES)) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The page as a response, or a plain "Internal error" when html is NULL
 * (then *status becomes 500). NULL when even that cannot be made. */
static struct MHD_Response *html_response(unsigned *status, char *html)
{
	static char oom[] = "Internal error\n";
	struct MHD_Response *resp;
	const char *type = "text/html; charset=utf-8";

	if (html == NULL) {
		*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		type = "text/plain; charset=utf-8";
		resp =
		    MHD_create_response_from_buffer(sizeof(oom) - 1, oom, MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer_with_free_callback(strlen(html), html,
									  wipe_free);
		if (resp == NULL)
			wipe_free(html);
	}
	if (resp != NULL && MHD_add_response_header(resp, "Content-Type", type) != MHD_YES) {
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

enum MHD_Result cbd_page_send_csp(struct MHD_Connection *conn, unsigned status, char *html,
				  const char *csp)
{
	struct MHD_Response *resp = html_response(&status, html);

	return queue_with(conn, status, resp, csp, NULL);
}

enum MHD_Result cbd_page_send(struct MHD_Connection *conn, unsigned status, char *html)
{
	return cbd_page_send_csp(conn, status, html, CBD_CSP);
}

enum MHD_Result cbd_page_send_405(struct MHD_Connection *conn, char *html, const char *allow)
{
	unsigned status = MHD_HTTP_METHOD_NOT_ALLOWED;
	struct MHD_Response *resp = html_response(&status, html);
	const char *extra[2] = {"Allow", allow};

	return queue_with(conn, status, resp, CBD_CSP, extra);
}

static enum MHD_Result redirect(struct MHD_Connection *conn, unsigned status, const char *location,
				const char *cookie)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	const char *extra[2] = {"Set-Cookie", cookie};

	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, "Location", location) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue_with(conn, status, resp, CBD_CSP, cookie != NULL ? extra : NULL);
}

enum MHD_Result cbd_redirect_send(struct MHD_Connection *conn, const char *location)
{
	return redirect(conn, MHD_HTTP_FOUND, location, NULL);
}

enum MHD_Result cbd_redirect_see_other(struct MHD_Connection *conn, const char *location,
				       const char *cookie)
{
	return redirect(conn, MHD_HTTP_SEE_OTHER, location, cookie);
}
