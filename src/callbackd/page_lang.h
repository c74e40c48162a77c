/* Which language a phone's page is written in: English or Simplified
 * Chinese, chosen from the request's Accept-Language header. */
#ifndef CBD_PAGE_LANG_H
#define CBD_PAGE_LANG_H

enum cbd_lang {
	CBD_LANG_EN,
	CBD_LANG_ZH, /* Simplified Chinese */
};

/* The language of the pages for an Accept-Language value (NULL: none).
 * Of the languages the pages have, the one with the highest q-value
 * wins; an earlier entry wins a tie; q=0 means "not this one". zh, zh-CN
 * zh-Hans and zh-SG (with any further subtags, e.g. zh-Hans-CN) are
 * Chinese (zh-TW, zh-HK and zh-Hant are not: Traditional); en
 * and en-* are English; "*" stands for English; any other tag is passed
 * over; nothing matching, or a malformed header, gives English. */
enum cbd_lang cbd_lang_pick(const char *accept_language);

/* The value of the html element's lang attribute: "en" or "zh-CN". */
const char *cbd_lang_tag(enum cbd_lang lang);

#endif
