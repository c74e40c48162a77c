#include "config.h"

#include "base/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int reserve(struct dt_textbuf *b, size_t more)
{
	size_t cap = b->cap != 0 ? b->cap : 256;
	char *grown;

	if (b->failed)
		return -1;
	while (cap - b->len <= more) {
		if (cap > ((size_t)-1) / 2)
			return b->failed = 1, -1;
		cap *= 2;
	}
	if (cap == b->cap)
		return 0;
	grown = realloc(b->text, cap);
	if (grown == NULL)
		return b->failed = 1, -1;
	b->text = grown;
	b->cap = cap;
	return 0;
}

void dt_textbuf_add(struct dt_textbuf *b, const char *s, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	memcpy(b->text + b->len, s, n);
	b->len += n;
	b->text[b->len] = '\0';
}

void dt_textbuf_addf(struct dt_textbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) < 0) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->text + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *dt_textbuf_take(struct dt_textbuf *b)
{
	char *text = b->failed ? NULL : b->text;

	if (b->failed)
		dt_free_secret(b->text);
	else if (text == NULL)
		text = strdup("");
	memset(b, 0, sizeof(*b));
	return text;
}
