/* Checks a signed control request (proto/reqsign.h): the key exists, the
 * timestamp is within the skew window, the signature matches (compared in
 * constant time) and, only then, the nonce is new. Pure apart from the
 * nonce callback, so the fuzz target and the unit tests drive it alone. */
#ifndef CBD_VERIFY_H
#define CBD_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "hostkeys.h"

struct cbd_signed_request {
	const char *method;
	const char *path; /* with its query, as received */
	/* the header values, NULL when absent */
	const char *key_id, *timestamp, *nonce, *signature;
	const char *body; /* NULL or body_len bytes */
	size_t body_len;
};

enum cbd_verify_rc {
	CBD_VERIFY_OK,
	CBD_VERIFY_MISSING,	  /* a signature header is absent */
	CBD_VERIFY_MALFORMED,	  /* a header value has the wrong syntax */
	CBD_VERIFY_UNKNOWN_KEY,	  /* no such key id in host_keys */
	CBD_VERIFY_STALE,	  /* timestamp outside now +- skew */
	CBD_VERIFY_BAD_SIGNATURE, /* the HMAC does not match */
	CBD_VERIFY_REPLAY,	  /* the nonce was used before */
	CBD_VERIFY_STORE_DOWN,	  /* the nonce could not be checked */
};

/* 0: the nonce is new (and is now remembered for ttl_s); 1: seen before;
 * -1: cannot tell. */
typedef int (*cbd_nonce_once_fn)(void *ctx, const char *key_id, const char *nonce, unsigned ttl_s);

/* On CBD_VERIFY_OK, *key_out holds the key (its host is who may be named
 * in the request; the caller wipes it). The nonce is remembered for
 * 2 * skew_s. */
enum cbd_verify_rc cbd_verify(struct cbd_hostkeys *keys, const struct cbd_signed_request *req,
			      int64_t now_ms, unsigned skew_s, cbd_nonce_once_fn once,
			      void *once_ctx, struct cbd_hostkey *key_out);

/* A sentence for the log and the 401 body: what was wrong and what to
 * check ("the timestamp is 75 s from the service's clock; check the
 * host's clock (NTP)" is the caller's, with the figures; this is the
 * fixed part). */
const char *cbd_verify_reason(enum cbd_verify_rc rc);

/* The answer to a refusal: 401 with the error_code of control_api.h
 * (DT_CONTROL_SIGN_*), or 503 with DT_CONTROL_STORE_DOWN when the nonce
 * could not be checked. NULL and 0 for CBD_VERIFY_OK. */
const char *cbd_verify_error_code(enum cbd_verify_rc rc);
unsigned cbd_verify_http_status(enum cbd_verify_rc rc);

#endif
