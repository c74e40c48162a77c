#include "config.h"

#include "proto/command_text.h"

#include <stdio.h>
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

struct range {
	long lo, hi;
};

static int in_ranges(long cp, const struct range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Characters a page or a terminal must never receive from a command:
 * controls (C0, DEL, C1); every format character (general category Cf in
 * Unicode 15.1's UnicodeData.txt: soft hyphen, zero-width space and
 * joiners, word joiner and invisible operators, the byte order mark,
 * bidirectional marks, embeddings, overrides and isolates, interlinear
 * annotation, tags); the line and paragraph separators (Zl, Zp); and the
 * other invisible characters of Unicode's Default_Ignorable_Code_Point
 * (DerivedCoreProperties.txt: the combining grapheme joiner, the Hangul
 * fillers, variation selectors). Sorted, for the binary search. */
static const struct range unsafe_ranges[] = {
    {0x0000, 0x001f},	{0x007f, 0x009f},   {0x00ad, 0x00ad},	{0x034f, 0x034f},
    {0x0600, 0x0605},	{0x061c, 0x061c},   {0x06dd, 0x06dd},	{0x070f, 0x070f},
    {0x0890, 0x0891},	{0x08e2, 0x08e2},   {0x115f, 0x1160},	{0x17b4, 0x17b5},
    {0x180b, 0x180f},	{0x200b, 0x200f},   {0x2028, 0x202e},	{0x2060, 0x206f},
    {0x3164, 0x3164},	{0xfe00, 0xfe0f},   {0xfeff, 0xfeff},	{0xffa0, 0xffa0},
    {0xfff0, 0xfffb},	{0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
    {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
};

static int unsafe(long cp)
{
	return in_ranges(cp, unsafe_ranges, sizeof(unsafe_ranges) / sizeof(unsafe_ranges[0]));
}

/* Space separators (general category Zs): a run of them, whatever they
 * are, is shown as one U+0020, so padding cannot push text apart. */
static int is_space(long cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Reads the input once, character by character, as the safe text shows
 * it: `bytes`/`len` is the next piece to show ("?" for an invalid byte or
 * an unsafe character, " " for a run of spaces, else the character). */
struct cleaner {
	const unsigned char *p;
	size_t left;
	int after_space;
	const char *bytes;
	size_t len;
};

static void cleaner_init(struct cleaner *c, const char *in)
{
	c->p = (const unsigned char *)in;
	c->left = strlen(in);
	c->after_space = 0;
}

/* Returns 0 at the end of the input. */
static int cleaner_next(struct cleaner *c)
{
	size_t n;
	long cp;

	while (c->left > 0) {
		cp = decode(c->p, c->left, &n);
		c->bytes = (const char *)c->p;
		c->len = n;
		c->p += n;
		c->left -= n;
		if (cp >= 0 && is_space(cp)) {
			if (c->after_space)
				continue;
			c->after_space = 1;
			c->bytes = " ";
			c->len = 1;
			return 1;
		}
		c->after_space = 0;
		if (cp < 0 || unsafe(cp)) {
			c->bytes = "?";
			c->len = 1;
		}
		return 1;
	}
	return 0;
}

static size_t digits(size_t v)
{
	size_t d = 1;

	while (v >= 10)
		v /= 10, d++;
	return d;
}

/* The safe text, whole: it fits. */
static void write_whole(const char *in, char *out)
{
	struct cleaner c;
	size_t len = 0;

	cleaner_init(&c, in);
	while (cleaner_next(&c)) {
		memcpy(out + len, c.bytes, c.len);
		len += c.len;
	}
	out[len] = '\0';
}

/* The safe text (`total` bytes) too long to show whole: its head and its
 * tail, each at most `part` bytes and whole characters, without the space
 * next to the mark, and the mark between them saying how many bytes are
 * not shown. */
static void write_head_and_tail(const char *in, size_t total, size_t part, char *out)
{
	char head[DT_CONTROL_COMMAND_MAX], tail[DT_CONTROL_COMMAND_MAX];
	size_t head_len = 0, tail_len = 0, at = 0, from = total - part, hidden;
	int head_full = 0;
	struct cleaner c;

	cleaner_init(&c, in);
	while (cleaner_next(&c)) {
		if (!head_full && head_len + c.len <= part) {
			memcpy(head + head_len, c.bytes, c.len);
			head_len += c.len;
		} else
			head_full = 1;
		if (at >= from) {
			memcpy(tail + tail_len, c.bytes, c.len);
			tail_len += c.len;
		}
		at += c.len;
	}
	while (head_len > 0 && head[head_len - 1] == ' ')
		head_len--;
	while (tail_len > 0 && tail[0] == ' ')
		memmove(tail, tail + 1, --tail_len);
	hidden = total - head_len - tail_len;
	memcpy(out, head, head_len);
	snprintf(out + head_len, DT_CONTROL_COMMAND_MAX + 1 - head_len,
		 DT_COMMAND_CUT_FORMAT "%.*s", hidden, (int)tail_len, tail);
}

int dt_command_shown(const char *in, char out[DT_CONTROL_COMMAND_MAX + 1])
{
	struct cleaner c;
	size_t total = 0, mark;

	cleaner_init(&c, in);
	while (cleaner_next(&c))
		total += c.len;
	if (total <= DT_CONTROL_COMMAND_MAX) {
		write_whole(in, out);
		return 0;
	}
	/* The hidden count is at most `total`: its digits bound the mark. */
	mark = sizeof(DT_COMMAND_CUT_FORMAT) - 1 - 3 + digits(total);
	write_head_and_tail(in, total, (DT_CONTROL_COMMAND_MAX - mark) / 2, out);
	return 1;
}

enum dt_command_fault dt_command_check(const char *s, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	int after_space = 0;
	long cp;

	*at = 0;
	if (len > DT_CONTROL_COMMAND_MAX)
		return DT_COMMAND_TOO_LONG;
	while (i < len) {
		cp = decode(p + i, len - i, &n);
		if (cp < 0 || unsafe(cp) || (is_space(cp) && (cp != 0x20 || after_space))) {
			*at = i;
			return DT_COMMAND_NOT_TEXT;
		}
		after_space = cp == 0x20;
		i += n;
	}
	return DT_COMMAND_OK;
}
