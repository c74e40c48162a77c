/* Building the phone's pages: a growing buffer, escaping, the templates.
 * The words come from page_text.c, in the language the request asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "pages.h"

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
	cap = b->cap ? b->cap : 2048;
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

static void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void sb_add_escaped(struct sbuf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *ent = NULL;

		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		sb_addn(b, run, (size_t)(s - run));
		sb_add(b, ent);
		run = s + 1;
	}
	sb_add(b, run);
}

/* A catalogue string with each "{}" replaced by the next of `args`, as
 * plain text into out (truncated to fit). */
static void tpl_plain(char *out, size_t size, const char *tpl, const char *const *args,
		      size_t nargs)
{
	size_t used = 0, len = 0, n;
	const char *piece;

	out[0] = '\0';
	while (*tpl != '\0' && len + 1 < size) {
		if (tpl[0] == '{' && tpl[1] == '}' && used < nargs) {
			piece = args[used++];
			tpl += 2;
		} else {
			piece = NULL;
		}
		n = piece != NULL ? strlen(piece) : 1;
		if (n > size - len - 1)
			n = size - len - 1;
		memcpy(out + len, piece != NULL ? piece : tpl++, n);
		len += n;
		out[len] = '\0';
	}
}

/* The same, escaped into the page. */
static void sb_add_tpl(struct sbuf *b, const char *tpl, const char *const *args, size_t nargs)
{
	char text[1024];

	tpl_plain(text, sizeof(text), tpl, args, nargs);
	sb_add_escaped(b, text);
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
	struct sbuf b = {.p = NULL, .len = 0, .cap = 0, .failed = 0};

	sb_add(&b, "");
	sb_add_escaped(&b, s);
	return sb_finish(&b);
}

/* Long values (a host name, a command) wrap anywhere only in .long cells;
 * everything else wraps between words. */
const char cbd_page_style[] =
    "body{font-family:system-ui,-apple-system,\"PingFang SC\",\"Noto Sans CJK SC\",sans-serif;"
    "margin:0;padding:1.2em;background:#f4f6f8;color:#1f2329;line-height:1.5}"
    "main{max-width:28em;margin:0 auto;background:#fff;border-radius:12px;"
    "padding:1.2em 1.4em;box-shadow:0 1px 4px rgba(0,0,0,.08)}"
    "h1{font-size:1.3em;margin:.2em 0 .6em}"
    "table{border-collapse:collapse;width:100%;margin:.6em 0}"
    "th{text-align:left;color:#646a73;font-weight:normal;padding:.3em .6em .3em 0;"
    "white-space:nowrap;vertical-align:top}"
    "td{padding:.3em 0;overflow-wrap:break-word}"
    ".long{overflow-wrap:anywhere;font-family:ui-monospace,monospace}"
    "label{display:block;margin:1em 0 .4em}"
    "input{font-size:1.8em;width:4em;padding:.3em;text-align:center;letter-spacing:.2em;"
    "border:1px solid #8f959e;border-radius:10px}"
    ".choices{display:flex;gap:.8em;margin:1em 0}"
    "button{font-size:1.2em;padding:.6em 1.2em;border:1px solid #3370ff;border-radius:10px;"
    "background:#3370ff;color:#fff;margin:.6em 0;min-height:44px}"
    ".choices button{flex:1;font-size:1.8em;padding:.6em 0;background:#fff;color:#3370ff}"
    "#not-me-form{border-top:1px solid #e4e6eb;margin-top:1.4em;padding-top:.6em}"
    "#not-me{background:#fff;color:#d83931;border-color:#d83931}"
    ".small{color:#646a73;font-size:.9em}";

static void page_head(struct sbuf *b, enum cbd_lang lang, const char *title, const char *id)
{
	sb_add(b, "<!DOCTYPE html>\n<html lang=\"");
	sb_add(b, cbd_lang_tag(lang));
	sb_add(b, "\"><head><meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<title>");
	sb_add_escaped(b, title);
	sb_add(b, "</title>\n<style>");
	sb_add(b, cbd_page_style);
	sb_add(b, "</style></head><body><main id=\"");
	sb_add(b, id);
	sb_add(b, "\">\n<h1>");
	sb_add_escaped(b, title);
	sb_add(b, "</h1>\n");
}

static const char page_tail[] = "</main></body></html>\n";

char *cbd_page_message(enum cbd_page page, enum cbd_lang lang)
{
	const struct cbd_page_text *t = cbd_page_text(page, lang);
	struct sbuf b = {.p = NULL, .len = 0, .cap = 0, .failed = 0};

	page_head(&b, lang, t->title, t->id);
	sb_add(&b, "<p>");
	sb_add_escaped(&b, t->body);
	sb_add(&b, "</p>\n");
	sb_add(&b, page_tail);
	return sb_finish(&b);
}

static void row(struct sbuf *b, const char *id, const char *label, const char *value, int lng)
{
	sb_add(b, "<tr id=\"");
	sb_add(b, id);
	sb_add(b, "\"><th>");
	sb_add_escaped(b, label);
	sb_add(b, lng ? "</th><td class=\"long\">" : "</th><td>");
	sb_add_escaped(b, value);
	sb_add(b, "</td></tr>\n");
}

/* What kind of access the PAM service is, in words a person reads. */
static void access_row(struct sbuf *b, const char *service, enum cbd_lang lang)
{
	static const struct {
		const char *service;
		enum cbd_word word;
	} known[] = {
	    {"sshd", CBD_W_SSH}, {"sudo", CBD_W_SUDO}, {"sudo-i", CBD_W_SUDO},
	    {"su", CBD_W_SU},	 {"su-l", CBD_W_SU},   {"login", CBD_W_CONSOLE},
	};
	const char *label = cbd_word(CBD_W_ACCESS, lang);
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(service, known[i].service) == 0) {
			row(b, "row-access", label, cbd_word(known[i].word, lang), 0);
			return;
		}
	sb_add(b, "<tr id=\"row-access\"><th>");
	sb_add_escaped(b, label);
	sb_add(b, "</th><td>");
	sb_add_tpl(b, cbd_word(CBD_W_OTHER_SERVICE, lang), &service, 1);
	sb_add(b, "</td></tr>\n");
}

/* "1 min 30 s (until 14:03:21 CST)": the time left when the page was
 * made, and the clock time the login times out at (no script counts
 * down). */
static void time_left_row(struct sbuf *b, const struct cbd_confirm_page *p)
{
	long secs = p->ms_left > 0 ? (long)(p->ms_left / 1000) : 0;
	char min[24], sec[24], left[64], clock[48];
	const char *args[2] = {min, sec};
	time_t at = p->now + secs;
	struct tm tm;

	snprintf(min, sizeof(min), "%ld", secs / 60);
	snprintf(sec, sizeof(sec), "%ld", secs % 60);
	if (secs >= 60)
		tpl_plain(left, sizeof(left), cbd_word(CBD_W_MIN_SEC, p->lang), args, 2);
	else
		tpl_plain(left, sizeof(left), cbd_word(CBD_W_SEC, p->lang), &args[1], 1);
	if (localtime_r(&at, &tm) == NULL ||
	    strftime(clock, sizeof(clock), "%H:%M:%S %Z", &tm) == 0)
		snprintf(clock, sizeof(clock), "?");
	args[0] = left;
	args[1] = clock;
	sb_add(b, "<tr id=\"row-time-left\"><th>");
	sb_add_escaped(b, cbd_word(CBD_W_TIME_LEFT, p->lang));
	sb_add(b, "</th><td>");
	sb_add_tpl(b, cbd_word(CBD_W_UNTIL, p->lang), args, 2);
	sb_add(b, "</td></tr>\n");
}

static void details(struct sbuf *b, const struct cbd_confirm_page *p)
{
	const struct cbd_view *v = p->view;

	sb_add(b, "<table id=\"details\">\n");
	row(b, "row-account", cbd_word(CBD_W_ACCOUNT, p->lang), v->user, 0);
	row(b, "row-computer", cbd_word(CBD_W_COMPUTER, p->lang), v->host, 1);
	row(b, "row-from", cbd_word(CBD_W_FROM, p->lang),
	    v->rhost[0] != '\0' ? v->rhost : cbd_word(CBD_W_FROM_LOCAL, p->lang), 0);
	access_row(b, v->service, p->lang);
	if (v->command[0] != '\0')
		row(b, "row-command", cbd_word(CBD_W_COMMAND, p->lang), v->command, 1);
	time_left_row(b, p);
	sb_add(b, "</table>\n");
}

static void form_start(struct sbuf *b, const char *id, const struct cbd_confirm_page *p)
{
	sb_add(b, "<form method=\"post\" id=\"");
	sb_add(b, id);
	sb_add(b, "\" action=\"");
	sb_add_escaped(b, p->action);
	sb_add(b, "\">\n<input type=\"hidden\" name=\"s\" value=\"");
	sb_add_escaped(b, p->view->id);
	sb_add(b, "\">\n<input type=\"hidden\" name=\"t\" value=\"");
	sb_add_escaped(b, p->view->token);
	sb_add(b, "\">\n");
}

static void number_form(struct sbuf *b, const struct cbd_confirm_page *p)
{
	char num[16], id[16];
	unsigned i;

	form_start(b, "confirm-form", p);
	if (p->mode == CBD_CONFIRM_PICK) {
		sb_add(b, "<p>");
		sb_add_escaped(b, cbd_word(CBD_W_PICK_PROMPT, p->lang));
		sb_add(b, "</p>\n<div class=\"choices\">\n");
		for (i = 0; i < CBD_CHOICES; i++) {
			snprintf(num, sizeof(num), "%u", p->view->choices[i]);
			snprintf(id, sizeof(id), "pick-%u", i + 1);
			sb_add(b, "<button type=\"submit\" name=\"n\" id=\"");
			sb_add(b, id);
			sb_add(b, "\" value=\"");
			sb_add(b, num);
			sb_add(b, "\">");
			sb_add(b, num);
			sb_add(b, "</button>\n");
		}
		sb_add(b, "</div>\n</form>\n");
		return;
	}
	sb_add(b, "<label for=\"number\">");
	sb_add_escaped(b, cbd_word(CBD_W_TYPE_PROMPT, p->lang));
	sb_add(b, "</label>\n<input id=\"number\" name=\"n\" type=\"text\" inputmode=\"numeric\" "
		  "pattern=\"[0-9]{2}\" minlength=\"2\" maxlength=\"2\" size=\"2\" "
		  "autocomplete=\"off\" required autofocus>\n"
		  "<button type=\"submit\" id=\"confirm\">");
	sb_add_escaped(b, cbd_word(CBD_W_CONFIRM_BUTTON, p->lang));
	sb_add(b, "</button>\n</form>\n");
}

static void not_me_form(struct sbuf *b, const struct cbd_confirm_page *p)
{
	form_start(b, "not-me-form", p);
	sb_add(b, "<input type=\"hidden\" name=\"a\" value=\"not_me\">\n<p>");
	sb_add_escaped(b, cbd_word(CBD_W_NOT_ME_PROMPT, p->lang));
	sb_add(b, "</p>\n<button type=\"submit\" id=\"not-me\">");
	sb_add_escaped(b, cbd_word(CBD_W_NOT_ME_BUTTON, p->lang));
	sb_add(b, "</button>\n<p class=\"small\">");
	sb_add_escaped(b, cbd_word(CBD_W_NOT_ME_HINT, p->lang));
	sb_add(b, "</p>\n</form>\n");
}

char *cbd_page_confirm(const struct cbd_confirm_page *p)
{
	struct sbuf b = {.p = NULL, .len = 0, .cap = 0, .failed = 0};

	page_head(&b, p->lang, cbd_word(CBD_W_CONFIRM_TITLE, p->lang), "confirm");
	sb_add(&b, "<p><strong>");
	sb_add_escaped(&b, cbd_word(CBD_W_CONFIRM_HEADING, p->lang));
	sb_add(&b, "</strong> ");
	sb_add_escaped(&b, cbd_word(CBD_W_CONFIRM_INTRO, p->lang));
	sb_add(&b, "</p>\n");
	details(&b, p);
	number_form(&b, p);
	not_me_form(&b, p);
	sb_add(&b, page_tail);
	return sb_finish(&b);
}
