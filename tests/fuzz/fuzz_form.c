/* libFuzzer target: the helper's confirmation form reader (cbd_form_parse)
 * with the fields of POST /confirm, and the same bytes as an
 * Accept-Language header (cbd_lang_pick): both read what a phone sends. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "page_lang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[17], t[33], n[4];
	struct cbd_form_field fields[] = {
	    {"s", s, sizeof(s), 0},
	    {"t", t, sizeof(t), 0},
	    {"n", n, sizeof(n), 0},
	};
	size_t i;
	char *header = malloc(size + 1);

	if (header != NULL) {
		memcpy(header, data, size);
		header[size] = '\0';
		if (cbd_lang_pick(header) > CBD_LANG_ZH)
			__builtin_trap(); /* always one of the two */
		free(header);
	}
	if (cbd_form_parse((const char *)data, size, fields, 3) != 0)
		return 0;
	for (i = 0; i < 3; i++)
		if (fields[i].seen && strnlen(fields[i].value, fields[i].size) >= fields[i].size)
			__builtin_trap(); /* every value is NUL-terminated in its buffer */
	return 0;
}
