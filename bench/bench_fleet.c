/* bench_fleet: the load generator of a fleet (BENCHMARKS.md, "Fleet").
 * It plays many hosts, each signing with its own key, against the
 * replicas of one or more services that bench/run_fleet started:
 *
 *   bench_fleet keys N FILE       writes N host keys as a host_keys file
 *   bench_fleet ports N           prints N free loopback TCP ports
 *   bench_fleet run --mode fleet|compare|pending --keys FILE
 *       --target NAME --replica CONTROL PUBLIC [--replica ...] [--target ...]
 *       [--proc NAME PID]... [--redis HOST:PORT] [--rate N] [--duration S]
 *       [--waiters 1|2] [--no-confirm] [--phone-delay MS] [--sessions N]
 *       [--ttl S] [--wait S] [--hold S] [--cacert FILE] [--no-reuse] [--quick]
 *
 * CONTROL is a replica's control API (http(s)://HOST:PORT, signed as the
 * login's host, or unix:PATH), PUBLIC its public listener; a target's
 * replicas share one store. --rate logins/s for --duration s (50, 60);
 * --waiters 2 races a second wait on another replica; --phone-delay ms
 * after the registration the phone opens the link (200); --wait the
 * long-poll's timeout (25); --ttl the sessions' (120); --sessions the
 * pending count (10,000), --hold seconds they stay; --proc processes whose
 * CPU and RSS are read from /proc; --redis the Redis whose used_memory
 * is read; --cacert the CA of https bases; --no-reuse a new connection per
 * request; --quick a few seconds (CI).
 *
 * fleet: logins at a fixed rate for a duration on the first target;
 * compare: the same, each login on the next target in turn (the single
 * host's memory store and the fleet, side by side); pending: --sessions
 * sessions registered and left pending, memory measured, then cancelled.
 * Results are "bench NAME VALUE UNIT" lines. The exit status is 1 when the
 * run broke (a login lost, released twice, failed or hung; a replica gone),
 * never because of a figure. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"
#include "fleet_http.h"
#include "fleet_keys.h"
#include "fleet_login.h"
#include "fleet_pending.h"
#include "fleet_proc.h"

#define TARGETS_MAX 4
#define PROCS_MAX   8

struct proc {
	const char *name;
	pid_t pid;
	struct fleet_proc_sample before, after;
};

struct run {
	const char *mode, *keys, *redis_host, *ca_file;
	int redis_port;
	struct fleet_target targets[TARGETS_MAX];
	unsigned ntargets;
	struct proc procs[PROCS_MAX];
	unsigned nprocs;
	double rate, duration_s;
	unsigned sessions;
	unsigned hold_s; /* pending: seconds the sessions stay before the cancel */
	int no_reuse;	 /* a new connection for every request */
	struct fleet_opts opts;
};

static int usage(void)
{
	fprintf(stderr,
		"usage: bench_fleet keys N FILE | ports N | run --mode fleet|compare|pending "
		"--keys FILE --target NAME --replica CONTROL PUBLIC ... (see bench_fleet.c)\n");
	return 2;
}

/* Binds every port before printing any, so that they differ. */
static int cmd_ports(unsigned n)
{
	int fds[64];
	unsigned i;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);

	if (n == 0 || n > 64)
		return usage();
	for (i = 0; i < n; i++) {
		sa.sin_port = 0;
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &len) != 0) {
			perror("bench_fleet: ports");
			return 1;
		}
		printf("%u\n", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static int parse_run(int argc, char **argv, struct run *r)
{
	struct fleet_target *t = NULL;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		int more = argc - i - 1;

		if (strcmp(a, "--quick") == 0) {
			r->rate = 20;
			r->duration_s = 2;
			r->sessions = 200;
			r->opts.wait_s = 10;
			r->opts.ttl_s = 30;
		} else if (strcmp(a, "--no-reuse") == 0) {
			r->no_reuse = 1;
		} else if (strcmp(a, "--no-confirm") == 0) {
			r->opts.confirm = 0;
		} else if (strcmp(a, "--mode") == 0 && more >= 1) {
			r->mode = argv[++i];
		} else if (strcmp(a, "--cacert") == 0 && more >= 1) {
			r->ca_file = argv[++i];
		} else if (strcmp(a, "--keys") == 0 && more >= 1) {
			r->keys = argv[++i];
		} else if (strcmp(a, "--target") == 0 && more >= 1 && r->ntargets < TARGETS_MAX) {
			t = &r->targets[r->ntargets++];
			t->name = argv[++i];
		} else if (strcmp(a, "--replica") == 0 && more >= 2 && t != NULL &&
			   t->n < FLEET_REPLICAS_MAX) {
			t->rep[t->n].control = argv[++i];
			t->rep[t->n++].public_base = argv[++i];
		} else if (strcmp(a, "--proc") == 0 && more >= 2 && r->nprocs < PROCS_MAX) {
			r->procs[r->nprocs].name = argv[++i];
			r->procs[r->nprocs++].pid = (pid_t)atol(argv[++i]);
		} else if (strcmp(a, "--redis") == 0 && more >= 1) {
			static char host[64];
			const char *colon = strrchr(argv[++i], ':');

			if (colon == NULL || (size_t)(colon - argv[i]) >= sizeof(host))
				return -1;
			memcpy(host, argv[i], (size_t)(colon - argv[i]));
			host[colon - argv[i]] = '\0';
			r->redis_host = host;
			r->redis_port = atoi(colon + 1);
		} else if (strcmp(a, "--rate") == 0 && more >= 1) {
			r->rate = atof(argv[++i]);
		} else if (strcmp(a, "--duration") == 0 && more >= 1) {
			r->duration_s = atof(argv[++i]);
		} else if (strcmp(a, "--sessions") == 0 && more >= 1) {
			r->sessions = (unsigned)atol(argv[++i]);
		} else if (strcmp(a, "--waiters") == 0 && more >= 1) {
			r->opts.waiters = (unsigned)atol(argv[++i]);
		} else if (strcmp(a, "--phone-delay") == 0 && more >= 1) {
			r->opts.phone_delay_ms = (unsigned)atol(argv[++i]);
		} else if (strcmp(a, "--hold") == 0 && more >= 1) {
			r->hold_s = (unsigned)atol(argv[++i]);
		} else if (strcmp(a, "--wait") == 0 && more >= 1) {
			r->opts.wait_s = (unsigned)atol(argv[++i]);
		} else if (strcmp(a, "--ttl") == 0 && more >= 1) {
			r->opts.ttl_s = (unsigned)atol(argv[++i]);
		} else {
			fprintf(stderr, "bench_fleet: bad argument '%s'\n", a);
			return -1;
		}
	}
	if (r->mode == NULL || r->keys == NULL || r->ntargets == 0 || r->rate <= 0 ||
	    r->duration_s <= 0 || r->opts.waiters < 1 || r->opts.waiters > 2 ||
	    r->opts.wait_s < 1 || r->opts.wait_s > 30)
		return -1;
	for (i = 0; i < (int)r->ntargets; i++)
		if (r->targets[i].n == 0)
			return -1;
	return 0;
}

static void sample_procs(struct run *r, int after)
{
	unsigned i;

	for (i = 0; i < r->nprocs; i++) {
		struct proc *p = &r->procs[i];

		if (fleet_proc_sample(p->pid, after ? &p->after : &p->before) != 0)
			fprintf(stderr, "bench_fleet: process %s (%ld) cannot be read\n", p->name,
				(long)p->pid);
	}
}

static void report_procs(const struct run *r, const char *prefix, double wall_s)
{
	char name[128];
	unsigned i;

	for (i = 0; i < r->nprocs; i++) {
		const struct proc *p = &r->procs[i];
		double cpu = p->after.cpu_s - p->before.cpu_s;

		snprintf(name, sizeof(name), "%s.cpu.%s", prefix, p->name);
		bench_result(name, cpu, "s");
		snprintf(name, sizeof(name), "%s.cpu_pct.%s", prefix, p->name);
		bench_result(name, 100.0 * cpu / wall_s, "%");
		snprintf(name, sizeof(name), "%s.rss.%s", prefix, p->name);
		bench_result(name, (double)p->after.rss_kib, "KiB");
		snprintf(name, sizeof(name), "%s.rss_peak.%s", prefix, p->name);
		bench_result(name, (double)p->after.peak_kib, "KiB");
	}
}

static void report_samples(const char *prefix, const char *what, struct fleet_samples *s)
{
	struct bench_stats st;
	char name[128];

	snprintf(name, sizeof(name), "%s.%s", prefix, what);
	if (s->n == 0) {
		bench_result(name, 0, "samples");
		return;
	}
	bench_summarize(s->v, s->n, &st);
	bench_result_stats(name, &st, 1000.0, "ms");
}

/* The counts and times of one target; 0 when nothing went wrong. */
static int report_target(struct fleet_target *t, const char *prefix)
{
	const struct fleet_counts *c = &t->counts;
	char name[128];
	int bad;

#define COUNT(field)                                                                               \
	do {                                                                                       \
		snprintf(name, sizeof(name), "%s." #field, prefix);                                \
		bench_result(name, c->field, "logins");                                            \
	} while (0)
	COUNT(started);
	COUNT(released);
	COUNT(lost);
	COUNT(doubled);
	COUNT(wrong);
	COUNT(replay_accepted);
	COUNT(failed);
	COUNT(hung);
	COUNT(early);
#undef COUNT
	report_samples(prefix, "register", &t->reg);
	report_samples(prefix, "wakeup", &t->wakeup);
	report_samples(prefix, "approval_to_result", &t->approval);
	bad = c->lost || c->doubled || c->wrong || c->replay_accepted || c->failed || c->hung ||
	      c->released != c->started;
	if (bad)
		fprintf(stderr, "bench_fleet: %s: %u of %u logins did not end with one release\n",
			t->name, c->started - c->released, c->started);
	return bad;
}

/* Logins at r->rate for r->duration_s, target after target in turn. */
static void drive_logins(struct run *r, struct fleet_driver *d)
{
	unsigned total = (unsigned)(r->rate * r->duration_s + 0.5), started = 0;
	double interval = 1e6 / r->rate, t0 = bench_now_us();
	double hard = t0 + (r->duration_s + r->opts.wait_s + r->opts.ttl_s + 5) * 1e6;
	double now, next_phone, next_start, wait;

	for (;;) {
		now = bench_now_us();
		while (started < total && now >= t0 + started * interval) {
			if (fleet_login_start(d, &r->targets[started % r->ntargets]) != 0)
				fleet_complain(d, "a login could not start");
			started++;
		}
		next_phone = fleet_driver_phones(d, now);
		if (started >= total && d->live == 0)
			return;
		if (now > hard) {
			fleet_driver_abandon(d);
			return;
		}
		next_start = started < total ? t0 + started * interval - now : 1e9;
		wait = (next_phone < next_start ? next_phone : next_start) / 1000.0;
		fleet_http_step(d->http, wait < 0 ? 0 : wait > 20 ? 20 : (int)wait);
	}
}

static int mode_logins(struct run *r, struct fleet_driver *d, int compare)
{
	char prefix[96];
	double t0, wall;
	unsigned i;
	int bad = 0;

	sample_procs(r, 0);
	t0 = bench_now_us();
	drive_logins(r, d);
	wall = (bench_now_us() - t0) / 1e6;
	sample_procs(r, 1);
	bench_result(compare ? "fleet.compare.rate" : "fleet.rate",
		     (double)d->seq / (r->duration_s > 0 ? r->duration_s : 1), "logins/s");
	for (i = 0; i < r->ntargets; i++) {
		if (compare)
			snprintf(prefix, sizeof(prefix), "fleet.compare.%s", r->targets[i].name);
		else
			snprintf(prefix, sizeof(prefix), "fleet");
		bad |= report_target(&r->targets[i], prefix);
	}
	report_procs(r, compare ? "fleet.compare" : "fleet", wall);
	return bad;
}

/* The RSS of each process and Redis's used_memory, as "NAME.rss.PROC". */
static void report_memory(struct run *r, const char *prefix, const char *stage,
			  long long *redis_bytes)
{
	char name[160];
	unsigned i;

	usleep(300000); /* connections close a moment after their last answer */
	sample_procs(r, 1);
	for (i = 0; i < r->nprocs; i++) {
		snprintf(name, sizeof(name), "%s.%s.rss.%s", prefix, stage, r->procs[i].name);
		bench_result(name, (double)r->procs[i].after.rss_kib, "KiB");
	}
	*redis_bytes = r->redis_host ? fleet_redis_used_memory(r->redis_host, r->redis_port) : -1;
	if (*redis_bytes >= 0) {
		snprintf(name, sizeof(name), "%s.%s.redis_used_memory", prefix, stage);
		bench_result(name, (double)*redis_bytes, "bytes");
	}
}

static int mode_pending(struct run *r, struct fleet_driver *d)
{
	struct fleet_target *t = &r->targets[0];
	struct fleet_pending p;
	long long before, during, after;
	char prefix[96], name[160];
	int bad;

	snprintf(prefix, sizeof(prefix), "fleet.pending.%s", t->name);
	report_memory(r, prefix, "before", &before);
	bad = fleet_pending_register(d, t, r->sessions, &p) != 0;
	snprintf(name, sizeof(name), "%s.sessions", prefix);
	bench_result(name, p.registered, "sessions");
	snprintf(name, sizeof(name), "%s.register_rate", prefix);
	bench_result(name, p.registered / (p.elapsed_us / 1e6), "sessions/s");
	report_memory(r, prefix, "held", &during);
	if (before >= 0 && during >= 0 && p.registered > 0) {
		snprintf(name, sizeof(name), "%s.redis_bytes_per_session", prefix);
		bench_result(name, (double)(during - before) / p.registered, "bytes");
	}
	if (r->hold_s > 0) /* to look at Redis's keys meanwhile */
		sleep(r->hold_s);
	bad |= fleet_pending_cancel(d, t, &p) != 0;
	report_memory(r, prefix, "cancelled", &after);
	fleet_pending_free(&p);
	return bad;
}

static int cmd_run(int argc, char **argv)
{
	struct run r = {
	    .rate = 50,
	    .duration_s = 60,
	    .sessions = 10000,
	    .opts = {.waiters = 2, .confirm = 1, .phone_delay_ms = 200, .ttl_s = 120, .wait_s = 25},
	};
	struct fleet_host *hosts = NULL;
	struct fleet_driver d = {0};
	unsigned i;
	int n, bad;

	if (parse_run(argc, argv, &r) != 0)
		return usage();
	n = fleet_keys_read(r.keys, &hosts);
	if (n < 0)
		return 1;
	d.hosts = hosts;
	d.nhosts = (unsigned)n;
	d.opts = r.opts;
	d.http = fleet_http_new(r.ca_file, r.no_reuse);
	if (d.http == NULL)
		return 1;
	bench_machine();
	bench_result("fleet.hosts", n, "hosts");
	if (strcmp(r.mode, "pending") == 0)
		bad = mode_pending(&r, &d);
	else if (strcmp(r.mode, "fleet") == 0 || strcmp(r.mode, "compare") == 0)
		bad = mode_logins(&r, &d, strcmp(r.mode, "compare") == 0);
	else
		bad = usage();
	fleet_http_free(d.http);
	fleet_keys_free(hosts, (unsigned)n);
	for (i = 0; i < r.ntargets; i++) {
		free(r.targets[i].wakeup.v);
		free(r.targets[i].approval.v);
		free(r.targets[i].reg.v);
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "keys") == 0)
		return fleet_keys_write(argv[3], (unsigned)atol(argv[2])) == 0 ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "ports") == 0)
		return cmd_ports((unsigned)atol(argv[2]));
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	return usage();
}
