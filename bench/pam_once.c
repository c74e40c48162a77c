/* One PAM transaction in a fresh process, as sshd-session, sudo and su
 * run one: pam_start, pam_authenticate, pam_end for SERVICE and USER,
 * stamped with CLOCK_MONOTONIC (shared by every process of the machine,
 * so bench_cold, its parent, compares them with its own). Links libpam
 * and nothing else of note: whatever the module needs (libcurl, OpenSSL,
 * json-c, ...) is loaded by pam_start, where bench_cold measures it.
 *
 * Usage: pam_once [--start-only] SERVICE USER
 *   --start-only  pam_start and pam_end alone (loading the module)
 *
 * Writes to stdout, each line flushed at once:
 *   qr LINK NUMBER      when the conversation first carries both (the QR
 *                       is on screen: the parent's phone starts)
 *   result RC T0 T1 T2 T3 T4 CPU_US MAXRSS_KIB
 *     RC the PAM result of pam_authenticate (of pam_start with
 *     --start-only); T0/T1 before and after pam_start, T2 at
 *     pam_authenticate's start, T3 at the QR (0 if none), T4 at its
 *     return, all in microseconds; CPU_US this process's user + system
 *     time at the end (getrusage), MAXRSS_KIB its peak resident set
 *     (VmHWM: getrusage's ru_maxrss is no use here, as Linux carries it
 *     across execve from the parent's memory when the parent spawned
 *     us with vfork, as posix_spawn does: every child would report
 *     bench_cold's own size).
 * Exit 0 once the result line is written (whatever RC), 2 on bad usage,
 * 1 when it could not be written. Every prompt is answered with an empty
 * line (nobody presses Enter early: wait = poll). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <security/pam_appl.h>

#include "bench_util.h"
#include "terminal.h"

#define TEXT_SIZE 16384

struct shown {
	char text[TEXT_SIZE];
	size_t len;
	char link[512];
	unsigned number;
	double qr_us; /* 0 until the link and the number are shown */
};

static void keep(struct shown *s, const char *msg)
{
	size_t len = strlen(msg);

	if (s->len + len + 2 >= sizeof(s->text))
		return; /* the link and number come first; a full buffer has them */
	memcpy(s->text + s->len, msg, len);
	s->len += len;
	s->text[s->len++] = '\n';
	s->text[s->len] = '\0';
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct shown *s = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup("");
		keep(s, msg[i]->msg);
	}
	if (s->qr_us == 0 && bench_terminal_read(s->text, s->link, sizeof(s->link), &s->number)) {
		s->qr_us = bench_now_us();
		printf("qr %s %u\n", s->link, s->number);
		fflush(stdout);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static long cpu_us(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000L + ru->ru_utime.tv_usec +
	       ru->ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	static struct shown shown;
	struct pam_conv conv = {.conv = conversation, .appdata_ptr = &shown};
	int start_only = argc == 4 && strcmp(argv[1], "--start-only") == 0;
	pam_handle_t *pamh = NULL;
	double t0, t1, t2 = 0, t4 = 0;
	struct rusage ru;
	int rc;

	if (argc != 3 && !start_only) {
		fprintf(stderr, "usage: pam_once [--start-only] SERVICE USER\n");
		return 2;
	}
	t0 = bench_now_us();
	rc = pam_start(argv[argc - 2], argv[argc - 1], &conv, &pamh);
	t1 = bench_now_us();
	if (rc == PAM_SUCCESS && !start_only) {
		t2 = bench_now_us();
		rc = pam_authenticate(pamh, 0);
		t4 = bench_now_us();
	}
	if (pamh != NULL)
		pam_end(pamh, rc);
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 1;
	printf("result %d %.1f %.1f %.1f %.1f %.1f %ld %ld\n", rc, t0, t1, t2, shown.qr_us, t4,
	       cpu_us(&ru), bench_status_kib("VmHWM"));
	return fflush(stdout) == 0 ? 0 : 1;
}
