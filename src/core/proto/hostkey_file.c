#include "config.h"

#include "proto/hostkey_file.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define SEPARATORS " \t\r"
#define LINE_HINT                                                                                  \
	"want 'KEY_ID HOST SECRET [created=YYYY-MM-DD]', as dingtalk-ctl host-key new writes it"
#define CREATED "created="

int dt_hostkey_date_ok(const char *s)
{
	int i, month, day;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	month = (s[5] - '0') * 10 + (s[6] - '0');
	day = (s[8] - '0') * 10 + (s[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* The fields after the id, cut in place from `save`. Messages name the
 * key id (already checked) but never a secret nor a field that might be
 * one. */
static int parse_fields(char **save, const char *file, struct dt_hostkey_entry *e,
			struct dt_err *err)
{
	char *host = strtok_r(NULL, SEPARATORS, save);
	char *secret = strtok_r(NULL, SEPARATORS, save);
	char *created = strtok_r(NULL, SEPARATORS, save);
	char *extra = strtok_r(NULL, SEPARATORS, save);

	if (host == NULL || secret == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: key '%s' has no %s (%s)", file,
				  e->lineno, e->id, host == NULL ? "host" : "secret", LINE_HINT);
	if (!dt_is_printable_id(host))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': the host is not 1 to 256 printable ASCII "
				  "characters (%s)",
				  file, e->lineno, e->id, LINE_HINT);
	if (dt_reqsign_secret_decode(secret, e->secret) < 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': the secret is not 43 characters of base64url "
				  "(%s)",
				  file, e->lineno, e->id, LINE_HINT);
	if (created != NULL && (strncmp(created, CREATED, strlen(CREATED)) != 0 ||
				!dt_hostkey_date_ok(created + strlen(CREATED))))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': the fourth field is not 'created=YYYY-MM-DD' "
				  "(%s)",
				  file, e->lineno, e->id, LINE_HINT);
	if (extra != NULL)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': unknown field after 'created=' (%s)", file,
				  e->lineno, e->id, LINE_HINT);
	memcpy(e->host, host, strlen(host) + 1);
	if (created != NULL)
		memcpy(e->created, created + strlen(CREATED), 11);
	return 0;
}

/* One key line into `e`: `line` is a NUL-terminated copy (wiped by the
 * caller). */
static int parse_line(char *line, const char *file, struct dt_hostkey_entry *e, struct dt_err *err)
{
	char *save = NULL;
	char *id = strtok_r(line, SEPARATORS, &save);

	if (!dt_reqsign_key_id_ok(id))
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s:%u: the key id (first field) is not 1 to %d of A-Z a-z 0-9 . _ "
		    "- (%s)",
		    file, e->lineno, DT_SIGN_KEY_ID_MAX, LINE_HINT);
	memcpy(e->id, id, strlen(id) + 1);
	return parse_fields(&save, file, e, err);
}

static int by_id(const void *a, const void *b)
{
	const struct dt_hostkey_entry *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* A key id once: sorted pointers, neighbours compared; the message names
 * both lines. */
static int check_unique(struct dt_hostkey_entry *e, size_t n, const char *file, struct dt_err *err)
{
	struct dt_hostkey_entry **idx;
	size_t i;
	int rc = 0;

	if (n < 2)
		return 0;
	idx = calloc(n, sizeof(*idx));
	if (idx == NULL)
		return dt_err_oom_in(err, file);
	for (i = 0; i < n; i++)
		idx[i] = &e[i];
	qsort(idx, n, sizeof(*idx), by_id);
	for (i = 1; i < n && rc == 0; i++)
		if (strcmp(idx[i - 1]->id, idx[i]->id) == 0) {
			unsigned a = idx[i - 1]->lineno, b = idx[i]->lineno;
			rc = dt_err_set(err, DT_ERR_CONFIG,
					"%s:%u: key id '%s' is also on line %u (a key id is used "
					"once: give the new key its own id, or remove one line)",
					file, a > b ? a : b, idx[i]->id, a < b ? a : b);
		}
	free(idx);
	return rc;
}

struct parse {
	const char *file;
	struct dt_hostkey_entry *e;
	size_t n, cap;
};

static int add_line(struct parse *ps, const char *raw, size_t len, size_t offset, unsigned lineno,
		    struct dt_err *err)
{
	char line[DT_HOSTKEY_LINE_MAX];
	struct dt_hostkey_entry *e;
	int rc;

	if (len >= sizeof(line))
		return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: line longer than %d bytes (%s)",
				  ps->file, lineno, DT_HOSTKEY_LINE_MAX - 1, LINE_HINT);
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct dt_hostkey_entry *grown = calloc(cap, sizeof(*grown));
		if (grown == NULL)
			return dt_err_oom_in(err, ps->file);
		if (ps->n > 0)
			memcpy(grown, ps->e, ps->n * sizeof(*grown));
		dt_hostkey_entries_free(ps->e, ps->n);
		ps->e = grown;
		ps->cap = cap;
	}
	e = &ps->e[ps->n];
	memset(e, 0, sizeof(*e));
	e->lineno = lineno;
	e->offset = offset;
	e->len = len;
	memcpy(line, raw, len);
	line[len] = '\0';
	rc = parse_line(line, ps->file, e, err);
	OPENSSL_cleanse(line, sizeof(line));
	if (rc < 0) {
		OPENSSL_cleanse(e, sizeof(*e));
		return -1;
	}
	ps->n++;
	return 0;
}

int dt_hostkey_file_parse(const char *text, size_t len, const char *file,
			  struct dt_hostkey_entry **out, size_t *n, struct dt_err *err)
{
	struct parse ps = {.file = file};
	const char *p = text, *end = text + len, *nl;
	unsigned lineno = 0;

	*out = NULL;
	*n = 0;
	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte (%s)", file,
				  LINE_HINT);
	while (p < end) {
		size_t l, skip;

		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		for (skip = 0; skip < l && strchr(SEPARATORS, p[skip]) != NULL; skip++)
			;
		if (skip < l && p[skip] != '#' &&
		    add_line(&ps, p, l, (size_t)(p - text), lineno, err) < 0)
			goto fail;
		p += l + 1;
	}
	if (check_unique(ps.e, ps.n, file, err) < 0)
		goto fail;
	*out = ps.e;
	*n = ps.n;
	return 0;
fail:
	dt_hostkey_entries_free(ps.e, ps.n);
	return -1;
}

void dt_hostkey_entries_free(struct dt_hostkey_entry *e, size_t n)
{
	if (e == NULL)
		return;
	OPENSSL_cleanse(e, n * sizeof(*e));
	free(e);
}

int dt_hostkey_format_line(const char *id, const char *host,
			   const unsigned char secret[DT_SIGN_SECRET_BYTES], const char *created,
			   char *out, size_t size)
{
	char text[44];
	int n;

	if (!dt_reqsign_key_id_ok(id) || host == NULL || !dt_is_printable_id(host) ||
	    (created != NULL && created[0] != '\0' && !dt_hostkey_date_ok(created)))
		return -1;
	dt_reqsign_secret_encode(secret, text);
	if (created != NULL && created[0] != '\0')
		n = snprintf(out, size, "%s %s %s " CREATED "%s\n", id, host, text, created);
	else
		n = snprintf(out, size, "%s %s %s\n", id, host, text);
	OPENSSL_cleanse(text, sizeof(text));
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			OPENSSL_cleanse(out, size);
		return -1;
	}
	return 0;
}
