/* libFuzzer target: the strict JSON reader (dt_json_parse_object and its
 * getters), the wiping release, and DingTalk's error readers for both
 * envelopes (dt_api_v1_error, dt_api_oapi_error). The first byte picks the
 * HTTP status. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dingtalk/api.h"
#include "dingtalk/exchange.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_shown(const char *s)
{
	/* Server text that reaches a log is sanitized: no control bytes. */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {400, 401, 403, 404, 429, 500, 502, 200};
	const char *text = (const char *)data + 1;
	json_object *obj;
	struct dt_err err;
	int64_t wait_ms = 0;
	unsigned u;

	if (size < 1)
		return 0;
	size--;
	obj = dt_json_parse_object(text, size);
	if (obj != NULL) {
		if (!json_object_is_type(obj, json_type_object))
			__builtin_trap();
		(void)dt_json_string(obj, "code");
		(void)dt_json_string(obj, "message");
		if (dt_json_uint(obj, "expires_in", 3600, &u) == 0 && u > 3600)
			__builtin_trap();
		dt_err_clear(&err);
		(void)dt_api_oapi_error("getbyunionid", obj, &err);
		check_shown(err.msg);
		dt_json_wipe_put(obj);
	}
	dt_err_clear(&err);
	(void)dt_api_v1_error("userAccessToken", statuses[data[0] % 8], text, size, &wait_ms, &err);
	if (err.kind == DT_OK || err.msg[0] == '\0')
		__builtin_trap();
	check_shown(err.msg);
	return 0;
}
