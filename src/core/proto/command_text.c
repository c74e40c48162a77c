#include "config.h"

#include "proto/command_text.h"

#include <string.h>

/* The code point of the UTF-8 sequence at s[0..left), and its length in
 * *n; -1 (with *n 1) when the bytes there are not a valid sequence in the
 * strict sense of RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF. */
static long decode(const unsigned char *s, size_t left, size_t *n)
{
	static const long min_of[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len, i;
	long cp;

	*n = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return -1;
	if (len > left)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min_of[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*n = len;
	return cp;
}

/* Characters a page or a terminal must never receive from a command. */
static int unsafe(long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The longest prefix of s (a safe text of len bytes) that ends on a
 * character boundary and leaves room for the mark. */
static size_t cut_point(const char *s, size_t len)
{
	size_t room = DT_CONTROL_COMMAND_MAX - (sizeof(DT_COMMAND_CUT_MARK) - 1);

	if (len <= room)
		return len;
	while (room > 0 && ((unsigned char)s[room] & 0xc0) == 0x80)
		room--;
	return room;
}

int dt_command_shown(const char *in, char out[DT_CONTROL_COMMAND_MAX + 1])
{
	/* Safe text is never longer than its input; anything past this is
	 * cut anyway, so reading further changes nothing shown. */
	char safe[DT_CONTROL_COMMAND_MAX + 8];
	const unsigned char *p = (const unsigned char *)in;
	size_t left = strlen(in), len = 0, n, keep;
	long cp;

	while (left > 0 && len < sizeof(safe) - 5) {
		cp = decode(p, left, &n);
		if (cp < 0 || unsafe(cp))
			safe[len++] = '?';
		else {
			memcpy(safe + len, p, n);
			len += n;
		}
		p += n;
		left -= n;
	}
	if (left == 0 && len <= DT_CONTROL_COMMAND_MAX) {
		memcpy(out, safe, len);
		out[len] = '\0';
		return 0;
	}
	keep = cut_point(safe, len);
	memcpy(out, safe, keep);
	memcpy(out + keep, DT_COMMAND_CUT_MARK, sizeof(DT_COMMAND_CUT_MARK));
	return 1;
}

enum dt_command_fault dt_command_check(const char *s, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	long cp;

	*at = 0;
	if (len > DT_CONTROL_COMMAND_MAX)
		return DT_COMMAND_TOO_LONG;
	while (i < len) {
		cp = decode(p + i, len - i, &n);
		if (cp < 0 || unsafe(cp)) {
			*at = i;
			return DT_COMMAND_NOT_TEXT;
		}
		i += n;
	}
	return DT_COMMAND_OK;
}
