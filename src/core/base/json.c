#include "config.h"

#include "base/json.h"

#include <openssl/crypto.h>
#include <stdint.h>

/* DingTalk's answers nest three levels at most. */
#define MAX_DEPTH 16

json_object *dt_json_parse_object(const char *text, size_t len)
{
	json_tokener *tok;
	json_object *obj;

	if (len > INT32_MAX)
		return NULL;
	/* json_tokener_free(NULL) crashes (json-c 0.16): out of memory here
	 * must be an error, not a dead sshd (found by fuzz_pam). */
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (tok == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (obj != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
			    json_tokener_get_parse_end(tok) != len ||
			    !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

const char *dt_json_string(json_object *obj, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int dt_json_uint(json_object *obj, const char *name, unsigned max, unsigned *out)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	if (n < 0 || n > (int64_t)max)
		return -1;
	*out = (unsigned)n;
	return 0;
}

static void wipe_strings(json_object *obj)
{
	size_t i, n;

	switch (json_object_get_type(obj)) {
	case json_type_string:
		OPENSSL_cleanse((void *)(uintptr_t)json_object_get_string(obj),
				(size_t)json_object_get_string_len(obj));
		break;
	case json_type_object: {
		json_object_object_foreach(obj, key, val)
		{
			(void)key;
			wipe_strings(val);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(obj);
		for (i = 0; i < n; i++)
			wipe_strings(json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

void dt_json_wipe_put(json_object *obj)
{
	size_t len = 0;
	const char *text;

	if (obj == NULL)
		return;
	/* Serializing refills json-c's buffer with the object; wipe it before
	 * the strings so both copies go. */
	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	if (text != NULL)
		OPENSSL_cleanse((void *)(uintptr_t)text, len);
	wipe_strings(obj);
	json_object_put(obj);
}
