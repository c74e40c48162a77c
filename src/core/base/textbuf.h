/* A growing text buffer for files rebuilt line by line. Once an append
 * fails the buffer stays failed, so callers check once at the end. */
#ifndef DT_TEXTBUF_H
#define DT_TEXTBUF_H

#include <stddef.h>

struct dt_textbuf {
	char *text;
	size_t len, cap;
	int failed;
};

void dt_textbuf_add(struct dt_textbuf *b, const char *s, size_t n);
void dt_textbuf_addf(struct dt_textbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text (malloc'd, NUL-terminated; "" when nothing was added), or NULL
 * if any append ran out of memory. The buffer is emptied either way. */
char *dt_textbuf_take(struct dt_textbuf *b);

#endif
