/* libFuzzer target: the text helpers every piece of network input passes
 * through (dt_sanitize_text, dt_urlencode, dt_is_token). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *enc;
	size_t i, n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = strlen(s);
	enc = dt_urlencode(s);
	if (enc != NULL) {
		for (i = 0; enc[i] != '\0'; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
				   "._~%",
				   enc[i]) == NULL)
				__builtin_trap();
		free(enc);
	}
	if (dt_is_token(s, 1, 128) &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") != n)
		__builtin_trap();
	dt_sanitize_text(s);
	if (strlen(s) != n)
		__builtin_trap(); /* in place, same length */
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			__builtin_trap();
		/* No C1 control (U+0080..U+009F) either: terminals take it as CSI. */
		if ((unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] < 0xa0)
			__builtin_trap();
	}
	free(s);
	return 0;
}
