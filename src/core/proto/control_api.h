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

/* The longest authorization code the helper holds and hands over. */
#define DT_CONTROL_CODE_MAX 512

/* Flow C: the module registers this pseudo-URL as authorize_url,
 * DT_CONTROL_INAPP_PREFIX <corpId> "&state=" <state>, and the helper
 * serves its own page inside DingTalk for it. */
#define DT_CONTROL_INAPP_SCHEME	     "dingtalk-inapp:"
#define DT_CONTROL_INAPP_PREFIX	     DT_CONTROL_INAPP_SCHEME "?corpId="
#define DT_CONTROL_INAPP_STATE_PARAM "&state="

/* A registration's refusals: the `error_code` the module acts on. */
#define DT_CONTROL_REFUSED_REQUESTER "requester_full" /* 429 */
#define DT_CONTROL_REFUSED_ADDRESS   "address_full"   /* 429 */
#define DT_CONTROL_REFUSED_FULL	     "full"	      /* 503: max_pending */

/* A wait's `status`. */
#define DT_CONTROL_PENDING  "pending"
#define DT_CONTROL_APPROVED "approved"
#define DT_CONTROL_REFUSED  "refused"
#define DT_CONTROL_EXPIRED  "expired"

#endif
