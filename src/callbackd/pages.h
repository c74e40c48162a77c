/* The HTML pages the phone sees, in the person's language (page_lang.h,
 * page_text.h). Every value is escaped; the pages hold no script. Titles
 * and element ids are stable: tests, the browser test and people
 * recognise the pages by them (page_text.c lists the ids; the
 * confirmation page's are below). */
#ifndef CBD_PAGES_H
#define CBD_PAGES_H

#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "page_lang.h"
#include "page_send.h"
#include "page_text.h"
#include "store.h"

/* The confirmation page's English title (tests recognise it). */
#define CBD_TITLE_CONFIRM "Confirm DingTalk login"

/* The confirmation page: <main id="confirm">; the number's form
 * id="confirm-form" with, in type mode, the input id="number" (name n) and
 * the button id="confirm", in pick mode the buttons id="pick-1".."pick-3"
 * (name n); the form id="not-me-form" with the button id="not-me"; the
 * details in a table id="details" (rows id="row-account", "row-computer",
 * "row-from", "row-access", "row-command" when there is one,
 * "row-time-left"). Both forms post to `action` (relative: the page's own
 * address) with the hidden fields t (the view's token) and s (the id: the
 * form of earlier versions, POST /confirm, takes s, t and n too). */
struct cbd_confirm_page {
	const struct cbd_view *view;
	enum cbd_lang lang;
	enum cbd_confirm_mode mode; /* TYPE or PICK */
	int64_t ms_left;	    /* until the login times out */
	time_t now;		    /* for the clock time it times out at */
	const char *action;
};

/* Each returns a malloc'd page or NULL when out of memory. */
char *cbd_page_confirm(const struct cbd_confirm_page *page);
char *cbd_page_message(enum cbd_page page, enum cbd_lang lang);

/* The style sheet of every page, flow C's (inapp.c) too: one look. */
extern const char cbd_page_style[];

/* HTML-escapes & < > " ' into a malloc'd string. */
char *cbd_html_escape(const char *s);

#endif
