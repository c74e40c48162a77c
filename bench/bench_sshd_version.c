/* The one cost the sshd path adds before the QR: under sshd with
 * `wait = auto` the module reads which OpenSSH runs it from
 * /proc/self/exe (dt_openssh_version_of, login/sshd_version.h). This times
 * that public function, and nothing inside it, so the figures stay valid
 * however it reads the program, in microseconds per call (p50, p99, max)
 * on two programs:
 *   sshd_version.sshd          /usr/sbin/sshd (Debian 12's is 9.2: the
 *                              program that calls PAM up to 9.7)
 *   sshd_version.sshd_session  an OpenSSH 10.x sshd-session (the one
 *                              that calls PAM from 9.8 on):
 *                              DT_OPENSSH_PREFIX/libexec/sshd-session, or
 *                              else the first of
 *                              ${DT_CACHE_DIR:-/var/cache/pam_dingtalk-tests}/openssh-<hash>/libexec/sshd-session
 *                              (the e2e tests' builds, TESTING.md); none:
 *                              this half is skipped, said on stderr
 * and each program's size (.bytes). After a few untimed calls the program
 * is in the page cache, as sshd's own is during a login.
 *
 * Usage: bench_sshd_version [--quick] [--sshd PATH]
 *   --sshd  the first program (default /usr/sbin/sshd)
 * Exit 0; 77 (skipped) when the default /usr/sbin/sshd does not exist
 * (openssh-server is not installed); 1 when a program cannot be read, is
 * not to be trusted or names no single version (the module's own message
 * says which), or DT_OPENSSH_PREFIX names a prefix without
 * libexec/sshd-session; 2 on bad usage. */
#include "config.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "login/sshd_version.h"

#define DEFAULT_SSHD	  "/usr/sbin/sshd"
#define DEFAULT_CACHE	  "/var/cache/pam_dingtalk-tests"
#define SESSION_IN_PREFIX "libexec/sshd-session"
#define WARMUP		  5
#define PATH_SIZE	  4096

/* Times n calls on `path` into samples (after WARMUP untimed ones).
 * Returns 0 with *v, or -1 with the module's message on stderr. */
static int time_version(const char *path, double *samples, size_t n, struct dt_openssh_version *v)
{
	struct dt_err err = {0};
	size_t i;
	double t0;
	int rc = 1;

	for (i = 0; i < WARMUP + n && rc == 1; i++) {
		t0 = bench_now_us();
		rc = dt_openssh_version_of(path, v, &err);
		if (i >= WARMUP)
			samples[i - WARMUP] = bench_now_us() - t0;
	}
	if (rc != 1) {
		fprintf(stderr, "bench_sshd_version: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Measures one program and prints its figures under sshd_version.LABEL. */
static int measure(const char *label, const char *path, double *samples, size_t n)
{
	struct dt_openssh_version v;
	struct bench_stats s;
	struct stat st;
	char name[96];

	if (time_version(path, samples, n, &v) != 0)
		return -1;
	fprintf(stderr, "bench_sshd_version: %s: %s\n", path, v.text);
	bench_summarize(samples, n, &s);
	snprintf(name, sizeof(name), "sshd_version.%s", label);
	bench_result_stats(name, &s, 1, "us");
	if (stat(path, &st) == 0) {
		snprintf(name, sizeof(name), "sshd_version.%s.bytes", label);
		bench_result(name, (double)st.st_size, "bytes");
	}
	return 0;
}

/* The sshd-session to measure, into out. Returns 1 when there is one, 0
 * when none is at hand (said), -1 when DT_OPENSSH_PREFIX names a prefix
 * without one (said: the administrator asked for it). */
static int find_session(char *out, size_t size)
{
	const char *prefix = getenv("DT_OPENSSH_PREFIX");
	const char *cache = getenv("DT_CACHE_DIR");
	char pattern[PATH_SIZE];
	glob_t g;
	int found;

	if (prefix != NULL && prefix[0] != '\0') {
		snprintf(out, size, "%s/%s", prefix, SESSION_IN_PREFIX);
		if (access(out, F_OK) == 0)
			return 1;
		fprintf(stderr, "bench_sshd_version: DT_OPENSSH_PREFIX=%s has no %s\n", prefix,
			SESSION_IN_PREFIX);
		return -1;
	}
	if (cache == NULL || cache[0] == '\0')
		cache = DEFAULT_CACHE;
	snprintf(pattern, sizeof(pattern), "%s/openssh-*/%s", cache, SESSION_IN_PREFIX);
	found = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
	if (found)
		snprintf(out, size, "%s", g.gl_pathv[0]);
	else
		fprintf(stderr,
			"bench_sshd_version: no OpenSSH 10.x sshd-session (DT_OPENSSH_PREFIX "
			"unset, none matches %s): sshd_version.sshd_session skipped\n",
			pattern);
	globfree(&g);
	return found;
}

static int parse(int argc, char **argv, const char **sshd)
{
	int i;

	*sshd = DEFAULT_SSHD;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			continue;
		if (strcmp(argv[i], "--sshd") != 0 || i + 1 >= argc)
			return -1;
		*sshd = argv[++i];
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t n = bench_quick(argc, argv) ? 20 : 2000;
	char session[PATH_SIZE];
	const char *sshd;
	double *samples;
	int rc = 1, has_session;

	if (parse(argc, argv, &sshd) != 0) {
		fprintf(stderr, "usage: bench_sshd_version [--quick] [--sshd PATH]\n");
		return 2;
	}
	if (strcmp(sshd, DEFAULT_SSHD) == 0 && access(sshd, F_OK) != 0) {
		fprintf(stderr, "bench_sshd_version: SKIP: %s does not exist (openssh-server)\n",
			sshd);
		return 77;
	}
	samples = calloc(n, sizeof(*samples));
	if (samples == NULL)
		return 1;
	bench_machine();
	if (measure("sshd", sshd, samples, n) != 0)
		goto out;
	has_session = find_session(session, sizeof(session));
	if (has_session < 0 || (has_session && measure("sshd_session", session, samples, n) != 0))
		goto out;
	rc = 0;
out:
	free(samples);
	return rc;
}
