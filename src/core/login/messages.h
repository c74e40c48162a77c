/* What the person at the terminal reads, in English and Simplified
 * Chinese. A built-in table rather than gettext: a PAM module must not
 * change the locale of the sshd or sudo that loads it, and jump hosts
 * rarely have the zh_CN locale or our .mo files installed. Every message
 * keeps the link and the number in plain ASCII, so it reads in any
 * client locale. */
#ifndef DT_MESSAGES_H
#define DT_MESSAGES_H

#include "conf/types.h"

/* Fixed texts. */
enum dt_msg {
	DT_MSG_SCAN,
	DT_MSG_PRESS_ENTER,
	DT_MSG_NOT_YET,
	DT_MSG_UNKNOWN_KEY,
	DT_MSG_RECOVERY,
	DT_MSG_TOO_MANY_PENDING,
	DT_MSG_TOO_MANY_FROM_ADDRESS, /* the helper's max_pending_per_address */
	DT_MSG_HELPER_FULL,	      /* the helper's max_pending: a refusal */
	DT_MSG_NEW_CODE_FAILED,	      /* `r`: no new session, the old one stays */
	DT_MSG_NEW_CODE_TOO_LATE,     /* `r`: too little time left for a new one */
	DT_MSG_PROMPT_FALLBACK,	      /* over sshd: no decision without a prompt, now one */
	DT_MSG_NONINTERACTIVE,	      /* nobody can scan: refused before any QR */
	/* How a login ended without approval, each told apart: */
	DT_MSG_REFUSED_NOT_ME,	 /* "Not me" tapped on the phone */
	DT_MSG_REFUSED_WRONG,	 /* the wrong number chosen on the phone */
	DT_MSG_REFUSED_ON_PHONE, /* refused in DingTalk */
	DT_MSG_TIMED_OUT,	 /* no approval in time */
	DT_MSG_COUNT,
};

const char *dt_msg(enum dt_lang lang, enum dt_msg id);

/* Texts with values, as functions so that the compiler checks every format.
 * Each returns a malloc'd string or NULL. The title's user may be NULL
 * (set_user: the approved identity names the account). */
char *dt_msg_title(enum dt_lang lang, const char *user, const char *host, const char *service,
		   const char *command);
/* The link and the number in one short line of plain ASCII whatever the
 * language (an OpenSSH client before 10.3 shows a message without a prompt
 * through its logger: octal escapes for other bytes, cut after 1,023
 * characters): it goes out before the QR. Bytes outside printable ASCII
 * become '?'. Longer than DT_MSG_ASCII_LINE_MAX with the user and the host,
 * it names only the link and the number (a link that long alone is the
 * helper's public_url's doing). malloc'd. */
#define DT_MSG_ASCII_LINE_MAX 1000
char *dt_msg_ascii_link(const char *user, const char *host, const char *short_url, unsigned number);

char *dt_msg_number(enum dt_lang lang, unsigned number, unsigned seconds);
char *dt_msg_approved(enum dt_lang lang, const char *nick);

/* DT_LANG_AUTO resolved from a locale string (LANG, LC_ALL, LC_MESSAGES):
 * zh_CN, zh_SG and zh.UTF-8 give Chinese, anything else English. */
enum dt_lang dt_lang_from_locale(const char *locale);

/* The locale an environment names: the first non-empty of its LC_ALL,
 * LC_MESSAGES and LANG (each may be NULL), or NULL. The caller reads the
 * three from whichever environment it trusts (pam_getenv, the host's). */
const char *dt_locale_of(const char *lc_all, const char *lc_messages, const char *lang);

#endif
