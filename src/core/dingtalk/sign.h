/* The legacy snsapi_login exchange's signature (flow B):
 * urlencode(base64(HMAC-SHA256(key = AppSecret, msg = timestamp in
 * milliseconds as decimal text))), URL-encoded exactly once. */
#ifndef DT_SIGN_H
#define DT_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* base64 of a SHA-256 HMAC: 44 characters and a NUL. */
#define DT_SIGN_B64_SIZE 45

/* Writes the base64 signature (with padding) of `timestamp_ms` into `out`.
 * Returns 0, or -1 when OpenSSL fails or `out` is too small. */
int dt_sns_sign(const char *secret, int64_t timestamp_ms, char *out, size_t out_size);

/* The signature as it goes into the query string: malloc'd, NULL on
 * failure. */
char *dt_sns_signature_param(const char *secret, int64_t timestamp_ms);

#endif
