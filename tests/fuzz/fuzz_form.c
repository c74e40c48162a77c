/* libFuzzer target: the helper's confirmation form reader (cbd_form_parse)
 * with the fields of POST /confirm. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "form.h"

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

	if (cbd_form_parse((const char *)data, size, fields, 3) != 0)
		return 0;
	for (i = 0; i < 3; i++)
		if (fields[i].seen && strnlen(fields[i].value, fields[i].size) >= fields[i].size)
			__builtin_trap(); /* every value is NUL-terminated in its buffer */
	return 0;
}
