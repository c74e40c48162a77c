/* What one login costs on the jump host, the person left out: whole
 * logins through libpam (pam_wrapper) with pam_dingtalk.so against the
 * real dingtalk-callbackd and the local DingTalk mock, approved by a phone
 * that answers at once (a thread of this process speaking HTTP with
 * libcurl: short link, authorize, callback, confirm: phone.c).
 *
 * Per login, with T0 pam_authenticate called, T1 the QR shown (the
 * conversation got the link and the number: the phone starts), T2 the
 * phone's confirmation answered, T3 pam_authenticate returned:
 *   login.total   T3 - T0: pam_authenticate with an instant phone
 *   login.module  (T1 - T0) + (T3 - T2): the module's own work, i.e. the
 *                 configuration, user, session and registration before the
 *                 QR, then the helper's wake-up, the code exchange with the
 *                 mock (standing in for DingTalk), the map and the audit
 *                 line; the phone's time (T2 - T1) is left out
 *   login.before_qr, login.after_phone: the two parts
 * Also logins/s, and this process's RSS (VmRSS and ru_maxrss) after the
 * warm-up and after every login, to show it does not grow; with
 * --helper-pid, the helper's VmRSS too.
 *
 * Run it through login_stage.sh (the stage). Usage:
 *   bench_login [--quick] [--logins N] [--helper-pid PID] */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <security/pam_appl.h>

#include "bench_util.h"
#include "phone.h"
#include "terminal.h"

#define WARMUP	20
#define SERVICE "dingtalk"
#define USER	"alice"
#define PERSON	"alice"

struct login {
	char text[16384];
	size_t text_len;
	char link[512];
	unsigned number;
	struct bench_phone phone; /* kept from login to login */
	pthread_t phone_thread;
	int phone_started;
	double shown_us, phone_done_us;
	char phone_error[128];
};

/* ---- the phone ---- */

static void *phone(void *arg)
{
	struct login *l = arg;
	const char *error = bench_phone_approve(&l->phone, l->link, l->number, PERSON);

	l->phone_done_us = bench_now_us();
	if (error != NULL)
		snprintf(l->phone_error, sizeof(l->phone_error), "%s", error);
	return NULL;
}

/* ---- the terminal ---- */

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct login *l = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	size_t len;
	int i;

	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		len = strlen(msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup("");
		if (l->text_len + len + 2 < sizeof(l->text)) {
			memcpy(l->text + l->text_len, msg[i]->msg, len);
			l->text_len += len;
			l->text[l->text_len++] = '\n';
			l->text[l->text_len] = '\0';
		}
	}
	if (!l->phone_started &&
	    bench_terminal_read(l->text, l->link, sizeof(l->link), &l->number)) {
		l->shown_us = bench_now_us();
		l->phone_started = pthread_create(&l->phone_thread, NULL, phone, l) == 0;
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---- logins ---- */

struct sample {
	double total, before_qr, after_phone, transaction;
};

static int login_once(struct login *l, struct sample *s)
{
	struct pam_conv conv = {.conv = conversation, .appdata_ptr = l};
	pam_handle_t *pamh = NULL;
	double t_start, t0, t3;
	int rc;

	l->text_len = 0;
	l->text[0] = '\0';
	l->link[0] = '\0';
	l->number = 0;
	l->phone_started = 0;
	l->phone_error[0] = '\0';
	t_start = bench_now_us();
	rc = pam_start(SERVICE, USER, &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "bench_login: pam_start: %d\n", rc);
		return -1;
	}
	t0 = bench_now_us();
	rc = pam_authenticate(pamh, 0);
	t3 = bench_now_us();
	pam_end(pamh, rc);
	s->transaction = bench_now_us() - t_start;
	if (l->phone_started)
		pthread_join(l->phone_thread, NULL);
	if (rc != PAM_SUCCESS || !l->phone_started || l->phone_error[0] != '\0') {
		fprintf(stderr, "bench_login: PAM %d (%s); phone: %s\n", rc, pam_strerror(NULL, rc),
			!l->phone_started   ? "never started"
			: l->phone_error[0] ? l->phone_error
					    : "ok");
		return -1;
	}
	s->total = t3 - t0;
	s->before_qr = l->shown_us - t0;
	s->after_phone = t3 - l->phone_done_us;
	return 0;
}

static long helper_rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void report(struct sample *v, size_t n, double seconds)
{
	double *x = calloc(n, sizeof(*x));
	struct bench_stats st;
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < n; i++)
		x[i] = v[i].total;
	bench_summarize(x, n, &st);
	bench_result_stats("login.total", &st, 1000, "ms");
	for (i = 0; i < n; i++)
		x[i] = v[i].before_qr + v[i].after_phone;
	bench_summarize(x, n, &st);
	bench_result_stats("login.module", &st, 1000, "ms");
	for (i = 0; i < n; i++)
		x[i] = v[i].before_qr;
	bench_summarize(x, n, &st);
	bench_result_stats("login.before_qr", &st, 1000, "ms");
	for (i = 0; i < n; i++)
		x[i] = v[i].after_phone;
	bench_summarize(x, n, &st);
	bench_result_stats("login.after_phone", &st, 1000, "ms");
	for (i = 0; i < n; i++)
		x[i] = v[i].transaction;
	bench_summarize(x, n, &st);
	bench_result_stats("login.pam_transaction", &st, 1000, "ms");
	bench_result("login.rate", (double)n / seconds, "logins/s");
	free(x);
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), i, rc = 1;
	size_t logins = quick ? 5 : 500, warmup = quick ? 2 : WARMUP, k;
	long helper_pid = 0, rss_warm, peak_warm, helper_warm = -1;
	struct login *l = calloc(1, sizeof(*l));
	struct sample *v = NULL, scratch;
	double t0;

	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--logins") == 0)
			logins = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--helper-pid") == 0)
			helper_pid = strtol(argv[i + 1], NULL, 10);
	}
	if (l == NULL || logins == 0 || (v = calloc(logins, sizeof(*v))) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || bench_phone_init(&l->phone, NULL) != 0)
		goto out;
	bench_machine();
	for (k = 0; k < warmup; k++)
		if (login_once(l, &scratch) < 0)
			goto out;
	rss_warm = bench_rss_kib();
	peak_warm = bench_peak_rss_kib();
	if (helper_pid > 0)
		helper_warm = helper_rss_kib(helper_pid);
	t0 = bench_now_us();
	for (k = 0; k < logins; k++)
		if (login_once(l, &v[k]) < 0)
			goto out;
	report(v, logins, (bench_now_us() - t0) / 1e6);
	bench_result("login.count", (double)logins, "logins");
	bench_result("login.rss_after_warmup", (double)rss_warm, "KiB");
	bench_result("login.rss_after_all", (double)bench_rss_kib(), "KiB");
	bench_result("login.peak_rss_after_warmup", (double)peak_warm, "KiB");
	bench_result("login.peak_rss_after_all", (double)bench_peak_rss_kib(), "KiB");
	if (helper_pid > 0) {
		bench_result("login.helper_rss_after_warmup", (double)helper_warm, "KiB");
		bench_result("login.helper_rss_after_all", (double)helper_rss_kib(helper_pid),
			     "KiB");
	}
	rc = 0;
out:
	if (l != NULL)
		bench_phone_cleanup(&l->phone);
	curl_global_cleanup();
	free(v);
	free(l);
	return rc;
}
