/* The phone's pages' language and words (src/callbackd/page_lang.h,
 * page_text.h): Accept-Language read with its q-values, and a catalogue
 * with every page and word in both languages, under ids of their own. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "page_lang.h"
#include "page_text.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_pages_complete),
	    cmocka_unit_test(test_words_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
