/* The control API between pam_dingtalk.so and dingtalk-callbackd
 * (docs/control-api.md): what both ends must agree on, defined once. The
 * module's side is login/helper_client.c (and login/session.c for the
 * in-DingTalk URL), the helper's src/callbackd/control.c and register.c.
 * Constants only: either end includes it without taking on anything of
 * the other. */
#ifndef DT_CONTROL_API_H
#define DT_CONTROL_API_H

/* Where the helper listens unless configured otherwise (its `control`
 * key; the module's `helper = unix:...`). */
#define DT_CONTROL_SOCKET "/run/dingtalk-callbackd/control.sock"

/* POST registers a session; /v1/sessions/<id> is cancelled with DELETE
 * and waited on with GET .../wait?timeout=<s>. */
#define DT_CONTROL_SESSIONS "/v1/sessions"

/* A long-poll's `timeout`: 1..DT_CONTROL_WAIT_MAX_S seconds, the default
 * without one. The module asks for the default at most and loops until
 * its own deadline. */
#define DT_CONTROL_WAIT_DEFAULT_S 25
#define DT_CONTROL_WAIT_MAX_S	  30

/* The smallest `ttl` the helper accepts (it answers 400 below it). */
#define DT_CONTROL_TTL_MIN 1

/* Field limits of a registration, in bytes: `user`, `service`, `host`,
 * `rhost`; `authorize_url`; `requester` and `requester_address`. */
#define DT_CONTROL_FIELD_MAX	 256
#define DT_CONTROL_URL_MAX	 2048
#define DT_CONTROL_REQUESTER_MAX 600
/* `command` (sudo's SUDO_COMMAND, shown on the phone): longer ones are cut
 * by the module, with a mark that they were (proto/command_text.h). */
#define DT_CONTROL_COMMAND_MAX 256

/* The longest authorization code the helper holds and hands over. */
#define DT_CONTROL_CODE_MAX 512

/* Flow C: the module registers this pseudo-URL as authorize_url,
 * DT_CONTROL_INAPP_PREFIX <corpId> "&state=" <state> "&clientId=" <AppKey>,
 * and the helper serves its own page inside DingTalk for it. The page
 * needs the clientId for DingTalk's current dd.requestAuthCode; a module
 * older than it sends none, and the page then uses the older call. */
#define DT_CONTROL_INAPP_SCHEME	      "dingtalk-inapp:"
#define DT_CONTROL_INAPP_PREFIX	      DT_CONTROL_INAPP_SCHEME "?corpId="
#define DT_CONTROL_INAPP_STATE_PARAM  "&state="
#define DT_CONTROL_INAPP_CLIENT_PARAM "&clientId="

/* A registration's refusals: the `error_code` the module acts on. */
#define DT_CONTROL_REFUSED_REQUESTER "requester_full" /* 429 */
#define DT_CONTROL_REFUSED_ADDRESS   "address_full"   /* 429 */
/* 429: this fleet host has max_pending_per_host pending (a refusal, like
 * requester_full: the module answers PAM_AUTH_ERR, never unavailable). */
#define DT_CONTROL_REFUSED_HOST "host_full"
/* 429 to a wait over TCP: this host has 2 * max_pending_per_host waits
 * open already. */
#define DT_CONTROL_WAITS_FULL	"waits_full"
#define DT_CONTROL_REFUSED_FULL "full" /* 503: max_pending */
/* 400 to a registration whose `command` the helper will not show
 * (proto/command_text.h): longer than DT_CONTROL_COMMAND_MAX bytes, or
 * not safe text (a control or hiding character, invalid UTF-8). The
 * module never sends either: it cuts and cleans the command first. */
#define DT_CONTROL_COMMAND_TOO_LONG "command_too_long"
#define DT_CONTROL_COMMAND_NOT_TEXT "command_not_text"

/* A wait's `status`. */
#define DT_CONTROL_PENDING  "pending"
#define DT_CONTROL_APPROVED "approved"
#define DT_CONTROL_REFUSED  "refused"
#define DT_CONTROL_EXPIRED  "expired"
/* A refusal's `reason` that the module tells apart: the person tapped
 * "Not me" on the confirmation page (someone else started this login). */
#define DT_CONTROL_REASON_NOT_ME       "not_me"
#define DT_CONTROL_REASON_WRONG_NUMBER "wrong_number"
#define DT_CONTROL_REASON_DENIED       "denied" /* error= on the callback */

/* Signed requests on the TCP control listener (a fleet): the headers and
 * the version tag that begins the string to sign (docs/control-api.md,
 * "Signed requests"). */
#define DT_SIGN_SCHEME	       "DT1-HMAC-SHA256"
#define DT_SIGN_HEADER_KEY     "X-DT-Key-Id"
#define DT_SIGN_HEADER_TIME    "X-DT-Timestamp"
#define DT_SIGN_HEADER_NONCE   "X-DT-Nonce"
#define DT_SIGN_HEADER_MAC     "X-DT-Signature"
#define DT_SIGN_KEY_ID_MAX     64 /* [A-Za-z0-9._-] */
#define DT_SIGN_SECRET_BYTES   32 /* written as 43 characters of base64url */
#define DT_SIGN_NONCE_MIN      16 /* [A-Za-z0-9_-] */
#define DT_SIGN_NONCE_MAX      64
#define DT_SIGN_MAC_HEX	       64 /* lowercase hex of HMAC-SHA256 */
#define DT_SIGN_SKEW_DEFAULT_S 60
/* The `error_code` of a refused signature (401) and of a key naming
 * another host (403): the module names it in its log line with what the
 * administrator should do. */
#define DT_CONTROL_SIGN_MISSING	      "missing"
#define DT_CONTROL_SIGN_MALFORMED     "malformed"
#define DT_CONTROL_SIGN_UNKNOWN_KEY   "unknown_key"
#define DT_CONTROL_SIGN_STALE	      "stale"
#define DT_CONTROL_SIGN_BAD_SIGNATURE "bad_signature"
#define DT_CONTROL_SIGN_REPLAY	      "replay"
#define DT_CONTROL_HOST_MISMATCH      "host_mismatch"
/* A 503 whose error_code is this: the service's store (Redis) cannot
 * serve. The module reads it as "unavailable" and tries the next URL. */
#define DT_CONTROL_STORE_DOWN "store_down"

#endif
