/* The text a person sees in the terminal: what is being approved, the QR,
 * the link as text, the number to choose and the expiry. */
#ifndef DT_PROMPT_H
#define DT_PROMPT_H

#include "base/err.h"
#include "conf/types.h"

struct dt_prompt_info {
	const char *user;
	const char *host;
	const char *service;
	const char *short_url;
	unsigned number;
	unsigned expires_in;
	enum dt_qr_style qr; /* resolved: not DT_QR_AUTO */
	enum dt_lang lang;   /* resolved: not DT_LANG_AUTO */
	const char *command; /* sudo: the command being approved, or NULL */
};

/* One message, lines separated by '\n'. The first line is plain text,
 * because the OpenSSH client prefixes the first line with "(user@host) ".
 * No escape sequences: ssh shows ESC as a literal "\033". malloc'd. */
char *dt_prompt_text(const struct dt_prompt_info *info, struct dt_err *err);

#endif
