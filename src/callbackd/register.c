/* Checking a register request's fields (docs/control-api.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"

#include <openssl/crypto.h>

#include "inapp_url.h"
#include "proto/command_text.h"
#include "proto/control_api.h"
#include "store.h"
#include "base/util.h"

#define TTL_MIN_S 10

/* A string field of min..max bytes without NUL. `optional` fields may be
 * absent (then ""). */
static int get_string(json_object *root, const char *key, size_t min, size_t max, int optional,
		      const char **out, char *msg, size_t msg_size)
{
	json_object *v;
	size_t len;

	if (!json_object_object_get_ex(root, key, &v)) {
		if (optional) {
			*out = "";
			return 0;
		}
		snprintf(msg, msg_size, "field '%s' is missing", key);
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(msg, msg_size, "field '%s' must be a string", key);
		return -1;
	}
	*out = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len != strlen(*out) || len < min || len > max) {
		snprintf(msg, msg_size, "field '%s' must be %zu..%zu bytes without NUL", key, min,
			 max);
		return -1;
	}
	return 0;
}

static int get_uint(json_object *root, const char *key, unsigned min, unsigned max, int optional,
		    unsigned *out, char *msg, size_t msg_size)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(root, key, &v)) {
		if (optional)
			return 0;
		snprintf(msg, msg_size, "field '%s' is missing", key);
		return -1;
	}
	n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
	if (n < (int64_t)min || n > (int64_t)max) {
		snprintf(msg, msg_size, "field '%s' must be an integer %u..%u", key, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* http(s), printable ASCII, and no redirect_uri: we add that one. Or the
 * in-DingTalk pseudo-URL of flow C (inapp.h). */
static int check_authorize_url(const char *url, char *msg, size_t msg_size)
{
	struct cbd_inapp inapp;
	const char *p;
	int rc = cbd_inapp_parse(url, &inapp);

	OPENSSL_cleanse(&inapp, sizeof(inapp));
	if (rc == 0)
		return 0;
	if (rc < 0) {
		snprintf(msg, msg_size,
			 "field 'authorize_url' is not a valid " DT_CONTROL_INAPP_PREFIX
			 "...&state=... URL");
		return -1;
	}
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
		snprintf(msg, msg_size,
			 "field 'authorize_url' must start with http:// or https://");
		return -1;
	}
	for (p = url; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\') {
			snprintf(msg, msg_size,
				 "field 'authorize_url' must be a URL of printable ASCII "
				 "without spaces");
			return -1;
		}
	}
	if (strstr(url, "?redirect_uri=") != NULL || strstr(url, "&redirect_uri=") != NULL) {
		snprintf(msg, msg_size,
			 "field 'authorize_url' must not carry redirect_uri (the helper adds it)");
		return -1;
	}
	return 0;
}

/* `command`: optional; shown on the confirmation page, so refused unless
 * it is already the safe text the module sends (proto/command_text.h).
 * The message names the rule and where it broke, never the bytes. */
static int get_command(json_object *root, struct cbd_reg *r, char *msg, size_t msg_size)
{
	json_object *v;
	size_t len, at;

	r->command = "";
	if (!json_object_object_get_ex(root, "command", &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		r->error_code = DT_CONTROL_COMMAND_NOT_TEXT;
		snprintf(msg, msg_size, "field 'command' must be a string");
		return -1;
	}
	len = (size_t)json_object_get_string_len(v);
	switch (dt_command_check(json_object_get_string(v), len, &at)) {
	case DT_COMMAND_OK:
		r->command = json_object_get_string(v);
		return 0;
	case DT_COMMAND_TOO_LONG:
		r->error_code = DT_CONTROL_COMMAND_TOO_LONG;
		snprintf(msg, msg_size,
			 "field 'command' is %zu bytes, at most %d: cut it (with a mark) before "
			 "sending",
			 len, DT_CONTROL_COMMAND_MAX);
		return -1;
	case DT_COMMAND_NOT_TEXT:
		break;
	}
	r->error_code = DT_CONTROL_COMMAND_NOT_TEXT;
	snprintf(msg, msg_size,
		 "field 'command' has a control character, a hiding character, a run of "
		 "spaces, a space other than U+0020 or invalid UTF-8 at byte %zu: clean it "
		 "as the module does (proto/command_text.h) before sending",
		 at);
	return -1;
}

int cbd_register_parse(json_object *root, unsigned max_ttl, struct cbd_reg *r, char *msg,
		       size_t msg_size)
{
	r->ttl = max_ttl;
	if (get_string(root, "state", 0, SIZE_MAX, 0, &r->state, msg, msg_size) != 0)
		return -1;
	if (!dt_is_token(r->state, CBD_STATE_MIN, CBD_STATE_MAX)) {
		snprintf(msg, msg_size, "field 'state' must be %d..%d characters of [A-Za-z0-9_-]",
			 CBD_STATE_MIN, CBD_STATE_MAX);
		return -1;
	}
	if (get_uint(root, "number", 10, 99, 0, &r->number, msg, msg_size) != 0 ||
	    get_string(root, "user", 1, DT_CONTROL_FIELD_MAX, 0, &r->user, msg, msg_size) != 0 ||
	    get_string(root, "service", 1, DT_CONTROL_FIELD_MAX, 0, &r->service, msg, msg_size) !=
		0 ||
	    get_string(root, "host", 1, DT_CONTROL_FIELD_MAX, 0, &r->host, msg, msg_size) != 0 ||
	    get_string(root, "rhost", 0, DT_CONTROL_FIELD_MAX, 1, &r->rhost, msg, msg_size) != 0 ||
	    get_string(root, "authorize_url", 1, DT_CONTROL_URL_MAX, 0, &r->authorize_url, msg,
		       msg_size) != 0 ||
	    check_authorize_url(r->authorize_url, msg, msg_size) != 0 ||
	    get_string(root, "requester", 1, DT_CONTROL_REQUESTER_MAX, 0, &r->requester, msg,
		       msg_size) != 0 ||
	    get_string(root, "requester_address", 1, DT_CONTROL_REQUESTER_MAX, 1,
		       &r->requester_address, msg, msg_size) != 0 ||
	    get_uint(root, "ttl", DT_CONTROL_TTL_MIN, UINT32_MAX, 1, &r->ttl, msg, msg_size) != 0 ||
	    get_command(root, r, msg, msg_size) != 0)
		return -1;
	/* Absent (a client that does not send it), the requester stands in:
	 * never looser than the per-requester limit. */
	if (r->requester_address[0] == '\0')
		r->requester_address = r->requester;
	/* Clamped both ways: a module with a short timeout cancels on its own. */
	if (r->ttl > max_ttl)
		r->ttl = max_ttl;
	if (r->ttl < TTL_MIN_S)
		r->ttl = TTL_MIN_S;
	return 0;
}

/* Shown on a page and written to the log: no control characters or broken
 * UTF-8 survive. */
int cbd_register_sanitize(struct cbd_reg *r)
{
	const char *src[5] = {r->user, r->service, r->host, r->rhost, r->requester};
	int i;

	for (i = 0; i < 5; i++) {
		r->shown[i] = strdup(src[i]);
		if (r->shown[i] == NULL)
			return -1;
		dt_sanitize_text(r->shown[i]);
	}
	return 0;
}

void cbd_register_free(struct cbd_reg *r)
{
	int i;

	for (i = 0; i < 5; i++)
		free(r->shown[i]);
}
