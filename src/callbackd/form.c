/* Decoding the urlencoded confirmation form, every byte bounded. */
#include <string.h>

#include "form.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes in[0..n) into out (size bytes). -1 if it does not fit or is bad. */
static int decode(const char *in, size_t n, char *out, size_t size)
{
	size_t i, o = 0;
	int hi, lo;
	char c;

	for (i = 0; i < n; i++) {
		c = in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

static struct cbd_form_field *find(struct cbd_form_field *fields, size_t nfields, const char *name,
				   size_t name_len)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (strlen(fields[i].name) == name_len &&
		    memcmp(fields[i].name, name, name_len) == 0)
			return &fields[i];
	return NULL;
}

static int take_pair(const char *pair, size_t n, struct cbd_form_field *fields, size_t nfields)
{
	const char *eq = memchr(pair, '=', n);
	size_t name_len = eq != NULL ? (size_t)(eq - pair) : n;
	struct cbd_form_field *f = find(fields, nfields, pair, name_len);

	if (f == NULL)
		return 0;
	if (f->seen || eq == NULL)
		return -1;
	f->seen = 1;
	return decode(eq + 1, n - name_len - 1, f->value, f->size);
}

int cbd_form_parse(const char *body, size_t len, struct cbd_form_field *fields, size_t nfields)
{
	const char *p = body, *end = body + len, *amp;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		if (amp > p && take_pair(p, (size_t)(amp - p), fields, nfields) != 0)
			return -1;
		p = amp + 1;
	}
	return 0;
}
