/* Small helpers shared by the module, the helper and the CLI. */
#ifndef DT_UTIL_H
#define DT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "base/err.h"

/* `n` bytes from the kernel's random generator (getrandom(2)), the source
 * OpenSSL's own generator seeds from: asking it directly spares every
 * login OpenSSL's generator set-up (about 8 million instructions, more
 * than the rest of the work before the QR). -1 if it fails. */
int dt_random_bytes(void *buf, size_t n);

/* Fills `out` with a base64url token (no padding) from `nbytes` random bytes
 * (dt_random_bytes). `out` must hold 4*ceil(nbytes/3)+1 bytes.
 * Returns 0, or -1 if the random source failed. */
int dt_random_token(char *out, size_t out_size, size_t nbytes);

/* A uniform random number in [lo, hi] without modulo bias. -1 on failure. */
int dt_random_range(unsigned lo, unsigned hi, unsigned *out);

/* Percent-encodes everything but RFC 3986 unreserved characters.
 * Returns a malloc'd string or NULL. */
char *dt_urlencode(const char *s);

/* base64url without padding; returns bytes written (excluding NUL) or -1. */
int dt_base64url(const unsigned char *in, size_t n, char *out, size_t out_size);

/* A string is a token of [A-Za-z0-9_-] of length min..max. */
int dt_is_token(const char *s, size_t min, size_t max);

/* Printable ASCII without spaces, 1..256 characters: an AppKey, a corpId. */
int dt_is_printable_id(const char *s);

/* Wipes and frees a string (secrets). NULL is allowed. */
void dt_free_secret(char *s);

/* Whether SIGINT or SIGQUIT is pending for this process: sudo and login
 * block them while authenticating, so Ctrl-C waits there until PAM
 * returns. Looking does not consume the signal; the host program still
 * acts on it. */
int dt_interrupt_pending(void);

/* malloc'd printf. NULL on failure. */
char *dt_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Replaces control characters (and DEL, and invalid UTF-8) with '?' so that
 * server-supplied text is safe for a terminal or a log. In place. */
void dt_sanitize_text(char *s);

#endif
