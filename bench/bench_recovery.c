/* What a recovery code costs the module while DingTalk is down: each of
 * the user's stored codes is a PBKDF2-SHA256 hash of 10,000 iterations,
 * and a typed code is hashed against each until one matches. Timed through
 * dt_recovery_use, the module's own path (flock, read with the owner and
 * mode checks, check, and for a right code the fsync'd rewrite), for a
 * user with 1, 10 and 50 (DT_RECOVERY_MAX_COUNT) codes in a file that also
 * holds 20 other users' codes:
 *   wrong: a wrong code, hashed against every code (the worst case, and
 *          what a guesser costs the host per attempt);
 *   right_last: the user's last code, spent (every hash plus the rewrite).
 * Milliseconds per check. The file is the running user's own (root's as
 * root, as in production), which the module trusts either way.
 * Usage: bench_recovery [--quick]. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "access/recovery.h"
#include "access/recovery_store.h"
#include "base/util.h"

#define OTHERS	      20
#define OTHER_CODES   10
#define WRONG_CODE    "zzzz-zzzz-zzzz-zzzz"
#define MAX_CODES     DT_RECOVERY_MAX_COUNT
#define HASH_LINE_MAX 160

struct load {
	unsigned codes, checks, quick_checks;
};

static const struct load loads[] = {
    {.codes = 1, .checks = 40, .quick_checks = 2},
    {.codes = 10, .checks = 20, .quick_checks = 1},
    {.codes = MAX_CODES, .checks = 6, .quick_checks = 1},
};

struct fixture {
	char codes[MAX_CODES][DT_RECOVERY_CODE_SIZE];
	char *text; /* other users' lines, then alice's MAX_CODES lines */
	size_t others_len;
	size_t line_len[MAX_CODES];
};

static int add_line(struct fixture *fx, size_t *len, size_t cap, const char *user,
		    char code[DT_RECOVERY_CODE_SIZE])
{
	struct dt_err err = {0};
	char *hash;
	int n;

	if (dt_recovery_new_code(code, &err) < 0 || (hash = dt_recovery_hash(code, &err)) == NULL) {
		fprintf(stderr, "bench_recovery: %s\n", err.msg);
		return -1;
	}
	n = snprintf(fx->text + *len, cap - *len, "%s %s\n", user, hash);
	free(hash);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return n;
}

/* Hashing is the slow part: done once, the file is rewritten from it. */
static int make_fixture(struct fixture *fx)
{
	size_t cap = (OTHERS * OTHER_CODES + MAX_CODES) * HASH_LINE_MAX + 64, len = 0;
	char scratch[DT_RECOVERY_CODE_SIZE], user[32];
	unsigned u, c;
	int n;

	fx->text = calloc(1, cap);
	if (fx->text == NULL)
		return -1;
	len = (size_t)snprintf(fx->text, cap, "# user  hash\n");
	for (u = 0; u < OTHERS; u++)
		for (c = 0; c < OTHER_CODES; c++) {
			snprintf(user, sizeof(user), "oncall%02u", u);
			if (add_line(fx, &len, cap, user, scratch) < 0)
				return -1;
		}
	fx->others_len = len;
	for (c = 0; c < MAX_CODES; c++) {
		if ((n = add_line(fx, &len, cap, "alice", fx->codes[c])) < 0)
			return -1;
		fx->line_len[c] = (size_t)n;
	}
	return 0;
}

/* The file with the other users and alice's first `codes` codes. */
static int write_file(const char *path, const struct fixture *fx, unsigned codes)
{
	size_t len = fx->others_len, c;
	FILE *f;

	for (c = 0; c < codes; c++)
		len += fx->line_len[c];
	unlink(path);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (fchmod(fileno(f), 0600) != 0 || fwrite(fx->text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int check(const char *path, const char *code, int want_accepted, double *ms)
{
	struct dt_err err = {0};
	unsigned left = 0;
	int accepted = 0;
	double t0 = bench_now_us();

	if (dt_recovery_use(path, "alice", code, &accepted, &left, &err) < 0) {
		fprintf(stderr, "bench_recovery: %s\n", err.msg);
		return -1;
	}
	*ms = (bench_now_us() - t0) / 1000.0;
	if (accepted != want_accepted) {
		fprintf(stderr, "bench_recovery: code %s, wanted %s\n",
			accepted ? "accepted" : "refused", want_accepted ? "accepted" : "refused");
		return -1;
	}
	return 0;
}

static int bench_load(const char *path, const struct fixture *fx, const struct load *ld, int quick)
{
	size_t n = quick ? ld->quick_checks : ld->checks, i;
	double *wrong = calloc(n, sizeof(double)), *right = calloc(n, sizeof(double));
	struct bench_stats s;
	char name[64];
	int rc = -1;

	if (wrong == NULL || right == NULL || write_file(path, fx, ld->codes) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (check(path, WRONG_CODE, 0, &wrong[i]) < 0)
			goto out;
	for (i = 0; i < n; i++)
		if (write_file(path, fx, ld->codes) < 0 ||
		    check(path, fx->codes[ld->codes - 1], 1, &right[i]) < 0)
			goto out;
	bench_summarize(wrong, n, &s);
	snprintf(name, sizeof(name), "recovery.wrong.%u_codes", ld->codes);
	bench_result_stats(name, &s, 1, "ms");
	bench_summarize(right, n, &s);
	snprintf(name, sizeof(name), "recovery.right_last.%u_codes", ld->codes);
	bench_result_stats(name, &s, 1, "ms");
	rc = 0;
out:
	free(wrong);
	free(right);
	return rc;
}

int main(int argc, char **argv)
{
	int quick = bench_quick(argc, argv), rc = 0;
	const char *tmp = getenv("TMPDIR");
	struct fixture *fx = calloc(1, sizeof(*fx));
	char dir[512], path[600], other[700];
	static const char *const leftovers[] = {"", ".lock", ".bak", ".tmp"};
	size_t i;

	snprintf(dir, sizeof(dir), "%s/bench-recovery.XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (fx == NULL || mkdtemp(dir) == NULL) {
		perror("bench_recovery");
		free(fx);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/recovery", dir);
	bench_machine();
	if (make_fixture(fx) < 0)
		rc = 1;
	for (i = 0; rc == 0 && i < sizeof(loads) / sizeof(loads[0]); i++)
		if (bench_load(path, fx, &loads[i], quick) < 0)
			rc = 1;
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(other, sizeof(other), "%s%s", path, leftovers[i]);
		unlink(other);
	}
	rmdir(dir);
	if (fx->text != NULL)
		dt_free_secret(fx->text);
	free(fx);
	if (rc != 0)
		fprintf(stderr, "bench_recovery: a check failed\n");
	return rc;
}
