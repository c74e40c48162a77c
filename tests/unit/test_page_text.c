/* The phone's pages' language and words (src/callbackd/page_lang.h,
 * page_text.h): Accept-Language read with its q-values, a catalogue with
 * every page and word in both languages, under ids of their own; and the
 * confirmation page (pages.h) as it renders them: sudo's command row,
 * escaping, the two modes, the time left. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "page_lang.h"
#include "page_text.h"
#include "pages.h"

#define EN CBD_LANG_EN
#define ZH CBD_LANG_ZH

static void test_pick(void **state)
{
	static const struct {
		const char *header;
		enum cbd_lang want;
	} cases[] = {
	    {NULL, EN},
	    {"", EN},
	    {"zh", ZH},
	    {"zh-CN", ZH},
	    {"zh-cn", ZH},
	    {"zh-Hans", ZH},
	    {"zh-Hans-CN", ZH},
	    {"zh-SG", ZH},
	    {"zh-TW", EN},
	    {"zh-HK", EN},
	    {"zh-Hant", EN},
	    {"zhx", EN},
	    {"zh-CNx", EN},
	    {"en-US,en;q=0.9,zh-CN;q=0.8", EN},
	    {"zh-CN,zh;q=0.9,en;q=0.8", ZH},
	    {"fr-FR, fr;q=0.9, zh;q=0.5", ZH},
	    {"de, fr", EN},
	    {"zh;q=0.2, en;q=0.8", EN},
	    {"en;q=0.2 , zh;q=0.8", ZH},
	    {"en;q=0.500, zh;q=0.5", EN}, /* a tie: the earlier wins */
	    {"zh;q=0, en;q=0", EN},	  /* nothing acceptable: English */
	    {"zh;q=0.001", ZH},
	    {"zh;q=1.0", ZH},
	    {"zh;q=1.001", EN},	 /* above 1: malformed, passed over */
	    {"zh;q=0.1234", EN}, /* four decimals: malformed */
	    {"zh;q=.5", EN},
	    {"zh;q=", EN},
	    {"zh;x=1", EN},
	    {"zh;Q=0.7, en;q=0.6", ZH},
	    {"*;q=0.9, zh;q=0.8", EN}, /* "*" stands for English */
	    {",,, ;;, zh", ZH},
	    {"zh-CN;q=0.9;level=1", EN}, /* only q is a parameter */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cbd_lang got = cbd_lang_pick(cases[i].header);

		if (got != cases[i].want)
			fail_msg("Accept-Language \"%s\": got %d, want %d",
				 cases[i].header ? cases[i].header : "(none)", got, cases[i].want);
	}
	assert_string_equal(cbd_lang_tag(EN), "en");
	assert_string_equal(cbd_lang_tag(ZH), "zh-CN");
}

/* Every page in both languages: the same id, a title and a text of its
 * own in each; no two pages share an id or a title. */
static void test_pages_complete(void **state)
{
	int p, q;

	(void)state;
	for (p = 0; p < CBD_PAGE_COUNT; p++) {
		const struct cbd_page_text *en = cbd_page_text((enum cbd_page)p, EN);
		const struct cbd_page_text *zh = cbd_page_text((enum cbd_page)p, ZH);

		assert_non_null(en->id);
		assert_non_null(zh->id);
		assert_string_equal(en->id, zh->id);
		assert_true(en->title != NULL && en->title[0] != '\0' && en->body[0] != '\0');
		assert_true(zh->title != NULL && zh->title[0] != '\0' && zh->body[0] != '\0');
		assert_string_not_equal(en->title, zh->title);
		assert_string_not_equal(en->body, zh->body);
		for (q = 0; q < p; q++) {
			assert_string_not_equal(en->id, cbd_page_text((enum cbd_page)q, EN)->id);
			assert_string_not_equal(en->title,
						cbd_page_text((enum cbd_page)q, EN)->title);
			assert_string_not_equal(zh->title,
						cbd_page_text((enum cbd_page)q, ZH)->title);
		}
	}
	/* out of range: a page that exists, never NULL */
	assert_non_null(cbd_page_text(CBD_PAGE_COUNT, EN));
}

/* Every word in both languages, with as many "{}" in each. */
static void test_words_complete(void **state)
{
	int w;

	(void)state;
	for (w = 0; w < CBD_W_COUNT; w++) {
		const char *en = cbd_word((enum cbd_word)w, EN);
		const char *zh = cbd_word((enum cbd_word)w, ZH);
		int holes_en = 0, holes_zh = 0;
		const char *p;

		assert_true(en != NULL && en[0] != '\0');
		assert_true(zh != NULL && zh[0] != '\0');
		assert_string_not_equal(en, zh);
		for (p = en; (p = strstr(p, "{}")) != NULL; p += 2)
			holes_en++;
		for (p = zh; (p = strstr(p, "{}")) != NULL; p += 2)
			holes_zh++;
		if (holes_en != holes_zh)
			fail_msg("word %d: %d holes in English, %d in Chinese", w, holes_en,
				 holes_zh);
	}
	assert_string_equal(cbd_word(CBD_W_COUNT, EN), "");
}

static struct cbd_view sample_view(const char *service, const char *command)
{
	struct cbd_view v;

	memset(&v, 0, sizeof(v));
	strcpy(v.id, "AAAAAAAAAAAAAAAA");
	strcpy(v.user, "alice");
	strcpy(v.host, "jump-01");
	strcpy(v.rhost, "10.0.0.5");
	snprintf(v.service, sizeof(v.service), "%s", service);
	snprintf(v.command, sizeof(v.command), "%s", command);
	strcpy(v.token, "TTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT");
	v.choices[0] = 17;
	v.choices[1] = 42;
	v.choices[2] = 93;
	return v;
}

static char *render(const struct cbd_view *v, enum cbd_lang lang, enum cbd_confirm_mode mode)
{
	struct cbd_confirm_page p = {
	    .view = v,
	    .lang = lang,
	    .mode = mode,
	    .ms_left = 90500,
	    .now = 0,
	    .action = v->id,
	};
	char *html = cbd_page_confirm(&p);

	assert_non_null(html);
	return html;
}

static void test_confirm_command(void **state)
{
	struct cbd_view v =
	    sample_view("sudo", "/usr/bin/apt install <b>vim</b> && echo \"x\" 'y'");
	char *html = render(&v, EN, CBD_CONFIRM_TYPE);

	(void)state;
	assert_non_null(strstr(html, "<tr id=\"row-command\"><th>Command</th><td class=\"long\">"
				     "/usr/bin/apt install &lt;b&gt;vim&lt;/b&gt; &amp;&amp; echo "
				     "&quot;x&quot; &#39;y&#39;</td></tr>"));
	assert_null(strstr(html, "<b>vim"));
	/* The command's spaces stay as the module sent them. */
	assert_non_null(strstr(html, "#row-command td{white-space:pre-wrap}"));
	assert_non_null(strstr(html, "sudo: run a command as root"));
	free(html);
	v = sample_view("sshd", "");
	html = render(&v, ZH, CBD_CONFIRM_TYPE);
	assert_null(strstr(html, "<tr id=\"row-command\""));
	assert_non_null(strstr(html, "<html lang=\"zh-CN\">"));
	assert_non_null(strstr(html, "SSH 登录"));
	free(html);
}

static void test_confirm_modes(void **state)
{
	struct cbd_view v = sample_view("my<svc>", "");
	char *html = render(&v, EN, CBD_CONFIRM_TYPE);

	(void)state;
	/* a service the page has no words for is named, escaped */
	assert_non_null(strstr(html, "Login through my&lt;svc&gt;"));
	assert_non_null(strstr(html, "inputmode=\"numeric\" pattern=\"[0-9]{2}\""));
	assert_null(strstr(html, "value=\"42\""));
	assert_non_null(strstr(html, "1 min 30 s (until "));
	assert_non_null(strstr(html, "action=\"AAAAAAAAAAAAAAAA\""));
	assert_null(strstr(html, "action=\"/"));
	assert_null(strstr(html, "break-all"));
	free(html);
	html = render(&v, EN, CBD_CONFIRM_PICK);
	assert_non_null(strstr(html, "id=\"pick-1\" value=\"17\""));
	assert_non_null(strstr(html, "id=\"pick-2\" value=\"42\""));
	assert_non_null(strstr(html, "id=\"pick-3\" value=\"93\""));
	assert_null(strstr(html, "inputmode"));
	assert_non_null(strstr(html, "id=\"not-me\""));
	free(html);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick),	   cmocka_unit_test(test_pages_complete),
	    cmocka_unit_test(test_words_complete), cmocka_unit_test(test_confirm_command),
	    cmocka_unit_test(test_confirm_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
