#include "config.h"

#include "verify.h"

#include <openssl/crypto.h>
#include <string.h>

#include "base/util.h"

/* A skew larger than a day is no window: it is clamped so that 2 * skew
 * cannot overflow (the configuration refuses such values anyway). */
#define SKEW_MAX_S 86400u
/* Timestamps of up to 18 digits: they fit an int64_t without a check. */
#define TIMESTAMP_DIGITS_MAX 18

static int timestamp_parse(const char *s, int64_t *out)
{
	size_t i, n = strlen(s);
	int64_t v = 0;

	/* No leading zero: the header's text is then the very decimal the
	 * string to sign holds. */
	if (n == 0 || n > TIMESTAMP_DIGITS_MAX || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* A method is an HTTP token of capitals; a path starts with '/' and holds
 * only visible ASCII (a newline would shift the string to sign). */
static int request_line_ok(const struct cbd_signed_request *req)
{
	size_t i;

	if (req->method == NULL || req->path == NULL || req->method[0] == '\0' ||
	    req->path[0] != '/' || (req->body == NULL && req->body_len != 0))
		return 0;
	for (i = 0; req->method[i] != '\0'; i++)
		if (req->method[i] < 'A' || req->method[i] > 'Z')
			return 0;
	for (i = 0; req->path[i] != '\0'; i++)
		if (req->path[i] <= ' ' || req->path[i] > '~')
			return 0;
	return 1;
}

static enum cbd_verify_rc syntax(const struct cbd_signed_request *req, int64_t *ts)
{
	if (req->key_id == NULL || req->timestamp == NULL || req->nonce == NULL ||
	    req->signature == NULL)
		return CBD_VERIFY_MISSING;
	if (!request_line_ok(req) || !dt_reqsign_key_id_ok(req->key_id) ||
	    timestamp_parse(req->timestamp, ts) < 0 ||
	    !dt_is_token(req->nonce, DT_SIGN_NONCE_MIN, DT_SIGN_NONCE_MAX) ||
	    !lower_hex(req->signature, DT_SIGN_MAC_HEX))
		return CBD_VERIFY_MALFORMED;
	return CBD_VERIFY_OK;
}

static enum cbd_verify_rc mac_check(const struct cbd_hostkey *key,
				    const struct cbd_signed_request *req, int64_t ts)
{
	const struct dt_reqsign_in in = {.key_id = req->key_id,
					 .method = req->method,
					 .path = req->path,
					 .timestamp = ts,
					 .nonce = req->nonce,
					 .body = req->body,
					 .body_len = req->body_len};
	char mac[DT_SIGN_MAC_HEX + 1];
	enum cbd_verify_rc rc = CBD_VERIFY_BAD_SIGNATURE;

	/* A library failure fails closed: the request is not let through. */
	if (dt_reqsign_mac(key->secret, sizeof(key->secret), &in, mac, NULL) == 0 &&
	    CRYPTO_memcmp(mac, req->signature, DT_SIGN_MAC_HEX) == 0)
		rc = CBD_VERIFY_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

enum cbd_verify_rc cbd_verify(struct cbd_hostkeys *keys, const struct cbd_signed_request *req,
			      int64_t now_ms, unsigned skew_s, cbd_nonce_once_fn once,
			      void *once_ctx, struct cbd_hostkey *key_out)
{
	struct cbd_hostkey key;
	enum cbd_verify_rc rc;
	int64_t ts = 0, diff;
	int seen;

	if (key_out != NULL)
		memset(key_out, 0, sizeof(*key_out));
	rc = syntax(req, &ts);
	if (rc != CBD_VERIFY_OK)
		return rc;
	if (cbd_hostkeys_find(keys, req->key_id, now_ms, &key) < 0)
		return CBD_VERIFY_UNKNOWN_KEY;
	if (skew_s > SKEW_MAX_S)
		skew_s = SKEW_MAX_S;
	diff = (now_ms < 0 ? 0 : now_ms / 1000) - ts;
	if (diff > (int64_t)skew_s || diff < -(int64_t)skew_s)
		rc = CBD_VERIFY_STALE;
	else
		rc = mac_check(&key, req, ts);
	/* Only a request signed with the key reaches the nonce store, so
	 * unsigned traffic cannot fill it. A timestamp is accepted during
	 * 2 * skew + 1 whole seconds: the nonce is kept as long. */
	if (rc == CBD_VERIFY_OK) {
		seen = once != NULL ? once(once_ctx, req->key_id, req->nonce, 2 * skew_s + 1) : -1;
		rc = seen == 0	 ? CBD_VERIFY_OK
		     : seen == 1 ? CBD_VERIFY_REPLAY
				 : CBD_VERIFY_STORE_DOWN;
	}
	if (rc == CBD_VERIFY_OK && key_out != NULL)
		*key_out = key;
	OPENSSL_cleanse(&key, sizeof(key));
	return rc;
}

const char *cbd_verify_reason(enum cbd_verify_rc rc)
{
	switch (rc) {
	case CBD_VERIFY_OK:
		return "the request's signature is valid";
	case CBD_VERIFY_MISSING:
		return "the request is not signed: it lacks one of the headers X-DT-Key-Id, "
		       "X-DT-Timestamp, X-DT-Nonce, X-DT-Signature; set helper_key_file on the "
		       "host";
	case CBD_VERIFY_MALFORMED:
		return "a signature header has the wrong form; the host's module and the service "
		       "may be of different versions";
	case CBD_VERIFY_UNKNOWN_KEY:
		return "the key id is not in the service's host_keys; add the host's key there "
		       "(dingtalk-ctl host-key new) or install the current key on the host";
	case CBD_VERIFY_STALE:
		return "the request's timestamp is outside the service's skew window; check the "
		       "host's clock (NTP)";
	case CBD_VERIFY_BAD_SIGNATURE:
		return "the signature does not match; the host's secret differs from the one in "
		       "host_keys, or the request was changed on its way";
	case CBD_VERIFY_REPLAY:
		return "the request's nonce was used before: a replayed request is refused";
	case CBD_VERIFY_STORE_DOWN:
		return "the service cannot check the request's nonce: its store is unavailable";
	}
	return "the request's signature could not be checked";
}

const char *cbd_verify_error_code(enum cbd_verify_rc rc)
{
	switch (rc) {
	case CBD_VERIFY_OK:
		return NULL;
	case CBD_VERIFY_MISSING:
		return DT_CONTROL_SIGN_MISSING;
	case CBD_VERIFY_MALFORMED:
		return DT_CONTROL_SIGN_MALFORMED;
	case CBD_VERIFY_UNKNOWN_KEY:
		return DT_CONTROL_SIGN_UNKNOWN_KEY;
	case CBD_VERIFY_STALE:
		return DT_CONTROL_SIGN_STALE;
	case CBD_VERIFY_BAD_SIGNATURE:
		return DT_CONTROL_SIGN_BAD_SIGNATURE;
	case CBD_VERIFY_REPLAY:
		return DT_CONTROL_SIGN_REPLAY;
	case CBD_VERIFY_STORE_DOWN:
		return DT_CONTROL_STORE_DOWN;
	}
	return DT_CONTROL_SIGN_MALFORMED;
}

unsigned cbd_verify_http_status(enum cbd_verify_rc rc)
{
	if (rc == CBD_VERIFY_OK)
		return 0;
	return rc == CBD_VERIFY_STORE_DOWN ? 503 : 401;
}
