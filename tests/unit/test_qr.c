/* QR renderings: the drawn text must reproduce libqrencode's matrix exactly,
 * with the quiet zone, in every style. */
#include "config.h"

#include <qrencode.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "login/messages.h"
#include "login/prompt.h"
#include "login/qr.h"

#define LINK "https://dingtalk.example.com/l/AbCdEfGhIjKlMnOp"

/* Reads a two-cells-per-module rendering back, module by module, and checks
 * it against libqrencode's matrix: ink (light) where the module is light or
 * in the quiet zone, two spaces where it is dark. */
static void expect_matrix(const char *text, const char *ink)
{
	QRcode *code = QRcode_encodeString(LINK, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int size = code->width + 2 * DT_QR_QUIET_ZONE, x, y;
	size_t ink_len = strlen(ink);
	const char *p = text;

	for (y = 0; y < size; y++) {
		for (x = 0; x < size; x++) {
			int cx = x - DT_QR_QUIET_ZONE, cy = y - DT_QR_QUIET_ZONE;
			int light = cx < 0 || cy < 0 || cx >= code->width || cy >= code->width ||
				    !(code->data[cy * code->width + cx] & 1);
			if (light) {
				assert_memory_equal(p, ink, ink_len);
				p += ink_len;
			} else {
				assert_memory_equal(p, "  ", 2);
				p += 2;
			}
		}
		assert_int_equal(*p, y + 1 < size ? '\n' : '\0');
		p++;
	}
	QRcode_free(code);
}

static void test_ascii_matches_matrix(void **state)
{
	char *text = dt_qr_render(LINK, DT_QR_ASCII, NULL);

	(void)state;
	assert_non_null(text);
	expect_matrix(text, "##");
	/* Nothing but '#', ' ' and newlines: it survives any terminal. */
	assert_int_equal(strspn(text, "# \n"), strlen(text));
	free(text);
}

static void test_block_matches_matrix(void **state)
{
	char *text = dt_qr_render(LINK, DT_QR_BLOCK, NULL);

	(void)state;
	assert_non_null(text);
	expect_matrix(text, "\xe2\x96\x88\xe2\x96\x88");
	free(text);
}

/* Half blocks: decode each character back into two modules. */
static void test_utf8_half_blocks_match_matrix(void **state)
{
	char *text = dt_qr_render(LINK, DT_QR_UTF8, NULL);
	QRcode *code = QRcode_encodeString(LINK, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int size = code->width + 2 * DT_QR_QUIET_ZONE, x, y;
	const char *p = text;

	(void)state;
	assert_non_null(text);
	for (y = 0; y < size; y += 2) {
		for (x = 0; x < size; x++) {
			int top, bottom, cx = x - DT_QR_QUIET_ZONE;
			int want[2];
			for (int k = 0; k < 2; k++) {
				int cy = y + k - DT_QR_QUIET_ZONE;
				if (y + k >= size)
					want[k] = 0; /* beyond the quiet zone: background */
				else
					want[k] = cx < 0 || cy < 0 || cx >= code->width ||
						  cy >= code->width ||
						  !(code->data[cy * code->width + cx] & 1);
			}
			if (*p == ' ') {
				top = bottom = 0;
				p++;
			} else {
				assert_memory_equal(p, "\xe2\x96", 2);
				top = p[2] == '\x88' || p[2] == '\x80';
				bottom = p[2] == '\x88' || p[2] == '\x84';
				p += 3;
			}
			assert_int_equal(top, want[0]);
			assert_int_equal(bottom, want[1]);
		}
		if (y + 2 < size) {
			assert_int_equal(*p, '\n');
			p++;
		}
	}
	assert_int_equal(*p, '\0');
	QRcode_free(code);
	free(text);
}

/* Golden renderings (tests/unit/golden, each checked with zbarimg when it
 * was made): any change to how a QR is drawn shows up here. */
static void expect_golden(enum dt_qr_style style, const char *name)
{
	char path[1024], want[16384];
	const char *srcdir = getenv("DT_SRCDIR");
	char *got = dt_qr_render(LINK, style, NULL);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/unit/golden/qr-%s.txt", srcdir ? srcdir : "..",
		 name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = '\0';
	assert_non_null(got);
	assert_true(n > 0 && want[n - 1] == '\n');
	want[n - 1] = '\0';
	assert_string_equal(got, want);
	free(got);
}

static void test_golden_renderings(void **state)
{
	(void)state;
	expect_golden(DT_QR_UTF8, "utf8");
	expect_golden(DT_QR_BLOCK, "block");
	expect_golden(DT_QR_ASCII, "ascii");
}

static void test_auto_style_by_tty(void **state)
{
	(void)state;
	assert_int_equal(dt_qr_auto_style("/dev/tty1"), DT_QR_BLOCK);
	assert_int_equal(dt_qr_auto_style("tty3"), DT_QR_BLOCK);
	assert_int_equal(dt_qr_auto_style("/dev/pts/0"), DT_QR_UTF8);
	assert_int_equal(dt_qr_auto_style("ssh"), DT_QR_UTF8);
	assert_int_equal(dt_qr_auto_style(NULL), DT_QR_UTF8);
}

/* With the default rendering, the prompt fits an 80x24 terminal. */
static void test_prompt_fits_80x24(void **state)
{
	struct dt_prompt_info info = {"alice", "jump-01",  "sshd",     LINK, 42,
				      90,      DT_QR_UTF8, DT_LANG_EN, NULL};
	char *text = dt_prompt_text(&info, NULL);
	int lines = 1;
	const char *p, *line = text;

	(void)state;
	assert_non_null(text);
	for (p = text; *p; p++)
		if (*p == '\n') {
			lines++;
			line = p + 1;
		}
	(void)line;
	assert_true(lines <= 22); /* two rows left for the prompt and the shell */
	assert_non_null(strstr(text, LINK));
	assert_non_null(strstr(text, "choose the number 42"));
	assert_null(strchr(text, '\033'));
	/* The first line is text: ssh prefixes it with "(user@host) ". */
	assert_memory_equal(text, "DingTalk login for alice", 24);
	free(text);
}

static void test_prompt_without_qr(void **state)
{
	struct dt_prompt_info info = {"alice", "h",	  "sudo",     LINK, 7,
				      60,      DT_QR_OFF, DT_LANG_EN, NULL};
	char *text = dt_prompt_text(&info, NULL);

	(void)state;
	assert_non_null(strstr(text, "choose the number 07"));
	assert_null(strstr(text, "\xe2\x96"));
	free(text);
}

/* The message language: the first non-empty of LC_ALL, LC_MESSAGES, LANG
 * (as read by the caller), then Chinese only for a Chinese locale. */
static void test_language_from_locale(void **state)
{
	(void)state;
	assert_null(dt_locale_of(NULL, NULL, NULL));
	assert_null(dt_locale_of("", "", ""));
	assert_string_equal(dt_locale_of(NULL, "", "zh_CN.UTF-8"), "zh_CN.UTF-8");
	assert_string_equal(dt_locale_of("C", "zh_CN.UTF-8", "zh_CN.UTF-8"), "C");
	assert_string_equal(dt_locale_of("", "zh_SG", "C"), "zh_SG");
	assert_int_equal(dt_lang_from_locale(NULL), DT_LANG_EN);
	assert_int_equal(dt_lang_from_locale("zh_CN.UTF-8"), DT_LANG_ZH_CN);
	assert_int_equal(dt_lang_from_locale("zh_SG"), DT_LANG_ZH_CN);
	assert_int_equal(dt_lang_from_locale("zh.UTF-8"), DT_LANG_ZH_CN);
	assert_int_equal(dt_lang_from_locale("zh_TW.UTF-8"), DT_LANG_EN);
	assert_int_equal(dt_lang_from_locale("en_US.UTF-8"), DT_LANG_EN);
}

/* Over sshd the link and the number go first, alone, in ASCII, and short
 * enough for an OpenSSH client's logger (1,023 characters). */
static void test_ascii_link_line(void **state)
{
	char user[700], *line;

	(void)state;
	line = dt_msg_ascii_link("al\xc3\xaf"
				 "ce",
				 "jump\x1b-01", "https://l.example/l/abc", 7);
	assert_non_null(line);
	assert_string_equal(line,
			    "DingTalk login for al??ce on jump?-01: open "
			    "https://l.example/l/abc on your phone, then choose the number 07.");
	free(line);
	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	line = dt_msg_ascii_link(user, "h", "https://l.example/l/abc", 42);
	assert_true(strlen(line) <= DT_MSG_ASCII_LINE_MAX);
	free(line);
	memset(user, 'x', sizeof(user) - 1);
	line = dt_msg_ascii_link(user, user, "https://l.example/l/abc", 42);
	assert_true(strlen(line) <= DT_MSG_ASCII_LINE_MAX);
	assert_string_equal(line, "DingTalk: open https://l.example/l/abc on your phone, then "
				  "choose the number 42.");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_matches_matrix),
	    cmocka_unit_test(test_block_matches_matrix),
	    cmocka_unit_test(test_utf8_half_blocks_match_matrix),
	    cmocka_unit_test(test_golden_renderings),
	    cmocka_unit_test(test_auto_style_by_tty),
	    cmocka_unit_test(test_prompt_fits_80x24),
	    cmocka_unit_test(test_prompt_without_qr),
	    cmocka_unit_test(test_language_from_locale),
	    cmocka_unit_test(test_ascii_link_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
