/* What a benchmark's PAM client reads off the module's conversation: the
 * short link and the number to choose, the two things a person needs to
 * approve on the phone. Shared by bench_login (in-process logins) and
 * pam_once (the fresh-process client of bench_cold), so both start the
 * phone at the same point: the QR is on screen. No libcurl here: pam_once
 * must not load it (bench_cold measures what the module loads). */
#ifndef BENCH_TERMINAL_H
#define BENCH_TERMINAL_H

#include <stddef.h>

/* Looks in `text` (everything shown so far) for the short link (a word
 * holding "/l/") and the number ("choose the number N"). Fills `link`
 * (size bytes) and `number` with what it finds; leaves them as they were
 * otherwise. Returns 1 once both are known, else 0. */
int bench_terminal_read(const char *text, char *link, size_t size, unsigned *number);

#endif
