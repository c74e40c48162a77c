/* Cold logins (issue 17): what a login costs when, as under sshd, sudo and
 * su, every login is a fresh process that loads pam_dingtalk.so and
 * everything it links, and initialises it. Each login runs pam_once (a
 * PAM client linking libpam alone) for one service; this program is its
 * parent and the phone (phone.c), and reads the DingTalk mock's counts
 * (cold_traffic.h). Set up by cold_stage.sh.
 *
 * 1. Cold logins, interleaved login by login (so noise hits all alike)
 *    through five services: `permit` (pam_permit.so: the baseline, what
 *    any PAM client costs), `dingtalk` (the module against the mock over
 *    plain HTTP), `dingtalk_tls` (over HTTPS with a test CA),
 *    `dingtalk_fleet` (the module as a fleet host: it loads its network
 *    library and registers over HTTPS, signed, with the helper's TCP
 *    control listener before the QR; the mock over HTTP) and
 *    `dingtalk_dir` (over HTTPS, the account from the directory:
 *    map = directory:email, with the app token from its token_cache,
 *    filled by the warm-up logins). The phone approves at once. Per
 *    service (pam_once.c's stamps):
 *      cold.S.pam_start           pam_start: loading the modules
 *      cold.S.to_qr               pam_authenticate start -> the QR shown
 *      cold.S.approval_to_result  the phone's confirmation answered ->
 *                                 pam_authenticate returned
 *      cold.S.cpu                 the client's user + system CPU, whole
 *      cold.S.maxrss              its peak resident set
 *    and, from those, cold.module_load (pam_start of dingtalk minus
 *    permit's, p50), cold.module_cpu (CPU of dingtalk minus permit's,
 *    p50), cold.tls_cpu (dingtalk_tls minus dingtalk, p50: the TLS
 *    handshake to DingTalk), cold.fleet_to_qr_extra.p50 and
 *    cold.fleet_cpu_extra.p50 (dingtalk_fleet minus dingtalk, p50s: the
 *    library's load, the TLS handshake to the replica and the signing
 *    before the QR; the signed wait after it), cold.dir_cpu_extra.p50
 *    and cold.dir_approval_extra.p50 (dingtalk_dir minus dingtalk_tls,
 *    p50s: the directory's look-ups, the app token read from the cache).
 *    The mock's counts per login:
 *    cold.dingtalk_connections, cold.dingtalk_tls_handshakes,
 *    cold.S.requests_per_login and per endpoint, and
 *    cold.dingtalk_dir.app_token_requests_per_login: not 0 in the timed
 *    logins (the cache was not used), the run fails.
 * 2. Long-poll against polling: the same logins through `dingtalk`,
 *    `poll_1s` and `poll_3s` (poll_wait.c), the three of a round at once
 *    and approved after the same random delay (uniform 0.5-4 s, seeded):
 *    cold.poll.S.approval_to_result and the ratios
 *    cold.poll1_over_dingtalk.p50, cold.poll3_over_dingtalk.p50.
 * 3. With --callgrind-dir and --valgrind: one login of dingtalk and of
 *    permit under callgrind (the client only), and pam_start alone of
 *    each (pam_once --start-only): cold.callgrind.*.Ir, instructions,
 *    stable where wall time is not; one login of dingtalk_fleet as well
 *    (cold.callgrind.dingtalk_fleet.Ir, .fleet_extra.Ir against
 *    dingtalk's), whose OpenSSL calls count its TLS handshakes to the
 *    replica: cold.fleet_tls_handshakes (SSL_new) and
 *    cold.fleet_tls_full_handshakes (X509_verify_cert). The files stay
 *    in DIR for callgrind_annotate.
 *
 * Usage: bench_cold --pam-once PATH --preload LIBS --mock URL
 *          --tls-mock URL --ca FILE [--quick] [--logins N]
 *          [--poll-logins N] [--seed N] [--child-limit-ms MS]
 *          [--valgrind PATH --callgrind-dir DIR]
 *   --child-limit-ms  how long a client may stay silent before it is
 *                     killed and the run fails (default 60 s)
 * Exit 0 when every login succeeded, 1 otherwise, 2 on bad usage. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "bench_util.h"
#include "callgrind_file.h"
#include "cold_child.h"
#include "cold_traffic.h"
#include "phone.h"

#define USER		  "alice"
#define PERSON		  "alice"
#define CHILD_LIMIT_MS	  60000
#define VALGRIND_LIMIT_MS 300000
#define DELAY_MIN_MS	  500
#define DELAY_MAX_MS	  4000
#define COLD_SERVICES	  5 /* permit, dingtalk, dingtalk_tls, dingtalk_fleet, dingtalk_dir */

struct options {
	const char *pam_once, *preload, *mock, *tls_mock, *ca, *valgrind, *callgrind_dir;
	size_t logins, warmup, poll_logins;
	unsigned seed;
	int child_limit_ms; /* a client silent this long is killed: the run fails */
	char **envp;	    /* ours, with LD_PRELOAD = preload */
};

struct service {
	const char *name, *label; /* the PAM service; the figures' prefix */
	int tls, shows_qr;
	double *pam_start, *to_qr, *a2r, *cpu, *maxrss;
	size_t n;
	struct cold_traffic traffic; /* the module's, summed over the logins */
	size_t traffic_n;
};

/* One login: what to run, and what it measured. */
struct job {
	const struct options *o;
	struct service *svc;
	int delay_ms, record, start_only;
	const char *callgrind_out; /* under valgrind when set */
	CURL *admin;		   /* the mock's counts are read when set */
	struct bench_phone *phone; /* this thread's */
	struct cold_traffic at_authorize;
	int counted;
	struct cold_result r;
	double phone_done_us;
};

/* ---- one login ---- */

static const char *mock_of(const struct job *j)
{
	return j->svc->tls ? j->o->tls_mock : j->o->mock;
}

static void after_authorize(void *ctx)
{
	struct job *j = ctx;

	j->counted = cold_traffic_read(j->admin, mock_of(j), j->o->ca, &j->at_authorize) == 0;
}

/* The child's command line, its strings copied (posix_spawn takes them
 * as char *; ours are const). */
struct command {
	char store[2048];
	size_t used;
	char *argv[16];
	int argc;
};

static void add(struct command *c, const char *arg)
{
	size_t len = strlen(arg) + 1;

	if (c->argc >= 15 || c->used + len > sizeof(c->store))
		return; /* the caller's arguments are few and short (checked below) */
	memcpy(c->store + c->used, arg, len);
	c->argv[c->argc++] = c->store + c->used;
	c->argv[c->argc] = NULL;
	c->used += len;
}

static int build_command(const struct job *j, struct command *c)
{
	char out_opt[600];
	int want = 3 + (j->start_only ? 1 : 0) + (j->callgrind_out != NULL ? 5 : 0);

	c->used = 0;
	c->argc = 0;
	if (j->callgrind_out != NULL) {
		snprintf(out_opt, sizeof(out_opt), "--callgrind-out-file=%s", j->callgrind_out);
		add(c, j->o->valgrind);
		add(c, "-q");
		add(c, "--tool=callgrind");
		add(c, "--trace-children=no");
		add(c, out_opt);
	}
	add(c, j->o->pam_once);
	if (j->start_only)
		add(c, "--start-only");
	add(c, j->svc->name);
	add(c, USER);
	if (c->argc != want) {
		fprintf(stderr, "bench_cold: the client's command line is too long\n");
		return -1;
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The phone's part, when the QR is shown. Returns 0, or -1 (said). */
static int play_phone(struct job *j, const char *line)
{
	char link[512];
	unsigned number = 0;
	const char *error;

	if (sscanf(line, "qr %511s %u", link, &number) != 2) {
		fprintf(stderr, "bench_cold: %s: a QR line without link and number\n",
			j->svc->name);
		return -1;
	}
	if (j->delay_ms > 0)
		sleep_ms(j->delay_ms);
	error = bench_phone_approve(j->phone, link, number, PERSON);
	j->phone_done_us = bench_now_us();
	if (error != NULL) {
		fprintf(stderr, "bench_cold: %s: the phone: %s\n", j->svc->name, error);
		return -1;
	}
	return 0;
}

/* Whether the login went as it must: the client exited 0 and PAM said
 * yes, with the QR shown and approved where the service shows one. */
static int login_ok(const struct job *j, int status, int got_result, int phone_rc)
{
	int wants_qr = j->svc->shows_qr && !j->start_only;

	if (status != 0 || !got_result) {
		fprintf(stderr, "bench_cold: %s: the client %s\n", j->svc->name,
			status != 0 ? "failed (its exit status, or killed)" : "wrote no result");
		return 0;
	}
	if (j->r.pam_rc != 0 || phone_rc != 0 || (wants_qr && j->r.t_qr == 0)) {
		fprintf(stderr, "bench_cold: %s: PAM result %d%s (module log: the stage's)\n",
			j->svc->name, j->r.pam_rc,
			wants_qr && j->r.t_qr == 0 ? ", no QR shown" : "");
		return 0;
	}
	return 1;
}

static int run_login(struct job *j)
{
	static _Thread_local struct command cmd;
	char line[1024];
	struct cold_child c;
	int rc, got_result = 0, phone_rc = 0, status;
	int limit = j->callgrind_out != NULL ? VALGRIND_LIMIT_MS : j->o->child_limit_ms;

	j->counted = 0;
	j->phone->after_authorize = j->admin != NULL ? after_authorize : NULL;
	j->phone->ctx = j;
	if (j->admin != NULL && cold_traffic_reset(j->admin, mock_of(j), j->o->ca) != 0)
		return -1;
	if (build_command(j, &cmd) != 0 || cold_child_spawn(&c, cmd.argv, j->o->envp) != 0)
		return -1;
	while ((rc = cold_child_line(&c, line, sizeof(line), limit)) == 1) {
		if (strncmp(line, "qr ", 3) == 0 && phone_rc == 0) {
			phone_rc = play_phone(j, line);
			if (phone_rc != 0)
				cold_child_kill(&c);
		} else if (cold_result_parse(line, &j->r) == 0) {
			got_result = 1;
		}
	}
	status = cold_child_reap(&c, limit);
	if (rc < 0 || !login_ok(j, status, got_result, phone_rc))
		return -1;
	if (j->admin != NULL) {
		struct cold_traffic after;

		if (!j->counted || cold_traffic_read(j->admin, mock_of(j), j->o->ca, &after) != 0)
			return -1;
		if (j->record) {
			cold_traffic_add_diff(&j->svc->traffic, &after, &j->at_authorize);
			j->svc->traffic_n++;
		}
	}
	return 0;
}

static void record(struct service *s, const struct job *j)
{
	size_t k = s->n++;

	s->pam_start[k] = j->r.t_start1 - j->r.t_start0;
	s->to_qr[k] = j->r.t_qr > 0 ? j->r.t_qr - j->r.t_auth0 : 0;
	s->a2r[k] = j->r.t_qr > 0 ? j->r.t_auth1 - j->phone_done_us : 0;
	s->cpu[k] = (double)j->r.cpu_us;
	s->maxrss[k] = (double)j->r.maxrss_kib;
}

/* ---- services ---- */

static int service_init(struct service *s, const char *name, const char *label, int tls,
			int shows_qr, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->label = label;
	s->tls = tls;
	s->shows_qr = shows_qr;
	s->pam_start = calloc(cap, sizeof(double));
	s->to_qr = calloc(cap, sizeof(double));
	s->a2r = calloc(cap, sizeof(double));
	s->cpu = calloc(cap, sizeof(double));
	s->maxrss = calloc(cap, sizeof(double));
	return s->pam_start && s->to_qr && s->a2r && s->cpu && s->maxrss ? 0 : -1;
}

static void service_free(struct service *s)
{
	free(s->pam_start);
	free(s->to_qr);
	free(s->a2r);
	free(s->cpu);
	free(s->maxrss);
}

/* The p50 of v (n > 0; v is sorted). */
static double p50(double *v, size_t n)
{
	struct bench_stats st;

	bench_summarize(v, n, &st);
	return st.p50;
}

static void figure(const struct service *s, const char *what, double *v, double scale,
		   const char *unit)
{
	struct bench_stats st;
	char key[128];

	bench_summarize(v, s->n, &st);
	snprintf(key, sizeof(key), "%s.%s", s->label, what);
	bench_result_stats(key, &st, scale, unit);
}

static void report_traffic(const struct service *s)
{
	const struct cold_traffic *t = &s->traffic;
	double n = (double)s->traffic_n;
	char key[160];
	unsigned i;

	if (s->traffic_n == 0)
		return;
	snprintf(key, sizeof(key), "%s.connections_per_login", s->label);
	bench_result(key, (double)t->connections / n, "connections");
	snprintf(key, sizeof(key), "%s.tls_handshakes_per_login", s->label);
	bench_result(key, (double)t->tls_handshakes / n, "handshakes");
	snprintf(key, sizeof(key), "%s.requests_per_login", s->label);
	bench_result(key, (double)t->requests / n, "requests");
	for (i = 0; i < t->endpoints; i++) {
		snprintf(key, sizeof(key), "%s.requests.%s", s->label, t->name[i]);
		bench_result(key, (double)t->calls[i] / n, "requests");
	}
}

static void report_service(struct service *s)
{
	figure(s, "pam_start", s->pam_start, 1000, "ms");
	if (s->shows_qr) {
		figure(s, "to_qr", s->to_qr, 1000, "ms");
		figure(s, "approval_to_result", s->a2r, 1000, "ms");
	}
	figure(s, "cpu", s->cpu, 1000, "ms");
	figure(s, "maxrss", s->maxrss, 1, "KiB");
	report_traffic(s);
}

/* ---- 1. cold logins ---- */

static int cold_logins(const struct options *o, struct service *svc, size_t nsvc, CURL *admin,
		       struct bench_phone *phone)
{
	size_t round, k, rounds = o->warmup + o->logins;
	struct job j;

	for (round = 0; round < rounds; round++) {
		for (k = 0; k < nsvc; k++) {
			memset(&j, 0, sizeof(j));
			j.o = o;
			j.svc = &svc[(round + k) % nsvc];
			j.record = round >= o->warmup;
			j.admin = j.svc->shows_qr ? admin : NULL;
			j.phone = phone;
			if (run_login(&j) != 0)
				return -1;
			if (j.record)
				record(j.svc, &j);
		}
	}
	return 0;
}

static void report_cold(struct service *svc)
{
	/* svc: COLD_SERVICES (permit, dingtalk, dingtalk_tls, dingtalk_fleet,
	 * dingtalk_dir) */
	double load, cpu_permit, cpu_dt, cpu_tls, cpu_fleet, cpu_dir, qr_dt, qr_fleet;
	size_t n = svc[0].n, k;

	for (k = 0; k < COLD_SERVICES; k++)
		report_service(&svc[k]);
	load = p50(svc[1].pam_start, n) - p50(svc[0].pam_start, n);
	cpu_permit = p50(svc[0].cpu, n);
	cpu_dt = p50(svc[1].cpu, n);
	cpu_tls = p50(svc[2].cpu, n);
	cpu_fleet = p50(svc[3].cpu, n);
	cpu_dir = p50(svc[4].cpu, n);
	qr_dt = p50(svc[1].to_qr, n);
	qr_fleet = p50(svc[3].to_qr, n);
	bench_result("cold.module_load.p50", load / 1000, "ms");
	bench_result("cold.module_cpu.p50", (cpu_dt - cpu_permit) / 1000, "ms");
	bench_result("cold.tls_cpu.p50", (cpu_tls - cpu_dt) / 1000, "ms");
	bench_result("cold.fleet_to_qr_extra.p50", (qr_fleet - qr_dt) / 1000, "ms");
	bench_result("cold.fleet_cpu_extra.p50", (cpu_fleet - cpu_dt) / 1000, "ms");
	/* dingtalk_dir against dingtalk_tls (the same HTTPS mock): the
	 * directory's two look-ups and the app token read from its cache. */
	bench_result("cold.dir_cpu_extra.p50", (cpu_dir - cpu_tls) / 1000, "ms");
	bench_result("cold.dir_approval_extra.p50",
		     (p50(svc[4].a2r, n) - p50(svc[2].a2r, n)) / 1000, "ms");
	if (svc[1].traffic_n > 0)
		bench_result("cold.dingtalk_connections",
			     (double)svc[1].traffic.connections / (double)svc[1].traffic_n,
			     "per_login");
	if (svc[2].traffic_n > 0)
		bench_result("cold.dingtalk_tls_handshakes",
			     (double)svc[2].traffic.tls_handshakes / (double)svc[2].traffic_n,
			     "per_login");
}

/* The directory-mapped service's app token: the warm-up logins put it in
 * token_cache, so the timed logins must read it from there and never ask
 * DingTalk (which throttles apps that ask too often). Reports
 * cold.dingtalk_dir.app_token_requests_per_login; returns -1 (said) when
 * it is not 0, or when no login was counted. */
static int check_app_token(const struct service *dir)
{
	long asked = cold_traffic_app_token_requests(&dir->traffic);
	char key[160];

	if (dir->traffic_n == 0) {
		fprintf(stderr, "bench_cold: %s: no login's requests were counted\n", dir->name);
		return -1;
	}
	snprintf(key, sizeof(key), "%s.app_token_requests_per_login", dir->label);
	bench_result(key, (double)asked / (double)dir->traffic_n, "requests");
	if (asked != 0) {
		fprintf(stderr,
			"bench_cold: %s: %ld app token requests (accessToken, gettoken) in %zu "
			"timed logins, after the warm-up filled token_cache: the cache was not "
			"used (its directory's and file's owner and mode: pam_dingtalk.conf(5), "
			"token_cache; the module's log)\n",
			dir->name, asked, dir->traffic_n);
		return -1;
	}
	return 0;
}

/* ---- 2. long-poll against polling ---- */

static void *login_thread(void *arg)
{
	struct job *j = arg;

	return run_login(j) == 0 ? arg : NULL;
}

/* A seeded generator (xorshift32): the same delays on every run. */
static unsigned next_random(unsigned *state)
{
	unsigned x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static int poll_round(const struct options *o, struct service *svc, int delay_ms)
{
	static struct bench_phone phones[3]; /* one thread at a time: main's */
	struct job j[3];
	pthread_t t[3];
	void *res;
	int k, started = 0, rc = 0;

	for (k = 0; k < 3; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].o = o;
		j[k].svc = &svc[k];
		j[k].delay_ms = delay_ms;
		j[k].phone = &phones[k];
		if (bench_phone_init(j[k].phone, NULL) != 0)
			rc = -1;
	}
	for (k = 0; k < 3 && rc == 0; k++, started++)
		if (pthread_create(&t[k], NULL, login_thread, &j[k]) != 0)
			rc = -1;
	for (k = 0; k < started; k++) {
		pthread_join(t[k], &res);
		if (res == NULL)
			rc = -1;
	}
	for (k = 0; k < 3; k++) {
		if (rc == 0)
			record(&svc[k], &j[k]);
		bench_phone_cleanup(j[k].phone);
	}
	return rc;
}

static int poll_logins(const struct options *o, struct service *svc)
{
	unsigned state = o->seed != 0 ? o->seed : 17;
	size_t round;
	int delay;

	for (round = 0; round < o->poll_logins; round++) {
		delay =
		    DELAY_MIN_MS + (int)(next_random(&state) % (DELAY_MAX_MS - DELAY_MIN_MS + 1));
		if (poll_round(o, svc, delay) != 0)
			return -1;
	}
	return 0;
}

static void report_poll(struct service *svc)
{
	size_t n = svc[0].n;
	double dt, p1, p3;

	figure(&svc[0], "approval_to_result", svc[0].a2r, 1000, "ms");
	figure(&svc[1], "approval_to_result", svc[1].a2r, 1000, "ms");
	figure(&svc[2], "approval_to_result", svc[2].a2r, 1000, "ms");
	dt = p50(svc[0].a2r, n);
	p1 = p50(svc[1].a2r, n);
	p3 = p50(svc[2].a2r, n);
	/* The long-poll can answer before the phone hears back (the helper
	 * wakes the wait first): no ratio of a p50 at or below zero. */
	if (dt <= 0) {
		fprintf(stderr, "bench_cold: the long-poll's p50 is %.3f ms: no ratio\n",
			dt / 1000);
		return;
	}
	bench_result("cold.poll1_over_dingtalk.p50", p1 / dt, "ratio");
	bench_result("cold.poll3_over_dingtalk.p50", p3 / dt, "ratio");
}

/* ---- 3. callgrind ---- */

static void callgrind_path(const struct options *o, const struct service *s, int start_only,
			   char *out, size_t size)
{
	snprintf(out, size, "%s/callgrind.%s.%s.out", o->callgrind_dir, s->name,
		 start_only ? "pam_start" : "login");
}

static double callgrind_one(const struct options *o, struct service *s, int start_only,
			    struct bench_phone *phone)
{
	char out[512];
	struct job j;

	callgrind_path(o, s, start_only, out, sizeof(out));
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.svc = s;
	j.start_only = start_only;
	j.callgrind_out = out;
	j.phone = phone;
	if (run_login(&j) != 0)
		return -1;
	return callgrind_ir(out);
}

/* The TLS handshakes of the fleet login under callgrind: its DingTalk is
 * the HTTP mock, so every TLS connection is to the replica. OpenSSL makes
 * an SSL object per connection (SSL_new: the handshakes) and checks the
 * replica's chain in each full one (X509_verify_cert; a resumed session
 * skips it). None at all: this was no fleet login, and the run fails. */
static int fleet_handshakes(const struct options *o, const struct service *fleet, long *conns,
			    long *full)
{
	char out[512];

	callgrind_path(o, fleet, 0, out, sizeof(out));
	*conns = callgrind_calls(out, "SSL_new");
	*full = callgrind_calls(out, "X509_verify_cert");
	if (*conns < 1 || *full < 0) {
		fprintf(stderr, "bench_cold: %s: %s\n", out,
			*conns < 0 || *full < 0 ? "not a callgrind file"
						: "no TLS connection (SSL_new) in the fleet login");
		return -1;
	}
	return 0;
}

static int callgrind(const struct options *o, struct service *svc, struct bench_phone *phone)
{
	/* svc: permit, dingtalk, dingtalk_tls, dingtalk_fleet */
	double login[2], start[2], fleet;
	long conns, full;
	int k;

	for (k = 0; k < 2; k++) {
		login[k] = callgrind_one(o, &svc[k], 0, phone);
		start[k] = callgrind_one(o, &svc[k], 1, phone);
		if (login[k] < 0 || start[k] < 0) {
			fprintf(stderr, "bench_cold: callgrind of %s gave no instruction count\n",
				svc[k].name);
			return -1;
		}
	}
	fleet = callgrind_one(o, &svc[3], 0, phone);
	if (fleet < 0) {
		fprintf(stderr, "bench_cold: callgrind of %s gave no instruction count\n",
			svc[3].name);
		return -1;
	}
	if (fleet_handshakes(o, &svc[3], &conns, &full) != 0)
		return -1;
	bench_result("cold.callgrind.permit.Ir", login[0], "instructions");
	bench_result("cold.callgrind.dingtalk.Ir", login[1], "instructions");
	bench_result("cold.callgrind.module.Ir", login[1] - login[0], "instructions");
	bench_result("cold.callgrind.permit.pam_start.Ir", start[0], "instructions");
	bench_result("cold.callgrind.dingtalk.pam_start.Ir", start[1], "instructions");
	bench_result("cold.callgrind.module_load.Ir", start[1] - start[0], "instructions");
	bench_result("cold.callgrind.dingtalk_fleet.Ir", fleet, "instructions");
	bench_result("cold.callgrind.fleet_extra.Ir", fleet - login[1], "instructions");
	bench_result("cold.fleet_tls_handshakes", (double)conns, "per_login");
	bench_result("cold.fleet_tls_full_handshakes", (double)full, "per_login");
	return 0;
}

/* ---- main ---- */

/* child_env's array and the one entry it made. */
static void child_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], "LD_PRELOAD=", 11) == 0)
			free(env[i]); /* ours: the process's own were left out */
	free(env);
}

/* Our environment, LD_PRELOAD replaced by `preload` (the wrappers go to
 * the client only: this process is the phone, not a PAM application). */
static char **child_env(const char *preload)
{
	extern char **environ;
	size_t n = 0, k = 0, i;
	char **env, *entry;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	if (preload != NULL && preload[0] != '\0') {
		entry = malloc(strlen(preload) + 12);
		if (entry == NULL) {
			free(env);
			return NULL;
		}
		sprintf(entry, "LD_PRELOAD=%s", preload);
		env[k++] = entry;
	}
	return env;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int i, quick = bench_quick(argc, argv);

	memset(o, 0, sizeof(*o));
	o->logins = quick ? 5 : 200;
	o->warmup = quick ? 1 : 3;
	o->poll_logins = quick ? 2 : 20;
	o->child_limit_ms = CHILD_LIMIT_MS;
	for (i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--quick") == 0)
			continue;
		if (v == NULL)
			return -1;
		if (strcmp(argv[i], "--pam-once") == 0)
			o->pam_once = v;
		else if (strcmp(argv[i], "--preload") == 0)
			o->preload = v;
		else if (strcmp(argv[i], "--mock") == 0)
			o->mock = v;
		else if (strcmp(argv[i], "--tls-mock") == 0)
			o->tls_mock = v;
		else if (strcmp(argv[i], "--ca") == 0)
			o->ca = v;
		else if (strcmp(argv[i], "--valgrind") == 0)
			o->valgrind = v;
		else if (strcmp(argv[i], "--callgrind-dir") == 0)
			o->callgrind_dir = v;
		else if (strcmp(argv[i], "--logins") == 0)
			o->logins = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--poll-logins") == 0)
			o->poll_logins = strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--child-limit-ms") == 0)
			o->child_limit_ms = atoi(v);
		else if (strcmp(argv[i], "--seed") == 0)
			o->seed = (unsigned)strtoul(v, NULL, 10);
		else
			return -1;
		i++;
	}
	if (o->pam_once == NULL || o->mock == NULL || o->tls_mock == NULL || o->ca == NULL ||
	    o->logins == 0 || o->poll_logins == 0 || o->child_limit_ms <= 0 ||
	    (o->valgrind == NULL) != (o->callgrind_dir == NULL))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct service cold[COLD_SERVICES], poll[3];
	struct bench_phone phone;
	CURL *admin = NULL;
	int rc = 1, k, ready = 1;

	if (parse_options(argc, argv, &o) != 0) {
		fprintf(stderr,
			"usage: bench_cold --pam-once PATH --preload LIBS --mock URL "
			"--tls-mock URL --ca FILE [--quick] [--logins N] [--poll-logins N] "
			"[--seed N] [--child-limit-ms MS] [--valgrind PATH --callgrind-dir DIR]\n");
		return 2;
	}
	ready &= service_init(&cold[0], "permit", "cold.permit", 0, 0, o.logins) == 0;
	ready &= service_init(&cold[1], "dingtalk", "cold.dingtalk", 0, 1, o.logins) == 0;
	ready &= service_init(&cold[2], "dingtalk_tls", "cold.dingtalk_tls", 1, 1, o.logins) == 0;
	ready &=
	    service_init(&cold[3], "dingtalk_fleet", "cold.dingtalk_fleet", 0, 1, o.logins) == 0;
	ready &= service_init(&cold[4], "dingtalk_dir", "cold.dingtalk_dir", 1, 1, o.logins) == 0;
	ready &= service_init(&poll[0], "dingtalk", "cold.poll.dingtalk", 0, 1, o.poll_logins) == 0;
	ready &= service_init(&poll[1], "poll_1s", "cold.poll.poll_1s", 0, 1, o.poll_logins) == 0;
	ready &= service_init(&poll[2], "poll_3s", "cold.poll.poll_3s", 0, 1, o.poll_logins) == 0;
	memset(&phone, 0, sizeof(phone));
	if (!ready || (o.envp = child_env(o.preload)) == NULL ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (admin = curl_easy_init()) == NULL ||
	    bench_phone_init(&phone, o.ca) != 0)
		goto out;
	bench_machine();
	if (cold_logins(&o, cold, COLD_SERVICES, admin, &phone) != 0)
		goto out;
	report_cold(cold);
	if (check_app_token(&cold[4]) != 0)
		goto out;
	if (poll_logins(&o, poll) != 0)
		goto out;
	report_poll(poll);
	if (o.callgrind_dir != NULL && callgrind(&o, cold, &phone) != 0)
		goto out;
	rc = 0;
out:
	bench_phone_cleanup(&phone);
	child_env_free(o.envp);
	if (admin != NULL)
		curl_easy_cleanup(admin);
	curl_global_cleanup();
	for (k = 0; k < COLD_SERVICES; k++)
		service_free(&cold[k]);
	for (k = 0; k < 3; k++)
		service_free(&poll[k]);
	return rc;
}
