/* The resource-limit guard (contract in rlimit_guard.h).
 *
 * Which limits, and why. A limit belongs in the table when running into it
 * makes one of the module's own operations fail with an error it would
 * report as "cannot reach the helper or DingTalk" (a failed socket, open,
 * allocation, thread or write), because that error is where the break-glass
 * paths begin. A limit whose excess kills the process is left alone: a
 * dead su is a failed login, never PAM_AUTHINFO_UNAVAIL.
 *
 *   RLIMIT_NOFILE  the helper's and DingTalk's sockets, ca_file, the
 *                  configuration, the map, libcurl's resolver. A new
 *                  descriptor takes the lowest free number, and fails once
 *                  that reaches the limit, so the limit must clear what is
 *                  already open: su passes on every descriptor its caller
 *                  left open, and a caller can hold all but two below the
 *                  limit. Raised to the highest open descriptor plus
 *                  NOFILE_HEADROOM, at least 1024, not to infinity: the
 *                  kernel refuses a hard limit above /proc/sys/fs/nr_open.
 *   RLIMIT_AS      every allocation, libcurl's and OpenSSL's included, and
 *   RLIMIT_DATA    the resolver thread's stack mapping: no floor but
 *                  unlimited makes sense.
 *   RLIMIT_STACK   the main thread's stack grows against the soft limit at
 *                  the time of the fault; 8 MiB is the usual default.
 *                  (Thread stacks were sized from it when the program
 *                  started and do not change: a crash there kills su.)
 *   RLIMIT_FSIZE   the token cache, the recovery file (a used code is
 *                  struck out by rewriting it), preference files: a caller
 *                  who ignores SIGXFSZ turns the excess into EFBIG.
 *   RLIMIT_NPROC   libcurl's threaded resolver starts a thread per lookup,
 *                  counted against all of the real user's processes. The
 *                  kernel exempts holders of CAP_SYS_RESOURCE; without it
 *                  raising the soft limit to the hard one is what helps.
 *
 * Each is raised to its target for soft and hard when the kernel allows
 * (root with CAP_SYS_RESOURCE; NOFILE's target is far below nr_open), or
 * else its soft limit to the hard one. Nothing is ever lowered.
 *
 * Left alone: RLIMIT_CPU and RLIMIT_RTTIME (the excess kills), RLIMIT_CORE
 * (only whether a core is written, and setuid programs write none),
 * RLIMIT_MEMLOCK (the module locks no memory), RLIMIT_SIGPENDING,
 * RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO and RLIMIT_LOCKS (not used,
 * or no longer enforced). */
#include "config.h"

#include "rlimit_guard.h"

#include <dirent.h>
#include <stddef.h>
#include <stdlib.h>

/* glibc's getrlimit and setrlimit take an enum under _GNU_SOURCE, an int
 * otherwise; clang's -Wsign-conversion tells the two apart. */
#ifdef __USE_GNU
typedef __rlimit_resource_t resource_t;
#else
typedef int resource_t;
#endif

/* `target`: what the guard raises the limit to (soft and hard), when the
 * kernel lets it. `floor`: what the login needs at the least; a limit left
 * below it is reported, and su and sudo then refuse the login. */
struct floor {
	resource_t resource;
	const char *name;
	rlim_t target;
	rlim_t floor;
};

/* Descriptors a login needs beyond those open when it starts. */
#define NOFILE_HEADROOM 256
#define NOFILE_MIN	1024
/* RLIMIT_NOFILE's target and floor are computed (nofile_needed). */
#define COMPUTED 0

static const struct floor floors[PAM_DT_RLIMITS] = {
    {RLIMIT_NOFILE, "RLIMIT_NOFILE", COMPUTED, COMPUTED},
    {RLIMIT_AS, "RLIMIT_AS", RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_DATA, "RLIMIT_DATA", RLIM_INFINITY, RLIM_INFINITY},
    {RLIMIT_STACK, "RLIMIT_STACK", 8 * 1024 * 1024, 8 * 1024 * 1024},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE", RLIM_INFINITY, RLIM_INFINITY},
    /* The count is of all the real user's processes, so no number is
     * enough: as high as the kernel allows, no floor. */
    {RLIMIT_NPROC, "RLIMIT_NPROC", RLIM_INFINITY, 0},
};

/* RLIM_INFINITY is the largest rlim_t, so plain comparison orders it. */
static rlim_t at_least(rlim_t value, rlim_t floor)
{
	return value >= floor ? value : floor;
}

static rlim_t at_most(rlim_t value, rlim_t ceiling)
{
	return value <= ceiling ? value : ceiling;
}

/* The highest descriptor open in this process, from /proc/self/fd; when
 * it cannot be read (no /proc, or no descriptor left to read it with), the
 * soft limit itself, as if every descriptor below it were taken. */
static rlim_t highest_open_fd(rlim_t soft)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long highest = -1, fd;
	char *end;

	if (d == NULL)
		return soft;
	while ((e = readdir(d)) != NULL) {
		fd = strtol(e->d_name, &end, 10);
		if (end != e->d_name && *end == '\0' && fd > highest)
			highest = fd;
	}
	closedir(d);
	return highest < 0 ? 0 : (rlim_t)highest;
}

static rlim_t nofile_needed(rlim_t soft)
{
	rlim_t highest = highest_open_fd(soft);

	if (highest == RLIM_INFINITY || highest > RLIM_INFINITY - NOFILE_HEADROOM - 1)
		return RLIM_INFINITY;
	return at_least(highest + 1 + NOFILE_HEADROOM, NOFILE_MIN);
}

/* Raises one limit towards its target; 0 when it is at its floor after. */
static int raise_one(const struct floor *f, struct rlimit *saved, unsigned char *changed)
{
	struct rlimit want;
	rlim_t target = f->target, floor = f->floor;

	*changed = 0;
	if (getrlimit(f->resource, saved) != 0)
		return -1;
	if (f->resource == RLIMIT_NOFILE)
		target = floor = nofile_needed(saved->rlim_cur);
	if (saved->rlim_cur >= target && saved->rlim_max >= target)
		return 0;
	want.rlim_cur = at_least(saved->rlim_cur, target);
	want.rlim_max = at_least(saved->rlim_max, want.rlim_cur);
	if (setrlimit(f->resource, &want) == 0) {
		*changed = 1;
		return 0;
	}
	/* Without CAP_SYS_RESOURCE (a container, a bounding set without it)
	 * the hard limit stays: the soft one can still go up to it. */
	want.rlim_max = saved->rlim_max;
	want.rlim_cur = at_least(saved->rlim_cur, at_most(target, saved->rlim_max));
	if (want.rlim_cur != saved->rlim_cur && setrlimit(f->resource, &want) == 0)
		*changed = 1;
	else
		want.rlim_cur = saved->rlim_cur;
	return want.rlim_cur >= floor ? 0 : -1;
}

const char *pam_dt_rlimit_raise(struct pam_dt_rlimits *saved)
{
	const char *short_of = NULL;
	int i;

	for (i = 0; i < PAM_DT_RLIMITS; i++)
		if (raise_one(&floors[i], &saved->saved[i], &saved->changed[i]) < 0 &&
		    short_of == NULL)
			short_of = floors[i].name;
	return short_of;
}

void pam_dt_rlimit_restore(const struct pam_dt_rlimits *saved)
{
	int i;

	/* Lowering is always allowed, so the exact values come back. */
	for (i = 0; i < PAM_DT_RLIMITS; i++)
		if (saved->changed[i])
			setrlimit(floors[i].resource, &saved->saved[i]);
}
