#include "config.h"

#include "access/recovery.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "access/sources.h"
#include "base/textbuf.h"
#include "base/util.h"

#define SCHEME	   "pbkdf2-sha256"
#define ITERATIONS 10000
#define SALT_BYTES 16
#define HASH_BYTES 32
#define SEPARATORS " \t\r"

/* Crockford's base32: no I, L, O or U, so a code read aloud or written by
 * hand survives. */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

int dt_recovery_new_code(char code[DT_RECOVERY_CODE_SIZE], struct dt_err *err)
{
	unsigned char raw[DT_RECOVERY_CODE_LEN];
	size_t i, o = 0;

	if (dt_random_bytes(raw, sizeof(raw)) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the random source failed");
	for (i = 0; i < DT_RECOVERY_CODE_LEN; i++) {
		if (i > 0 && i % 4 == 0)
			code[o++] = '-';
		code[o++] = alphabet[raw[i] & 31]; /* 256 is a multiple of 32: no bias */
	}
	code[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/* The code as typed, reduced to its 16 characters; -1 if it cannot be one. */
static int normalize(const char *in, char out[DT_RECOVERY_CODE_LEN + 1])
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		int c = tolower((unsigned char)*in);
		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		if (strchr(alphabet, c) == NULL || c == '\0' || n == DT_RECOVERY_CODE_LEN)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n == DT_RECOVERY_CODE_LEN ? 0 : -1;
}

static int derive(const char *norm, const unsigned char *salt, unsigned iterations,
		  unsigned char hash[HASH_BYTES])
{
	return PKCS5_PBKDF2_HMAC(norm, (int)strlen(norm), salt, SALT_BYTES, (int)iterations,
				 EVP_sha256(), HASH_BYTES, hash) == 1
		   ? 0
		   : -1;
}

char *dt_recovery_hash(const char *code, struct dt_err *err)
{
	unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
	char norm[DT_RECOVERY_CODE_LEN + 1], salt64[32], hash64[64], *out;

	if (normalize(code, norm) < 0) {
		dt_err_set(err, DT_ERR_INTERNAL, "not a recovery code");
		return NULL;
	}
	if (dt_random_bytes(salt, sizeof(salt)) < 0 || derive(norm, salt, ITERATIONS, hash) < 0) {
		dt_err_set(err, DT_ERR_INTERNAL, "cannot hash the recovery code");
		return NULL;
	}
	OPENSSL_cleanse(norm, sizeof(norm));
	dt_base64url(salt, sizeof(salt), salt64, sizeof(salt64));
	dt_base64url(hash, sizeof(hash), hash64, sizeof(hash64));
	out = dt_asprintf("%s$%u$%s$%s", SCHEME, ITERATIONS, salt64, hash64);
	if (out == NULL)
		dt_err_oom(err);
	return out;
}

/* base64url without padding, the inverse of dt_base64url. */
static int unbase64url(const char *in, unsigned char *out, size_t want)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned acc = 0, bits = 0;
	size_t n = 0;

	for (; *in != '\0'; in++) {
		const char *p = strchr(b64, *in);
		if (p == NULL)
			return -1;
		acc = (acc << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == want)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n == want ? 0 : -1;
}

/* Whether `stored` is the hash of the normalized code. A malformed hash
 * matches nothing. */
static int hash_matches(const char *stored, const char *norm)
{
	unsigned char salt[SALT_BYTES], want[HASH_BYTES], got[HASH_BYTES];
	char salt64[64], hash64[64];
	unsigned iterations;
	int match;

	if (strncmp(stored, SCHEME "$", sizeof(SCHEME)) != 0 ||
	    sscanf(stored + sizeof(SCHEME), "%u$%63[^$]$%63s", &iterations, salt64, hash64) != 3)
		return 0;
	if (iterations < 1000 || iterations > 10000000 ||
	    unbase64url(salt64, salt, sizeof(salt)) < 0 ||
	    unbase64url(hash64, want, sizeof(want)) < 0 || derive(norm, salt, iterations, got) < 0)
		return 0;
	match = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return match;
}

/* One line: user and hash, or a comment/blank (user == NULL). */
struct rline {
	char *user, *hash;
};

static int split(char *line, const char *where, struct rline *r, struct dt_err *err)
{
	char *save = NULL, *extra;

	r->user = strtok_r(line, SEPARATORS, &save);
	r->hash = NULL;
	if (r->user == NULL || r->user[0] == '#') {
		r->user = NULL;
		return 0;
	}
	r->hash = strtok_r(NULL, SEPARATORS, &save);
	extra = strtok_r(NULL, SEPARATORS, &save);
	if (!dt_valid_user_name(r->user) || r->hash == NULL || extra != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: want 'user " SCHEME "$...'", where);
	return 0;
}

/* Walks the lines; `keep` decides per entry whether it stays in `out`. */
typedef int (*keep_fn)(void *ctx, const struct rline *r);

static int filter(const char *text, size_t len, const char *file, keep_fn keep, void *ctx,
		  struct dt_textbuf *out, struct dt_err *err)
{
	const char *p = text, *end = text + len;
	char where[512], *work;
	unsigned lineno = 0;
	struct rline r;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if ((work = strndup(p, n)) == NULL)
			return dt_err_oom(err);
		snprintf(where, sizeof(where), "%s:%u", file, ++lineno);
		if (split(work, where, &r, err) < 0) {
			free(work);
			return -1;
		}
		if (r.user == NULL || keep(ctx, &r)) {
			dt_textbuf_add(out, p, n);
			dt_textbuf_add(out, "\n", 1);
		}
		free(work);
		p += n + (nl != NULL);
	}
	return 0;
}

struct pick {
	const char *user;
	const char *norm; /* consume: the code looked for */
	unsigned theirs;  /* the user's entries kept */
	int matched;
};

static int keep_others(void *ctx, const struct rline *r)
{
	struct pick *pk = ctx;

	return strcmp(r->user, pk->user) != 0;
}

static int keep_unmatched(void *ctx, const struct rline *r)
{
	struct pick *pk = ctx;

	if (strcmp(r->user, pk->user) != 0)
		return 1;
	if (!pk->matched && hash_matches(r->hash, pk->norm)) {
		pk->matched = 1;
		return 0;
	}
	pk->theirs++;
	return 1;
}

static int take(struct dt_textbuf *b, char **out, struct dt_err *err)
{
	*out = dt_textbuf_take(b);
	return *out == NULL ? dt_err_oom(err) : 0;
}

int dt_recovery_replace(const char *text, size_t len, const char *file, const char *user,
			char *const *hashes, size_t n, char **out, struct dt_err *err)
{
	struct pick pk = {.user = user};
	struct dt_textbuf b = {0};
	size_t i;

	*out = NULL;
	if (!dt_valid_user_name(user))
		return dt_err_set(err, DT_ERR_CONFIG, "'%.64s' is not a user name", user);
	if (filter(text, len, file, keep_others, &pk, &b, err) < 0) {
		dt_free_secret(dt_textbuf_take(&b));
		return -1;
	}
	for (i = 0; i < n; i++)
		dt_textbuf_addf(&b, "%s\t%s\n", user, hashes[i]);
	return take(&b, out, err);
}

int dt_recovery_count(const char *text, size_t len, const char *file, const char *user,
		      unsigned *count, struct dt_err *err)
{
	struct pick pk = {.user = user, .norm = ""};
	struct dt_textbuf b = {0};
	int rc;

	*count = 0;
	pk.matched = 1; /* count only: match nothing, hash nothing */
	rc = filter(text, len, file, keep_unmatched, &pk, &b, err);
	dt_free_secret(dt_textbuf_take(&b));
	*count = pk.theirs;
	return rc;
}

int dt_recovery_consume(const char *text, size_t len, const char *file, const char *user,
			const char *code, char **out, unsigned *left, struct dt_err *err)
{
	char norm[DT_RECOVERY_CODE_LEN + 1];
	struct pick pk = {.user = user, .norm = norm};
	struct dt_textbuf b = {0};
	int rc;

	*out = NULL;
	*left = 0;
	if (normalize(code, norm) < 0) {
		/* Not even the shape of a code: nothing to hash. */
		return dt_recovery_count(text, len, file, user, left, err);
	}
	rc = filter(text, len, file, keep_unmatched, &pk, &b, err);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (rc < 0 || !pk.matched) {
		dt_free_secret(dt_textbuf_take(&b));
		*left = pk.theirs;
		return rc;
	}
	*left = pk.theirs;
	return take(&b, out, err);
}
