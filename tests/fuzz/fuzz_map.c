/* libFuzzer target: the map file (dt_map_match_text). The input's first
 * line is "unionId user", the rest is the map. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "access/mapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(data, '\n', size);
	char union_id[128] = "uAlice0000000000000000iEiE", user[64] = "alice";
	struct dt_map_result out;
	struct dt_err err;
	char line[256];
	size_t head;

	if (nl != NULL) {
		head = (size_t)(nl - text);
		snprintf(line, sizeof(line), "%.*s", (int)(head < 255 ? head : 255), text);
		if (sscanf(line, "%127s %63s", union_id, user) < 1)
			union_id[0] = '\0';
		text = nl + 1;
		size -= head + 1;
	}
	dt_err_clear(&err);
	if (dt_map_match_text(text, size, "fuzz.map", union_id, user, &out, &err) == 0) {
		/* Allowed only for a listed identity; other_user is a C string. */
		if (out.allowed && !out.known)
			__builtin_trap();
		if (strnlen(out.other_user, sizeof(out.other_user)) == sizeof(out.other_user))
			__builtin_trap();
	} else if (err.msg[0] == '\0') {
		__builtin_trap();
	}
	return 0;
}
