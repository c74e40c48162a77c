/* The grammar of the service's host key file (`host_keys`,
 * dingtalk-callbackd(8)), one definition for the service that reads it and
 * for `dingtalk-ctl host-key` that edits it. One line per key:
 *   KEY_ID HOST SECRET [created=YYYY-MM-DD]
 * fields separated by spaces or tabs, '#' comments and blank lines
 * ignored. KEY_ID as dt_reqsign_key_id_ok, HOST 1..256 bytes of printable
 * ASCII without spaces (the `host` a key may register sessions for), SECRET
 * as dt_reqsign_secret_decode. A key id appears once; a host may have
 * several keys (rotation). */
#ifndef DT_HOSTKEY_FILE_H
#define DT_HOSTKEY_FILE_H

#include <stddef.h>

#include "base/err.h"
#include "proto/control_api.h"
#include "proto/reqsign.h"

/* A key file larger than this is refused (some 7000 keys). */
#define DT_HOSTKEY_FILE_MAX (1024 * 1024)

struct dt_hostkey_entry {
	char id[DT_SIGN_KEY_ID_MAX + 1];
	char host[DT_CONTROL_FIELD_MAX + 1];
	unsigned char secret[DT_SIGN_SECRET_BYTES];
	char created[11]; /* "YYYY-MM-DD", or "" when the line has none */
	unsigned lineno;
	size_t offset, len; /* the line in the text (without its '\n'): an editor keeps the rest */
};

/* Parses `len` bytes of `text` (not changed). On success *out is a
 * malloc'd array of *n entries in file order (NULL when 0): free it with
 * dt_hostkey_entries_free. -1 with err (DT_ERR_CONFIG, or DT_ERR_NOMEM)
 * naming `file`, the line, the key and what to do; no secret is ever part
 * of a message. */
int dt_hostkey_file_parse(const char *text, size_t len, const char *file,
			  struct dt_hostkey_entry **out, size_t *n, struct dt_err *err);

/* Wipes the secrets and frees. NULL is allowed. */
void dt_hostkey_entries_free(struct dt_hostkey_entry *e, size_t n);

/* A line as the file holds it, with its '\n', into `out` (`size` bytes,
 * DT_HOSTKEY_LINE_MAX is enough); `created` may be NULL or "". 0, or -1
 * when a field is not valid. The caller wipes `out`: it holds the
 * secret. */
#define DT_HOSTKEY_LINE_MAX 512
int dt_hostkey_format_line(const char *id, const char *host,
			   const unsigned char secret[DT_SIGN_SECRET_BYTES], const char *created,
			   char *out, size_t size);

/* "YYYY-MM-DD" with a month 01..12 and a day 01..31. */
int dt_hostkey_date_ok(const char *s);

#endif
