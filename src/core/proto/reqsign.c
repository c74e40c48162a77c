#include "config.h"

#include "proto/reqsign.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

/* A host key file holds one short line; anything larger is not one. */
#define HOST_KEY_FILE_MAX 4096
#define SECRET_TEXT_LEN	  43
#define NONCE_BYTES	  16

int dt_reqsign_key_id_ok(const char *id)
{
	size_t n;

	if (id == NULL)
		return 0;
	for (n = 0; id[n] != '\0'; n++) {
		char c = id[n];
		if (n >= DT_SIGN_KEY_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n > 0;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* 43 characters carry 258 bits for 256: the last character's two low bits
 * must be zero, so that each secret has exactly one spelling. */
int dt_reqsign_secret_decode(const char *text, unsigned char secret[DT_SIGN_SECRET_BYTES])
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t i, o = 0;

	if (text == NULL || strnlen(text, SECRET_TEXT_LEN + 1) != SECRET_TEXT_LEN)
		return -1;
	for (i = 0; i < SECRET_TEXT_LEN; i++) {
		int v = b64url_value(text[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6 | (unsigned)v) & 0xffffu;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			secret[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != DT_SIGN_SECRET_BYTES || (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	OPENSSL_cleanse(&acc, sizeof(acc));
	return 0;
bad:
	OPENSSL_cleanse(&acc, sizeof(acc));
	OPENSSL_cleanse(secret, DT_SIGN_SECRET_BYTES);
	return -1;
}

void dt_reqsign_secret_encode(const unsigned char secret[DT_SIGN_SECRET_BYTES], char out[44])
{
	if (dt_base64url(secret, DT_SIGN_SECRET_BYTES, out, 44) != SECRET_TEXT_LEN)
		out[0] = '\0'; /* cannot happen: 44 bytes hold 43 and the NUL */
}

static int has_newline(const char *s)
{
	return strchr(s, '\n') != NULL;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The string to sign (reqsign.h), malloc'd. A field holding a newline
 * could shift the lines and make two requests sign alike: refused. */
static char *string_to_sign(const struct dt_reqsign_in *in, size_t *len, struct dt_err *err)
{
	unsigned char digest[32];
	unsigned int dlen = 0;
	char body_hex[65], *s;

	if (in->key_id == NULL || in->method == NULL || in->path == NULL || in->nonce == NULL ||
	    has_newline(in->key_id) || has_newline(in->method) || has_newline(in->path) ||
	    has_newline(in->nonce) || (in->body == NULL && in->body_len != 0)) {
		dt_err_set(err, DT_ERR_INTERNAL,
			   "request signature: a field is missing or holds a newline");
		return NULL;
	}
	if (EVP_Digest(in->body != NULL ? in->body : "", in->body_len, digest, &dlen, EVP_sha256(),
		       NULL) != 1 ||
	    dlen != sizeof(digest)) {
		dt_err_set(err, DT_ERR_INTERNAL, "request signature: SHA-256 failed");
		return NULL;
	}
	hex(digest, sizeof(digest), body_hex);
	s = dt_asprintf("%s\n%s\n%s\n%s\n%" PRId64 "\n%s\n%s", DT_SIGN_SCHEME, in->key_id,
			in->method, in->path, in->timestamp, in->nonce, body_hex);
	if (s == NULL) {
		dt_err_oom_in(err, "request signature");
		return NULL;
	}
	*len = strlen(s);
	return s;
}

int dt_reqsign_mac(const unsigned char *secret, size_t secret_len, const struct dt_reqsign_in *in,
		   char mac[DT_SIGN_MAC_HEX + 1], struct dt_err *err)
{
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int raw_len = 0;
	size_t len = 0;
	char *s;
	int ok;

	mac[0] = '\0';
	if (secret_len == 0 || secret_len > INT32_MAX)
		return dt_err_set(err, DT_ERR_INTERNAL, "request signature: no secret");
	s = string_to_sign(in, &len, err);
	if (s == NULL)
		return -1;
	ok = HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)s, len, raw,
		  &raw_len) != NULL &&
	     raw_len * 2 == DT_SIGN_MAC_HEX;
	free(s);
	if (ok)
		hex(raw, raw_len, mac);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (!ok)
		return dt_err_set(err, DT_ERR_INTERNAL, "request signature: HMAC-SHA256 failed");
	return 0;
}

int dt_reqsign_headers(const struct dt_host_key *key, const char *method, const char *path,
		       const char *body, size_t body_len, int64_t now_s,
		       struct dt_reqsign_headers *out, struct dt_err *err)
{
	char nonce[DT_SIGN_NONCE_MAX + 1], mac[DT_SIGN_MAC_HEX + 1];
	struct dt_reqsign_in in = {.key_id = key->id,
				   .method = method,
				   .path = path,
				   .timestamp = now_s,
				   .nonce = nonce,
				   .body = body,
				   .body_len = body_len};

	memset(out, 0, sizeof(*out));
	if (!dt_reqsign_key_id_ok(key->id))
		return dt_err_set(err, DT_ERR_CONFIG, "request signature: the key id is not valid");
	if (dt_random_token(nonce, sizeof(nonce), NONCE_BYTES) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL,
				  "request signature: the system's random source failed");
	if (dt_reqsign_mac(key->secret, sizeof(key->secret), &in, mac, err) < 0)
		return -1;
	snprintf(out->key, sizeof(out->key), "%s: %s", DT_SIGN_HEADER_KEY, key->id);
	snprintf(out->time, sizeof(out->time), "%s: %" PRId64, DT_SIGN_HEADER_TIME, now_s);
	snprintf(out->nonce, sizeof(out->nonce), "%s: %s", DT_SIGN_HEADER_NONCE, nonce);
	snprintf(out->mac, sizeof(out->mac), "%s: %s", DT_SIGN_HEADER_MAC, mac);
	out->lines[0] = out->key;
	out->lines[1] = out->time;
	out->lines[2] = out->nonce;
	out->lines[3] = out->mac;
	out->lines[4] = NULL;
	return 0;
}

void dt_host_key_wipe(struct dt_host_key *key)
{
	if (key != NULL)
		OPENSSL_cleanse(key, sizeof(*key));
}

#define KEY_LINE_HINT "want one line 'KEY_ID SECRET', as dingtalk-ctl host-key new prints it"

/* One non-comment line: "KEY_ID SECRET", cut in place. */
static int parse_key_line(char *line, const char *path, unsigned lineno, struct dt_host_key *out,
			  struct dt_err *err)
{
	char *save = NULL, *id, *secret, *extra;

	id = strtok_r(line, " \t\r", &save);
	secret = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if (!dt_reqsign_key_id_ok(id))
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s:%u: the key id is not valid: 1 to %d of A-Z a-z 0-9 . _ - (%s)", path,
		    lineno, DT_SIGN_KEY_ID_MAX, KEY_LINE_HINT);
	if (secret == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s:%u: key '%s' has no secret (%s)", path,
				  lineno, id, KEY_LINE_HINT);
	if (extra != NULL)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': unexpected text after the secret (%s)", path,
				  lineno, id, KEY_LINE_HINT);
	if (dt_reqsign_secret_decode(secret, out->secret) < 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s:%u: key '%s': the secret is not 43 characters of base64url "
				  "(%s)",
				  path, lineno, id, KEY_LINE_HINT);
	memcpy(out->id, id, strlen(id) + 1);
	return 0;
}

static int parse_key_file(char *text, size_t len, const char *path, struct dt_host_key *out,
			  struct dt_err *err)
{
	char *p = text, *end = text + len, *nl;
	unsigned lineno = 0, found = 0;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte (%s)", path,
				  KEY_LINE_HINT);
	while (p < end) {
		size_t n;
		char *first;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p[n] = '\0';
		lineno++;
		first = p + strspn(p, " \t\r");
		if (*first != '\0' && *first != '#') {
			if (found != 0)
				return dt_err_set(err, DT_ERR_CONFIG,
						  "%s:%u: a second key (line %u holds the first; "
						  "the file holds one key: %s)",
						  path, lineno, found, KEY_LINE_HINT);
			if (parse_key_line(first, path, lineno, out, err) < 0)
				return -1;
			found = lineno;
		}
		p += n + 1;
	}
	if (found == 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: holds no key (%s)", path, KEY_LINE_HINT);
	return 0;
}

int dt_host_key_load(const char *path, struct dt_host_key *out, struct dt_err *err)
{
	size_t len = 0;
	char *text;
	int rc;

	memset(out, 0, sizeof(*out));
	text = dt_read_protected_file(path, DT_FILE_SECRET, HOST_KEY_FILE_MAX, &len, err);
	if (text == NULL)
		return -1;
	rc = parse_key_file(text, len, path, out, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc < 0)
		dt_host_key_wipe(out);
	return rc;
}
