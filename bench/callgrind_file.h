/* What bench_cold reads from callgrind's output files (valgrind's
 * "Callgrind Format Specification", docs/cl-format.html of valgrind's
 * manual): the total of instructions, and how many times a function was
 * called, from which it counts a login's TLS handshakes (a count, unlike
 * wall time, that noise does not move). */
#ifndef BENCH_CALLGRIND_FILE_H
#define BENCH_CALLGRIND_FILE_H

/* The instructions (Ir) of the whole run (its "summary:" or "totals:"
 * line), or -1 when the file cannot be read or has neither. */
double callgrind_ir(const char *path);

/* The calls to the function named `fn` (exactly, e.g. "SSL_new"), summed
 * over every caller: each "calls=N" line after a "cfn=" naming it, with
 * or without name compression ("cfn=(7) SSL_new", then "cfn=(7)").
 * Returns the sum (0 when never called), or -1 when the file cannot be
 * read or is not callgrind's (no "events:" line). */
long callgrind_calls(const char *path, const char *fn);

#endif
