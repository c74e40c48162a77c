/* Reading Accept-Language (RFC 9110, section 12.5.4) without allocating:
 * a list of language ranges, each with an optional ";q=" weight. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "page_lang.h"

#define NO_MATCH (-1)

/* Whether `tag` (n bytes) is `want` or starts with `want` followed by '-'. */
static int tag_is(const char *tag, size_t n, const char *want)
{
	size_t w = strlen(want);

	return n >= w && strncasecmp(tag, want, w) == 0 && (n == w || tag[w] == '-');
}

/* The language a range names, or NO_MATCH. zh-TW, zh-HK and zh-Hant are
 * Traditional Chinese, which the pages do not have. */
static int lang_of(const char *tag, size_t n)
{
	if (n == 1 && tag[0] == '*')
		return CBD_LANG_EN;
	if (tag_is(tag, n, "en"))
		return CBD_LANG_EN;
	if ((n == 2 && strncasecmp(tag, "zh", 2) == 0) || tag_is(tag, n, "zh-CN") ||
	    tag_is(tag, n, "zh-Hans") || tag_is(tag, n, "zh-SG"))
		return CBD_LANG_ZH;
	return NO_MATCH;
}

/* A q-value in thousandths: "1", "1.000", "0", "0.8", "0.125"; -1 if
 * malformed. */
static int parse_q(const char *s, size_t n)
{
	int v, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (n == 1)
		return v;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v <= 1000 ? v : -1;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static size_t trim_len(const char *p, const char *end)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - p);
}

/* The weight of one list element [p, end): 1000 without a q parameter,
 * -1 when a parameter is malformed. */
static int weight_of(const char *semi, const char *end)
{
	const char *p;

	if (semi == NULL)
		return 1000;
	p = skip_space(semi + 1, end);
	if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return -1;
	p += 2;
	return parse_q(p, trim_len(p, end));
}

/* The first `c` in [p, end), or NULL. */
static const char *find(const char *p, const char *end, char c)
{
	for (; p < end; p++)
		if (*p == c)
			return p;
	return NULL;
}

enum cbd_lang cbd_lang_pick(const char *header)
{
	const char *p, *end, *item_end, *semi;
	int best = CBD_LANG_EN, best_q = 0, lang, q;

	if (header == NULL)
		return CBD_LANG_EN;
	end = header + strlen(header);
	for (p = header; p < end; p = item_end + 1) {
		item_end = find(p, end, ',');
		if (item_end == NULL)
			item_end = end;
		p = skip_space(p, item_end);
		semi = find(p, item_end, ';');
		lang = lang_of(p, trim_len(p, semi != NULL ? semi : item_end));
		q = weight_of(semi, item_end);
		if (lang != NO_MATCH && q > best_q) {
			best = lang;
			best_q = q;
		}
	}
	return (enum cbd_lang)best;
}

const char *cbd_lang_tag(enum cbd_lang lang)
{
	return lang == CBD_LANG_ZH ? "zh-CN" : "en";
}
