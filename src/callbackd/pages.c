/* Building the phone's pages: a growing buffer, escaping, the templates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "pages.h"

#define CSP "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"

struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_reserve(struct sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed || b->len + more + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = malloc(cap);
	if (p == NULL) {
		b->failed = 1;
		return;
	}
	/* Copy and wipe rather than realloc: pages can hold the form token. */
	if (b->p != NULL) {
		memcpy(p, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = p;
	b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	sb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void sb_add_escaped(struct sbuf *b, const char *s)
{
	char one[2] = {0, 0};

	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			sb_add(b, "&amp;");
			break;
		case '<':
			sb_add(b, "&lt;");
			break;
		case '>':
			sb_add(b, "&gt;");
			break;
		case '"':
			sb_add(b, "&quot;");
			break;
		case '\'':
			sb_add(b, "&#39;");
			break;
		default:
			one[0] = *s;
			sb_add(b, one);
		}
	}
}

static void sb_add_uint(struct sbuf *b, unsigned v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	sb_add(b, num);
}

static char *sb_finish(struct sbuf *b)
{
	if (b->failed) {
		if (b->p != NULL) {
			OPENSSL_cleanse(b->p, b->cap);
			free(b->p);
		}
		return NULL;
	}
	return b->p;
}

char *cbd_html_escape(const char *s)
{
	struct sbuf b = {NULL, 0, 0, 0};

	sb_add(&b, "");
	sb_add_escaped(&b, s);
	return sb_finish(&b);
}

static void page_head(struct sbuf *b, const char *title)
{
	sb_add(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<title>");
	sb_add_escaped(b, title);
	sb_add(b, "</title>\n<style>"
		  "body{font-family:system-ui,-apple-system,sans-serif;margin:0;padding:1.2em;"
		  "background:#f4f6f8;color:#1f2329}"
		  "main{max-width:28em;margin:0 auto;background:#fff;border-radius:12px;"
		  "padding:1.2em 1.4em;box-shadow:0 1px 4px rgba(0,0,0,.08)}"
		  "h1{font-size:1.3em;margin:.2em 0 .6em}"
		  "table{border-collapse:collapse;width:100%;margin:.6em 0}"
		  "th{text-align:left;color:#646a73;font-weight:normal;padding:.3em .6em .3em 0;"
		  "white-space:nowrap;vertical-align:top}"
		  "td{padding:.3em 0;word-break:break-all}"
		  ".choices{display:flex;gap:.8em;margin:1em 0}"
		  "button{flex:1;font-size:1.8em;padding:.6em 0;border:1px solid #3370ff;"
		  "border-radius:10px;background:#fff;color:#3370ff}"
		  ".small{color:#646a73;font-size:.9em}"
		  "</style></head><body><main>\n");
}

static char *page_simple(const char *title, const char *heading, const char *text)
{
	struct sbuf b = {NULL, 0, 0, 0};

	page_head(&b, title);
	sb_add(&b, "<h1>");
	sb_add_escaped(&b, heading);
	sb_add(&b, "</h1>\n<p>");
	sb_add_escaped(&b, text);
	sb_add(&b, "</p>\n</main></body></html>\n");
	return sb_finish(&b);
}

static void row(struct sbuf *b, const char *label, const char *value)
{
	sb_add(b, "<tr><th>");
	sb_add_escaped(b, label);
	sb_add(b, "</th><td>");
	sb_add_escaped(b, value);
	sb_add(b, "</td></tr>\n");
}

static void hidden(struct sbuf *b, const char *name, const char *value)
{
	sb_add(b, "<input type=\"hidden\" name=\"");
	sb_add_escaped(b, name);
	sb_add(b, "\" value=\"");
	sb_add_escaped(b, value);
	sb_add(b, "\">\n");
}

static void format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(out, size, "unknown");
}

char *cbd_page_confirm(const struct cbd_view *view)
{
	struct sbuf b = {NULL, 0, 0, 0};
	char when[64];
	unsigned i;

	format_time(view->created, when, sizeof(when));
	page_head(&b, CBD_TITLE_CONFIRM);
	sb_add(&b, "<h1>Confirm login</h1>\n"
		   "<p>Approve only if you are starting this login right now.</p>\n<table>\n");
	row(&b, "User", view->user);
	row(&b, "Service", view->service);
	row(&b, "Host", view->host);
	if (view->command[0] != '\0')
		row(&b, "Command", view->command); /* sudo's, escaped like every value */
	row(&b, "From", view->rhost[0] != '\0' ? view->rhost : "(local)");
	row(&b, "Time", when);
	sb_add(&b, "</table>\n<p>Tap the number shown in your terminal.</p>\n"
		   "<form method=\"post\" action=\"/confirm\">\n");
	hidden(&b, "s", view->id);
	hidden(&b, "t", view->token);
	sb_add(&b, "<div class=\"choices\">\n");
	for (i = 0; i < CBD_CHOICES; i++) {
		sb_add(&b, "<button type=\"submit\" name=\"n\" value=\"");
		sb_add_uint(&b, view->choices[i]);
		sb_add(&b, "\">");
		sb_add_uint(&b, view->choices[i]);
		sb_add(&b, "</button>\n");
	}
	sb_add(&b, "</div>\n</form>\n<p class=\"small\">Not you? Close this page; "
		   "the login expires on its own.</p>\n</main></body></html>\n");
	return sb_finish(&b);
}

char *cbd_page_approved(void)
{
	return page_simple(CBD_TITLE_APPROVED, "Approved", "Approved. Return to your terminal.");
}

char *cbd_page_refused(const char *why)
{
	return page_simple(CBD_TITLE_REFUSED, "Login refused", why);
}

char *cbd_page_invalid(const char *why)
{
	return page_simple(CBD_TITLE_INVALID, "This link is not valid", why);
}

char *cbd_page_unavailable(void)
{
	return page_simple(CBD_TITLE_UNAVAILABLE, "Service temporarily unavailable",
			   "The login service cannot answer right now. Reload this page in a "
			   "few seconds to carry on with this login. If it still fails, start "
			   "a new login in your terminal.");
}

char *cbd_page_not_found(void)
{
	return page_simple(CBD_TITLE_NOTFOUND, "Not found", "There is nothing here.");
}

static int add_headers(struct MHD_Response *resp, const char *csp)
{
	const char *const headers[][2] = {
	    {"Content-Security-Policy", csp},	   {"Cache-Control", "no-store"},
	    {"X-Frame-Options", "DENY"},	   {"Referrer-Policy", "no-referrer"},
	    {"X-Content-Type-Options", "nosniff"},
	};
	size_t i;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (MHD_add_response_header(resp, headers[i][0], headers[i][1]) != MHD_YES)
			return -1;
	return 0;
}

int cbd_add_security_headers(struct MHD_Response *resp)
{
	return add_headers(resp, CSP);
}

static void wipe_free(void *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

static enum MHD_Result queue_with_csp(struct MHD_Connection *conn, unsigned status,
				      struct MHD_Response *resp, const char *csp)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	if (add_headers(resp, csp) != 0) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_and_release(struct MHD_Connection *conn, unsigned status,
					 struct MHD_Response *resp)
{
	return queue_with_csp(conn, status, resp, CSP);
}

enum MHD_Result cbd_page_send(struct MHD_Connection *conn, unsigned status, char *html)
{
	return cbd_page_send_csp(conn, status, html, CSP);
}

enum MHD_Result cbd_page_send_csp(struct MHD_Connection *conn, unsigned status, char *html,
				  const char *csp)
{
	static char oom[] = "Internal error\n";
	struct MHD_Response *resp;

	if (html == NULL) {
		resp =
		    MHD_create_response_from_buffer(sizeof(oom) - 1, oom, MHD_RESPMEM_PERSISTENT);
		if (resp != NULL)
			MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
		return queue_and_release(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
	}
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(html), html, wipe_free);
	if (resp == NULL) {
		wipe_free(html);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue_with_csp(conn, status, resp, csp);
}

enum MHD_Result cbd_redirect_send(struct MHD_Connection *conn, const char *location)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, "Location", location) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue_and_release(conn, MHD_HTTP_FOUND, resp);
}
