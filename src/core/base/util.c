#include "config.h"

#include "base/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int dt_base64url(const unsigned char *in, size_t n, char *out, size_t out_size)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t need = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
	size_t i, o = 0;

	if (out_size <= need)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return (int)o;
}

int dt_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	ssize_t got;

	while (n > 0) {
		got = getrandom(p, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int dt_random_token(char *out, size_t out_size, size_t nbytes)
{
	unsigned char raw[96];
	int rc;

	if (nbytes == 0 || nbytes > sizeof(raw))
		return -1;
	if (dt_random_bytes(raw, nbytes) < 0)
		return -1;
	rc = dt_base64url(raw, nbytes, out, out_size);
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc < 0 ? -1 : 0;
}

int dt_random_range(unsigned lo, unsigned hi, unsigned *out)
{
	unsigned span, limit, v;

	if (hi < lo || hi - lo == 0xffffffffu)
		return -1;
	span = hi - lo + 1;
	/* Reject values from the incomplete top block so every outcome is
	 * equally likely. */
	limit = 0xffffffffu - (0xffffffffu % span);
	do {
		if (dt_random_bytes(&v, sizeof(v)) < 0)
			return -1;
	} while (v >= limit);
	*out = lo + v % span;
	return 0;
}

char *dt_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);
	char *out = malloc(len * 3 + 1);
	char *p = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

int dt_is_token(const char *s, size_t min, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= max)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n >= min;
}

int dt_is_printable_id(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (n >= 256 || s[n] <= ' ' || s[n] > '~')
			return 0;
	return n > 0;
}

void dt_free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int dt_interrupt_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) != 0)
		return 0;
	return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGQUIT) == 1;
}

char *dt_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&out, fmt, ap);
	va_end(ap);
	return rc < 0 ? NULL : out;
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_sequence_length(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void dt_sanitize_text(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_sequence_length(p);
		if (n == 0) {
			*p++ = '?';
			continue;
		}
		if (n == 1 && (*p < 0x20 || *p == 0x7f))
			*p = '?';
		/* C1 controls (U+0080..U+009F) reach terminals as CSI too. */
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			p[0] = '?';
			p[1] = '?';
		}
		p += n;
	}
}
