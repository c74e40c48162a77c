/* sudo's command as the control API carries it (proto/command_text.h):
 * what the module sends is cleaned and cut at a character boundary with a
 * mark, and always passes the helper's check; the check refuses what the
 * module would have replaced. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/command_text.h"

static void shown_is(const char *in, const char *want, int want_cut)
{
	char out[DT_CONTROL_COMMAND_MAX + 1];

	assert_int_equal(dt_command_shown(in, out), want_cut);
	assert_string_equal(out, want);
}

static void test_plain_command_unchanged(void **state)
{
	(void)state;
	shown_is("/usr/bin/apt upgrade -y", "/usr/bin/apt upgrade -y", 0);
	shown_is("/usr/bin/systemctl restart 服务", "/usr/bin/systemctl restart 服务", 0);
	shown_is("", "", 0);
}

static void test_controls_replaced(void **state)
{
	(void)state;
	/* C0, DEL, and C1 (U+0085, U+009B: a CSI on some terminals). */
	shown_is("ls\x1b[2J\r\n\t\x7f", "ls?[2J????", 0);
	shown_is("a\xc2\x85z\xc2\x9b", "a?z?", 0);
}

static void test_invalid_utf8_replaced(void **state)
{
	(void)state;
	shown_is("a\xff"
		 "b",
		 "a?b", 0);
	shown_is("overlong \xc0\xaf", "overlong ??", 0);
	shown_is("overlong3 \xe0\x80\xaf", "overlong3 ???", 0);
	shown_is("surrogate \xed\xa0\x80", "surrogate ???", 0);
	shown_is("too high \xf4\x90\x80\x80", "too high ????", 0);
	shown_is("cut \xe4\xb8", "cut ??", 0);
}

/* A right-to-left override would show the phone another command than
 * the one sudo runs. */
static void test_hiding_characters_replaced(void **state)
{
	(void)state;
	shown_is("rm -rf /\xe2\x80\xae"
		 "txt.",
		 "rm -rf /?txt.", 0);
	shown_is("\xe2\x81\xa6x\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c", "?x???", 0);
}

/* Format characters (Cf), the line and paragraph separators, and the
 * Hangul fillers: each shows as nothing, or as blank, and could hide or
 * join text. One case per class, at both ends of each range. */
static void test_invisible_characters_replaced(void **state)
{
	static const char *const invisible[] = {
	    "\xc2\xad",		/* U+00AD soft hyphen */
	    "\xcd\x8f",		/* U+034F combining grapheme joiner */
	    "\xd8\x80",		/* U+0600 Arabic number sign */
	    "\xe1\xa0\x8e",	/* U+180E Mongolian vowel separator */
	    "\xe2\x80\x8b",	/* U+200B zero width space */
	    "\xe2\x80\x8c",	/* U+200C zero width non-joiner */
	    "\xe2\x80\x8d",	/* U+200D zero width joiner */
	    "\xe2\x81\xa0",	/* U+2060 word joiner */
	    "\xe2\x81\xa4",	/* U+2064 invisible plus */
	    "\xe2\x81\xaf",	/* U+206F nominal digit shapes */
	    "\xef\xbb\xbf",	/* U+FEFF byte order mark */
	    "\xef\xbf\xb9",	/* U+FFF9 interlinear annotation anchor */
	    "\xef\xbf\xbb",	/* U+FFFB interlinear annotation terminator */
	    "\xef\xb8\x8f",	/* U+FE0F variation selector-16 */
	    "\xf0\x9d\x85\xb3", /* U+1D173 musical symbol begin beam */
	    "\xf3\xa0\x80\x80", /* U+E0000 (tag block) */
	    "\xf3\xa0\x80\x81", /* U+E0001 language tag */
	    "\xf3\xa0\x81\xa1", /* U+E0061 tag latin small letter a */
	    "\xf3\xa0\x81\xbf", /* U+E007F cancel tag */
	    "\xe2\x80\xa8",	/* U+2028 line separator */
	    "\xe2\x80\xa9",	/* U+2029 paragraph separator */
	    "\xe1\x85\x9f",	/* U+115F Hangul choseong filler */
	    "\xe1\x85\xa0",	/* U+1160 Hangul jungseong filler */
	    "\xe3\x85\xa4",	/* U+3164 Hangul filler */
	    "\xef\xbe\xa0",	/* U+FFA0 halfwidth Hangul filler */
	};
	char in[64], out[DT_CONTROL_COMMAND_MAX + 1];
	size_t i, at;

	(void)state;
	for (i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
		snprintf(in, sizeof(in), "rm%sx", invisible[i]);
		assert_int_equal(dt_command_shown(in, out), 0);
		assert_string_equal(out, "rm?x");
		assert_int_equal(dt_command_check(in, strlen(in), &at), DT_COMMAND_NOT_TEXT);
		assert_int_equal(at, 2);
	}
	/* Their neighbours stay: visible characters are no business of this. */
	shown_is("\xe2\x80\xa7\xe2\x80\xb0\xe3\x85\xa3\xef\xbf\xbc",
		 "\xe2\x80\xa7\xe2\x80\xb0\xe3\x85\xa3\xef\xbf\xbc", 0);
}

/* A run of spaces, of any kind, is one U+0020: padding with blanks
 * pushes nothing apart. */
static void test_space_runs_collapsed(void **state)
{
	size_t at;

	(void)state;
	shown_is("apt   install\xc2\xa0\xe3\x80\x80 x", "apt install x", 0);
	shown_is("\xe2\x80\x83tail ", " tail ", 0);
	assert_int_equal(dt_command_check("a  b", 4, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(at, 2);
	assert_int_equal(dt_command_check("a\xc2\xa0"
					  "b",
					  4, &at),
			 DT_COMMAND_NOT_TEXT);
	assert_int_equal(at, 1);
}

/* What the cut keeps: the head and the tail, whole characters, the
 * middle mark naming the bytes left out, within the limit. */
static void assert_cut(const char *out, const char *head, const char *tail, size_t hidden)
{
	char mark[64];

	snprintf(mark, sizeof(mark), DT_COMMAND_CUT_FORMAT, hidden);
	assert_true(strlen(out) <= DT_CONTROL_COMMAND_MAX);
	assert_memory_equal(out, head, strlen(head));
	assert_memory_equal(out + strlen(head), mark, strlen(mark));
	assert_string_equal(out + strlen(head) + strlen(mark), tail);
}

/* The review's case: arguments padded so that the dangerous end of the
 * command would fall past a plain cut. The end stays on screen. */
static void test_padding_cannot_hide_the_tail(void **state)
{
	char in[600], out[DT_CONTROL_COMMAND_MAX + 1];
	const char *end = "-o APT::Update::Pre-Invoke::=/tmp/x";

	(void)state;
	snprintf(in, sizeof(in), "/usr/bin/apt-get update -o 'X=%0230d' %s", 0, end);
	assert_int_equal(dt_command_shown(in, out), 1);
	assert_non_null(strstr(out, end));
	assert_memory_equal(out, "/usr/bin/apt-get update -o 'X=000", 33);
	assert_non_null(strstr(out, "bytes not shown]"));
	assert_true(strlen(out) <= DT_CONTROL_COMMAND_MAX);
}

static void test_long_command_keeps_head_and_tail(void **state)
{
	char in[400], out[DT_CONTROL_COMMAND_MAX + 1], head[200], tail[200];
	/* The mark with a 3-digit count, then two equal halves. */
	size_t mark = strlen(DT_COMMAND_CUT_FORMAT) - 3 + 3, part;

	(void)state;
	part = (DT_CONTROL_COMMAND_MAX - mark) / 2;
	memset(in, 'a', 200);
	memset(in + 200, 'z', 199);
	in[399] = '\0';
	assert_int_equal(dt_command_shown(in, out), 1);
	memset(head, 'a', part);
	head[part] = '\0';
	memset(tail, 'z', part);
	tail[part] = '\0';
	assert_cut(out, head, tail, 399 - 2 * part);
	/* Exactly the limit: whole. */
	in[DT_CONTROL_COMMAND_MAX] = '\0';
	shown_is(in, in, 0);
}

/* A cut never splits a character: 中 (3 bytes) that would cross the
 * boundary of the head or of the tail is left out whole. */
static void test_cut_at_character_boundary(void **state)
{
	char in[700], out[DT_CONTROL_COMMAND_MAX + 1], *mark;
	size_t i;

	(void)state;
	for (i = 0; i + 3 < sizeof(in); i += 3)
		memcpy(in + i, "\xe4\xb8\xad", 3);
	in[i] = '\0';
	assert_int_equal(dt_command_shown(in, out), 1);
	mark = strstr(out, " \xe2\x80\xa6 [");
	assert_non_null(mark);
	/* Whole characters on both sides of the mark. */
	assert_int_equal((size_t)(mark - out) % 3, 0);
	assert_int_equal(strlen(strstr(mark, "] \xe2\x80\xa6 ") + 6) % 3, 0);
	assert_int_equal(dt_command_check(out, strlen(out), &i), DT_COMMAND_OK);
}

/* Spaces around the cut do not double up with the mark's own. */
static void test_cut_next_to_spaces(void **state)
{
	char in[800], out[DT_CONTROL_COMMAND_MAX + 1];
	size_t i, at;

	(void)state;
	for (i = 0; i + 2 < sizeof(in); i += 2)
		memcpy(in + i, "a ", 2);
	in[i] = '\0';
	assert_int_equal(dt_command_shown(in, out), 1);
	assert_null(strstr(out, "  "));
	assert_int_equal(dt_command_check(out, strlen(out), &at), DT_COMMAND_OK);
}

static void test_check_accepts_safe_text(void **state)
{
	const char *ok =
	    "/usr/bin/apt install 中文 \xe2\x80\xa6 [12 bytes not shown] \xe2\x80\xa6 x";
	size_t at = 99;

	(void)state;
	assert_int_equal(dt_command_check(ok, strlen(ok), &at), DT_COMMAND_OK);
	assert_int_equal(dt_command_check("", 0, &at), DT_COMMAND_OK);
}

static void test_check_refuses(void **state)
{
	char big[DT_CONTROL_COMMAND_MAX + 2];
	size_t at;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(dt_command_check(big, DT_CONTROL_COMMAND_MAX, &at), DT_COMMAND_OK);
	assert_int_equal(dt_command_check(big, DT_CONTROL_COMMAND_MAX + 1, &at),
			 DT_COMMAND_TOO_LONG);
	assert_int_equal(dt_command_check("ls\x1b[2J", 7, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(at, 2);
	assert_int_equal(dt_command_check("ls\0rm", 5, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(at, 2);
	assert_int_equal(dt_command_check("a\xc2\x9b", 3, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(dt_command_check("a\xe2\x80\xae", 4, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(at, 1);
	assert_int_equal(dt_command_check("\xc0\xaf", 2, &at), DT_COMMAND_NOT_TEXT);
	assert_int_equal(dt_command_check("\xe4\xb8", 2, &at), DT_COMMAND_NOT_TEXT);
}

/* Whatever the module is handed, what it sends passes the helper. */
static void test_shown_always_passes_check(void **state)
{
	char in[700], out[DT_CONTROL_COMMAND_MAX + 1];
	size_t at, len, i;
	int round;

	(void)state;
	srand(13);
	for (round = 0; round < 20000; round++) {
		len = (size_t)(rand() % (int)(sizeof(in) - 1));
		for (i = 0; i < len; i++) {
			/* Mostly UTF-8 lead and continuation bytes, and spaces. */
			int r = rand() % 5;
			in[i] = (char)(r == 0	? 0x80 + rand() % 0x40
				       : r == 1 ? 0xc0 + rand() % 0x40
				       : r == 2 ? ' '
						: 1 + rand() % 0xff);
		}
		in[len] = '\0';
		dt_command_shown(in, out);
		assert_int_equal(dt_command_check(out, strlen(out), &at), DT_COMMAND_OK);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_command_unchanged),
	    cmocka_unit_test(test_controls_replaced),
	    cmocka_unit_test(test_invalid_utf8_replaced),
	    cmocka_unit_test(test_hiding_characters_replaced),
	    cmocka_unit_test(test_invisible_characters_replaced),
	    cmocka_unit_test(test_space_runs_collapsed),
	    cmocka_unit_test(test_padding_cannot_hide_the_tail),
	    cmocka_unit_test(test_long_command_keeps_head_and_tail),
	    cmocka_unit_test(test_cut_at_character_boundary),
	    cmocka_unit_test(test_cut_next_to_spaces),
	    cmocka_unit_test(test_check_accepts_safe_text),
	    cmocka_unit_test(test_check_refuses),
	    cmocka_unit_test(test_shown_always_passes_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
