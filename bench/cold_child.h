/* bench_cold's side of one fresh PAM client (pam_once): spawn it with the
 * environment given, read its lines within a time limit, reap it. A child
 * that outlives its limit is killed (SIGKILL, by its pid: only children
 * this program started), so a stuck login fails the run instead of
 * hanging it. */
#ifndef BENCH_COLD_CHILD_H
#define BENCH_COLD_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct cold_child {
	pid_t pid;
	int out; /* the read end of its stdout */
	char buf[4096];
	size_t len;
};

/* What pam_once reports (pam_once.c): times in microseconds of
 * CLOCK_MONOTONIC, t_qr 0 when no QR was shown. */
struct cold_result {
	int pam_rc;
	double t_start0, t_start1, t_auth0, t_qr, t_auth1;
	long cpu_us, maxrss_kib;
};

/* Starts argv[0] (a path) with `envp`, its stdout a pipe to us, its
 * stdin /dev/null, its stderr ours. Returns 0, or -1 with a message on
 * stderr. */
int cold_child_spawn(struct cold_child *c, char *const argv[], char *const envp[]);

/* The next line of its output (without the newline) within `limit_ms`.
 * Returns 1 with a line, 0 at the end of its output, -1 when the limit
 * passed or reading failed (the child is then killed). */
int cold_child_line(struct cold_child *c, char *line, size_t size, int limit_ms);

/* Waits up to `limit_ms` for it to exit (then kills it) and closes the
 * pipe. Returns its exit status, or -1 when it did not exit by itself. */
int cold_child_reap(struct cold_child *c, int limit_ms);

/* Kills it now (a failed phone: its login cannot end well). */
void cold_child_kill(struct cold_child *c);

/* Parses a "result ..." line. Returns 0, or -1 when it is not one. */
int cold_result_parse(const char *line, struct cold_result *r);

#endif
