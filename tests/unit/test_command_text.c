/* sudo's command as the control API carries it (proto/command_text.h):
 * what the module sends is cleaned and cut at a character boundary with a
 * mark, and always passes the helper's check; the check refuses what the
 * module would have replaced. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void test_long_command_cut_with_mark(void **state)
{
	char in[400], want[DT_CONTROL_COMMAND_MAX + 1];
	size_t room = DT_CONTROL_COMMAND_MAX - strlen(DT_COMMAND_CUT_MARK);

	(void)state;
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	memset(want, 'a', room);
	strcpy(want + room, DT_COMMAND_CUT_MARK);
	shown_is(in, want, 1);
	assert_int_equal(strlen(want), DT_CONTROL_COMMAND_MAX);
	/* Exactly the limit: whole. */
	in[DT_CONTROL_COMMAND_MAX] = '\0';
	shown_is(in, in, 0);
}

/* A cut never splits a character: 中 (3 bytes) that would cross the
 * boundary goes whole. */
static void test_cut_at_character_boundary(void **state)
{
	char in[600], want[DT_CONTROL_COMMAND_MAX + 1];
	size_t room = DT_CONTROL_COMMAND_MAX - strlen(DT_COMMAND_CUT_MARK), i;

	(void)state;
	memset(in, 'a', room - 1);
	for (i = room - 1; i + 3 < sizeof(in); i += 3)
		memcpy(in + i, "\xe4\xb8\xad", 3);
	in[i] = '\0';
	memset(want, 'a', room - 1);
	strcpy(want + room - 1, DT_COMMAND_CUT_MARK);
	shown_is(in, want, 1);
}

static void test_check_accepts_safe_text(void **state)
{
	const char *ok = "/usr/bin/apt install 中文 \xe2\x80\xa6";
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
			/* Mostly UTF-8 lead and continuation bytes. */
			int r = rand() % 4;
			in[i] = (char)(r == 0	? 0x80 + rand() % 0x40
				       : r == 1 ? 0xc0 + rand() % 0x40
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
	    cmocka_unit_test(test_long_command_cut_with_mark),
	    cmocka_unit_test(test_cut_at_character_boundary),
	    cmocka_unit_test(test_check_accepts_safe_text),
	    cmocka_unit_test(test_check_refuses),
	    cmocka_unit_test(test_shown_always_passes_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
