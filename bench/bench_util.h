/* What every benchmark shares: a monotonic clock, the median and p99 of a
 * run, the machine it ran on, and one way to print a result, so that
 * bench/run and BENCHMARKS.md read every program alike:
 *
 *   machine cpu AMD EPYC
 *   bench qr.utf8.p50 41.2 us
 *
 * A result line is "bench NAME VALUE UNIT", NAME and UNIT without spaces. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

struct bench_stats {
	size_t n;
	double min, p50, p99, max, mean;
};

/* Monotonic time in microseconds (CLOCK_MONOTONIC). */
double bench_now_us(void);

/* Sorts `v` (n > 0) and summarizes it. */
void bench_summarize(double *v, size_t n, struct bench_stats *out);

/* Prints "bench NAME VALUE UNIT". */
void bench_result(const char *name, double value, const char *unit);

/* Prints NAME.p50, NAME.p99 and NAME.max in `unit`; `scale` divides the
 * samples first (1000 turns microseconds into milliseconds). */
void bench_result_stats(const char *name, const struct bench_stats *s, double scale,
			const char *unit);

/* Prints the "machine ..." lines: CPU model, cores, kernel, compiler. */
void bench_machine(void);

/* This process's peak resident set (getrusage ru_maxrss) and current one
 * (VmRSS of /proc/self/status), in KiB; -1 when unknown. */
long bench_peak_rss_kib(void);
long bench_rss_kib(void);
/* A "Key: N kB" line of /proc/self/status (VmRSS, VmHWM), or -1. */
long bench_status_kib(const char *key);

/* Whether argv holds "--quick" (a few iterations: CI proves it runs). */
int bench_quick(int argc, char **argv);

#endif
