#include "config.h"

#include "dingtalk/sign.h"

#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"

int dt_sns_sign(const char *secret, int64_t timestamp_ms, char *out, size_t out_size)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char msg[32];
	size_t key_len = strlen(secret);
	int n;

	if (out_size < DT_SIGN_B64_SIZE || timestamp_ms < 0 || key_len > INT32_MAX)
		return -1;
	n = snprintf(msg, sizeof(msg), "%" PRId64, timestamp_ms);
	if (n <= 0 || (size_t)n >= sizeof(msg))
		return -1;
	if (HMAC(EVP_sha256(), secret, (int)key_len, (const unsigned char *)msg, (size_t)n, mac,
		 &mac_len) == NULL ||
	    mac_len != 32) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return -1;
	}
	n = EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return n == DT_SIGN_B64_SIZE - 1 ? 0 : -1;
}

char *dt_sns_signature_param(const char *secret, int64_t timestamp_ms)
{
	char b64[DT_SIGN_B64_SIZE];
	char *out;

	if (dt_sns_sign(secret, timestamp_ms, b64, sizeof(b64)) < 0)
		return NULL;
	out = dt_urlencode(b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	return out;
}
