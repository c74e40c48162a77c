/* The map file lookup the module makes at every login: dt_map_match_file
 * (open with the owner and mode checks, read, scan every line, since
 * several lines for one identity add up) on maps of 1,000, 10,000 and
 * 100,000 lines, and dt_map_match_text on the largest (the scan alone,
 * without the file). Microseconds per lookup; from the largest map's p99
 * it derives how many lines stay below 1 ms.
 * The map is the running user's own (root's as root, as in production),
 * which the module trusts either way.
 * Usage: bench_map [--quick]. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "access/mapfile.h"

#define ID_LEN 22 /* a unionId: z21HjQliSzpw0YxxxxiEiE */

struct size {
	unsigned lines, lookups, quick_lookups;
};

static const struct size sizes[] = {
    {.lines = 1000, .lookups = 2000, .quick_lookups = 20},
    {.lines = 10000, .lookups = 1000, .quick_lookups = 10},
    {.lines = 100000, .lookups = 100, .quick_lookups = 3},
};

/* The unionId of line i: base62, unique per line, reproducible. */
static void union_id(unsigned i, char out[ID_LEN + 1])
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned long long x = 0x9E3779B97F4A7C15ULL * (i + 1ULL);
	size_t k;

	for (k = 0; k < ID_LEN; k++) {
		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9ULL;
		out[k] = b62[(x >> 32) % 62];
	}
	/* The line number in the last characters keeps every id unique. */
	snprintf(out + ID_LEN - 8, 9, "%08u", i);
}

/* A map of `lines` entries, one in ten with a second account, and a
 * comment now and then, as an administrator's file looks. */
static int write_map(const char *path, unsigned lines, size_t *bytes)
{
	FILE *f = fopen(path, "w");
	char id[ID_LEN + 1];
	unsigned i;
	long end;

	if (f == NULL)
		return -1;
	fprintf(f, "# unionId  local accounts\n");
	for (i = 0; i < lines; i++) {
		if (i % 500 == 0)
			fprintf(f, "# team %u\n", i / 500);
		union_id(i, id);
		if (i % 10 == 0)
			fprintf(f, "%s\tu%06u u%06u-admin\n", id, i, i);
		else
			fprintf(f, "%s\tu%06u\n", id, i);
	}
	end = ftell(f);
	if (fclose(f) != 0 || end < 0 || chmod(path, 0644) != 0)
		return -1;
	*bytes = (size_t)end;
	return 0;
}

static int lookup_file(const char *path, const char *id, const char *user)
{
	struct dt_map_result r;
	struct dt_err err = {0};

	if (dt_map_match_file(path, id, user, &r, &err) < 0) {
		fprintf(stderr, "bench_map: %s\n", err.msg);
		return -1;
	}
	return r.allowed ? 0 : -1;
}

static int bench_size(const char *dir, const struct size *sz, int quick, double *per_line_p99)
{
	size_t n = quick ? sz->quick_lookups : sz->lookups, i, bytes = 0;
	double *samples = calloc(n, sizeof(*samples)), t0;
	char path[512], id[ID_LEN + 1], user[32], name[64];
	struct bench_stats s;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/map-%u", dir, sz->lines);
	/* The last person in the file: the worst case if the scan stopped
	 * early (it does not: every line is read). */
	union_id(sz->lines - 1, id);
	snprintf(user, sizeof(user), "u%06u", sz->lines - 1);
	if (samples == NULL || write_map(path, sz->lines, &bytes) < 0)
		goto out;
	if (lookup_file(path, id, user) < 0) /* warm: the page cache, as on a busy host */
		goto out;
	for (i = 0; i < n; i++) {
		t0 = bench_now_us();
		if (lookup_file(path, id, user) < 0)
			goto out;
		samples[i] = bench_now_us() - t0;
	}
	bench_summarize(samples, n, &s);
	snprintf(name, sizeof(name), "map.match_file.%u_lines", sz->lines);
	bench_result_stats(name, &s, 1, "us");
	snprintf(name, sizeof(name), "map.file_bytes.%u_lines", sz->lines);
	bench_result(name, (double)bytes, "bytes");
	*per_line_p99 = s.p99 / sz->lines;
	rc = 0;
out:
	unlink(path);
	free(samples);
	return rc;
}

/* The scan alone on the largest map (no open, no read, no checks). */
static int bench_text(const char *dir, const struct size *sz, int quick)
{
	size_t n = quick ? sz->quick_lookups : sz->lookups, i, len = 0;
	double *samples = calloc(n, sizeof(*samples)), t0;
	char path[512], id[ID_LEN + 1], user[32], name[64], *text = NULL;
	struct dt_map_result r;
	struct dt_err err = {0};
	struct bench_stats s;
	FILE *f;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/map-text", dir);
	union_id(sz->lines - 1, id);
	snprintf(user, sizeof(user), "u%06u", sz->lines - 1);
	if (samples == NULL || write_map(path, sz->lines, &len) < 0 ||
	    (text = malloc(len)) == NULL || (f = fopen(path, "r")) == NULL)
		goto out;
	len = fread(text, 1, len, f);
	fclose(f);
	for (i = 0; i < n; i++) {
		t0 = bench_now_us();
		if (dt_map_match_text(text, len, path, id, user, &r, &err) < 0 || !r.allowed)
			goto out;
		samples[i] = bench_now_us() - t0;
	}
	bench_summarize(samples, n, &s);
	snprintf(name, sizeof(name), "map.match_text.%u_lines", sz->lines);
	bench_result_stats(name, &s, 1, "us");
	rc = 0;
out:
	unlink(path);
	free(text);
	free(samples);
	return rc;
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), rc = 0;
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	double per_line = 0;
	size_t i, last = sizeof(sizes) / sizeof(sizes[0]) - 1;

	snprintf(dir, sizeof(dir), "%s/bench-map.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0) {
		perror("bench_map: mkdtemp");
		return 1;
	}
	bench_machine();
	for (i = 0; i <= last && rc == 0; i++)
		rc = bench_size(dir, &sizes[i], quick, &per_line);
	if (rc == 0)
		rc = bench_text(dir, &sizes[last], quick);
	if (rc == 0)
		bench_result("map.lines_under_1ms", 1000.0 / per_line, "lines");
	rmdir(dir);
	if (rc != 0)
		fprintf(stderr, "bench_map: a lookup failed\n");
	return rc != 0;
}
