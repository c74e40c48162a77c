/* The words of the phone's pages, in English and Simplified Chinese: one
 * table, so that a page never mixes languages and a translation is
 * reviewed in one place. Every string is plain text (pages.c escapes it);
 * "{}" marks where pages.c puts a value. */
#ifndef CBD_PAGE_TEXT_H
#define CBD_PAGE_TEXT_H

#include "page_lang.h"

/* The pages that say one thing: what ended a login, or what went wrong.
 * Each has a stable element id (the <main> element's) and an English
 * title that tests and the browser test recognise it by. */
enum cbd_page {
	CBD_PAGE_APPROVED,	  /* the right number (or confirm = off) */
	CBD_PAGE_NOT_ME,	  /* "Not me" */
	CBD_PAGE_WRONG_NUMBER,	  /* a number that is not the terminal's */
	CBD_PAGE_DENIED,	  /* error= on the callback: refused in DingTalk */
	CBD_PAGE_NOT_IN_DINGTALK, /* flow C's page opened outside DingTalk */
	/* flow C, but inapp_jsapi_integrity is not set: not served */
	CBD_PAGE_INAPP_NOT_SET_UP,
	CBD_PAGE_CANCELLED,	/* the terminal gave up (DELETE) */
	CBD_PAGE_EXPIRED,	/* the login timed out */
	CBD_PAGE_UNKNOWN_LINK,	/* no such link or login (or long gone) */
	CBD_PAGE_LINK_USED,	/* a login link opened a second time */
	CBD_PAGE_ANSWERED,	/* DingTalk's answer arrived a second time */
	CBD_PAGE_ENDED,		/* the login ended (not by a timeout) */
	CBD_PAGE_INCOMPLETE,	/* the callback lacks a state or a valid code */
	CBD_PAGE_FORM_INVALID,	/* a form that is malformed or not this page's */
	CBD_PAGE_OTHER_BROWSER, /* the clean URL without this browser's cookie */
	CBD_PAGE_UNAVAILABLE,	/* the store is down: reload */
	CBD_PAGE_NOT_FOUND,
	CBD_PAGE_NOT_ALLOWED, /* a method the address does not take (405) */
	CBD_PAGE_TOO_LARGE,
	CBD_PAGE_COUNT,
};

struct cbd_page_text {
	const char *id;	   /* the <main> element's id, the same in every language */
	const char *title; /* also the page's heading */
	const char *body;  /* what happened and what to do next */
};

/* Never NULL for a page below CBD_PAGE_COUNT. */
const struct cbd_page_text *cbd_page_text(enum cbd_page page, enum cbd_lang lang);

/* The confirmation page's words. */
enum cbd_word {
	CBD_W_CONFIRM_TITLE,
	CBD_W_CONFIRM_HEADING,
	CBD_W_CONFIRM_INTRO,
	CBD_W_ACCOUNT,
	CBD_W_COMPUTER,
	CBD_W_FROM,
	CBD_W_FROM_LOCAL,
	CBD_W_ACCESS,
	CBD_W_COMMAND,
	CBD_W_TIME_LEFT,
	CBD_W_UNTIL,   /* (until {}) */
	CBD_W_MIN_SEC, /* {} min {} s */
	CBD_W_SEC,     /* {} s */
	CBD_W_SSH,
	CBD_W_SUDO,
	CBD_W_SU,
	CBD_W_CONSOLE,
	CBD_W_OTHER_SERVICE, /* login through {} */
	CBD_W_TYPE_PROMPT,
	CBD_W_PICK_PROMPT,
	CBD_W_CONFIRM_BUTTON,
	CBD_W_NOT_ME_PROMPT,
	CBD_W_NOT_ME_BUTTON,
	CBD_W_NOT_ME_HINT,
	CBD_W_COUNT,
};

const char *cbd_word(enum cbd_word word, enum cbd_lang lang);

#endif
