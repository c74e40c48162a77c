/* Signed control requests (docs/control-api.md, "Signed requests"): the one
 * definition of the string a host signs and the service checks, so that
 * the two ends can never disagree on it.
 *
 * The string to sign is, lines joined by "\n" with no trailing newline:
 *   DT1-HMAC-SHA256
 *   <key id>
 *   <METHOD>
 *   <path and query, exactly as sent: "/v1/sessions/ID/wait?timeout=25">
 *   <timestamp: decimal Unix seconds>
 *   <nonce>
 *   <lowercase hex SHA-256 of the body; of "" when there is none>
 * and the signature is the lowercase hex HMAC-SHA256 of it under the key's
 * 32-byte secret. */
#ifndef DT_REQSIGN_H
#define DT_REQSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/control_api.h"

/* One host key as a host holds it. The secret is wiped by dt_host_key_wipe. */
struct dt_host_key {
	char id[DT_SIGN_KEY_ID_MAX + 1];
	unsigned char secret[DT_SIGN_SECRET_BYTES];
};

struct dt_reqsign_in {
	const char *key_id;
	const char *method;
	const char *path; /* with its query, as sent */
	int64_t timestamp;
	const char *nonce;
	const char *body; /* NULL or body_len bytes */
	size_t body_len;
};

/* The signature into mac (DT_SIGN_MAC_HEX + 1 bytes). 0, or -1 on a
 * library failure (with err set). */
int dt_reqsign_mac(const unsigned char *secret, size_t secret_len, const struct dt_reqsign_in *in,
		   char mac[DT_SIGN_MAC_HEX + 1], struct dt_err *err);

/* The four "Name: value" header lines of one signed request: a fresh nonce
 * from the system's random source, `now_s` as the timestamp. `lines` is
 * NULL-terminated, ready for dt_http_request's headers. */
struct dt_reqsign_headers {
	char key[sizeof(DT_SIGN_HEADER_KEY) + 2 + DT_SIGN_KEY_ID_MAX + 1];
	char time[sizeof(DT_SIGN_HEADER_TIME) + 2 + 24];
	char nonce[sizeof(DT_SIGN_HEADER_NONCE) + 2 + DT_SIGN_NONCE_MAX + 1];
	char mac[sizeof(DT_SIGN_HEADER_MAC) + 2 + DT_SIGN_MAC_HEX + 1];
	const char *lines[5];
};

int dt_reqsign_headers(const struct dt_host_key *key, const char *method, const char *path,
		       const char *body, size_t body_len, int64_t now_s,
		       struct dt_reqsign_headers *out, struct dt_err *err);

/* A key id's syntax: 1..DT_SIGN_KEY_ID_MAX of [A-Za-z0-9._-]. */
int dt_reqsign_key_id_ok(const char *id);

/* The secret as written in key files: 43 characters of unpadded base64url
 * for 32 bytes. 0, or -1 when `text` is not exactly that. */
int dt_reqsign_secret_decode(const char *text, unsigned char secret[DT_SIGN_SECRET_BYTES]);
/* ... and back (out: 44 bytes). */
void dt_reqsign_secret_encode(const unsigned char secret[DT_SIGN_SECRET_BYTES], char out[44]);

/* A host's key file (helper_key_file): one line "KEY_ID SECRET", comments
 * (#) and blank lines ignored; read with dt_read_protected_file as a
 * secret (owned by root or the caller, no group or other access). Errors
 * name the file and the line: DT_ERR_CONFIG. */
int dt_host_key_load(const char *path, struct dt_host_key *out, struct dt_err *err);

void dt_host_key_wipe(struct dt_host_key *key);

#endif
