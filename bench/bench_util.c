#include "config.h"

#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p% of them at or below. */
static double rank(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)((p / 100.0) * (double)n + 0.999999);

	if (i == 0)
		i = 1;
	return sorted[(i > n ? n : i) - 1];
}

void bench_summarize(double *v, size_t n, struct bench_stats *out)
{
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	*out = (struct bench_stats){
	    .n = n,
	    .min = v[0],
	    .p50 = rank(v, n, 50),
	    .p99 = rank(v, n, 99),
	    .max = v[n - 1],
	    .mean = sum / (double)n,
	};
}

void bench_result(const char *name, double value, const char *unit)
{
	printf("bench %s %.3f %s\n", name, value, unit);
	fflush(stdout);
}

void bench_result_stats(const char *name, const struct bench_stats *s, double scale,
			const char *unit)
{
	char key[128];

	snprintf(key, sizeof(key), "%s.p50", name);
	bench_result(key, s->p50 / scale, unit);
	snprintf(key, sizeof(key), "%s.p99", name);
	bench_result(key, s->p99 / scale, unit);
	snprintf(key, sizeof(key), "%s.max", name);
	bench_result(key, s->max / scale, unit);
	snprintf(key, sizeof(key), "%s.samples", name);
	bench_result(key, (double)s->n, "count");
}

static void print_cpu_model(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512], *colon;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				colon += strspn(colon + 1, " \t") + 1;
				printf("machine cpu %s", colon);
				fclose(f);
				return;
			}
		}
		fclose(f);
	}
	printf("machine cpu unknown\n");
}

void bench_machine(void)
{
	struct utsname u;

	print_cpu_model();
	printf("machine cores %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	if (uname(&u) == 0)
		printf("machine kernel %s %s %s\n", u.sysname, u.release, u.machine);
#if defined(__clang__)
	printf("machine compiler clang %s\n", __clang_version__);
#elif defined(__GNUC__)
	printf("machine compiler gcc %s\n", __VERSION__);
#endif
	fflush(stdout);
}

long bench_peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

long bench_status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(key);
	char line[256];
	long kib = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			kib = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

long bench_rss_kib(void)
{
	return bench_status_kib("VmRSS");
}

int bench_quick(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick") == 0)
			return 1;
	return 0;
}
