/* A small application/x-www-form-urlencoded reader for the confirmation
 * form: known fields only, each into a caller's bounded buffer. */
#ifndef CBD_FORM_H
#define CBD_FORM_H

#include <stddef.h>

struct cbd_form_field {
	const char *name;
	char *value; /* NUL-terminated on success */
	size_t size; /* bytes available in value, including the NUL */
	int seen;
};

/* Parses `body` (len bytes). Unknown fields are ignored; a known field
 * twice, a value too long, a bad %-escape or a decoded NUL is an error.
 * Returns 0 or -1. */
int cbd_form_parse(const char *body, size_t len, struct cbd_form_field *fields, size_t nfields);

#endif
