/* fuzz_pam: the functions the target wraps with -Wl,--wrap= (the list is
 * in Makefile.am). Only calls from our own objects (libdtcore, the module's
 * files, the target) are wrapped; libpam, json-c and libc keep theirs.
 *
 * - dt_now_ms and dt_retry_sleep: a virtual clock, so that a login's 10 s
 *   deadline, the helper's long polls and DingTalk's back-off cost no time.
 * - pam_syslog: the lines are kept for the invariants (and syslog is not
 *   flooded with millions of them).
 * - allocation, open, read, randomness and the switch to a user's
 *   privileges (dt_as_user_enter): the N-th call fails, N from the
 *   input. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <security/pam_ext.h>

#include "base/as_user.h"
#include "base/http.h"
#include "fuzz_pam.h"

/* Declared here: they exist only at link time (--wrap). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
int __real_open(const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_getrandom(void *buf, size_t n, unsigned flags);
json_tokener *__real_json_tokener_new_ex(int depth);
json_object *__real_json_object_new_object(void);
FILE *__real_open_memstream(char **buf, size_t *size);
int __real_dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_open(const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags);
json_tokener *__wrap_json_tokener_new_ex(int depth);
json_object *__wrap_json_object_new_object(void);
FILE *__wrap_open_memstream(char **buf, size_t *size);
int __wrap_dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err);
int __wrap_dt_http_preload(struct dt_err *err);
int64_t __wrap_dt_now_ms(void);
int __wrap_dt_retry_sleep(int64_t delay_ms, int64_t deadline_ms, int64_t reserve_ms);
void __wrap_pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FZ_CLOCK_START 1000000
#define FZ_LOG_MAX     (64 * 1024)
static int64_t clock_ms = FZ_CLOCK_START;
static unsigned calls, fail_at;
static int injected, held;
static pthread_t armed_thread;
static char log_text[FZ_LOG_MAX];
static size_t log_len;

/* Every reading of the clock moves it a little, so that no loop of the
 * module can spin on a frozen clock. */
int64_t __wrap_dt_now_ms(void)
{
	return ++clock_ms;
}

int64_t fz_clock(void)
{
	return clock_ms;
}

void fz_clock_advance(int64_t ms)
{
	if (ms > 0)
		clock_ms += ms;
}

void fz_clock_reset(void)
{
	clock_ms = FZ_CLOCK_START;
}

/* retry.c's contract, on the virtual clock. */
int __wrap_dt_retry_sleep(int64_t delay_ms, int64_t deadline_ms, int64_t reserve_ms)
{
	if (delay_ms < 0 || clock_ms + delay_ms + reserve_ms >= deadline_ms)
		return -1;
	clock_ms += delay_ms;
	return 0;
}

void fz_inject_arm(unsigned at)
{
	calls = 0;
	fail_at = at;
	held = 0;
	armed_thread = pthread_self();
	injected = 0;
}

void fz_inject_disarm(void)
{
	fail_at = 0;
	held = 1;
}

void fz_inject_hold(int on)
{
	held = on;
}

unsigned fz_inject_calls(void)
{
	return calls;
}

int fz_injected(void)
{
	return injected;
}

/* Whether this call is the one that fails. Calls from libFuzzer's own
 * threads and from the fake conversation (the application's side) are
 * neither counted nor failed. */
static int fail_now(void)
{
	if (held || !pthread_equal(pthread_self(), armed_thread) || ++calls != fail_at ||
	    fail_at == 0)
		return 0;
	injected = 1;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (fail_now()) {
		*out = NULL;
		return -1;
	}
	return __real_vasprintf(out, fmt, ap);
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (fail_now()) {
		errno = EMFILE;
		return -1;
	}
	return __real_open(path, flags, mode);
}

/* The binding file is opened relative to its checked home (dirchain.h). */
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	if (fail_now()) {
		errno = EMFILE;
		return -1;
	}
	return __real_openat(dirfd, path, flags, mode);
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (fail_now()) {
		errno = EIO;
		return -1;
	}
	return __real_read(fd, buf, n);
}

ssize_t __wrap_getrandom(void *buf, size_t n, unsigned flags)
{
	/* A failed draw must end the login, not leave a guessable state:
	 * fuzz_pam_fakes.c checks every registered state. */
	if (fail_now()) {
		errno = EIO;
		return -1;
	}
	return __real_getrandom(buf, n, flags);
}

json_tokener *__wrap_json_tokener_new_ex(int depth)
{
	return fail_now() ? NULL : __real_json_tokener_new_ex(depth);
}

json_object *__wrap_json_object_new_object(void)
{
	return fail_now() ? NULL : __real_json_object_new_object();
}

FILE *__wrap_open_memstream(char **buf, size_t *size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_open_memstream(buf, size);
}

/* As a failed setegid or seteuid would: refused, nothing to leave. */
int __wrap_dt_as_user_enter(const char *user, struct dt_as_user *as, struct dt_err *err)
{
	if (!fail_now())
		return __real_dt_as_user_enter(user, as, err);
	memset(as, 0, sizeof(*as));
	return dt_err_set(err, DT_ERR_DENIED, "cannot drop privileges to %s (injected)", user);
}

void __wrap_pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)pamh;
	(void)priority;
	if (log_len >= sizeof(log_text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(log_text + log_len, sizeof(log_text) - log_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_len += (size_t)n + 1;
	if (log_len >= sizeof(log_text))
		log_len = sizeof(log_text) - 1;
	log_text[log_len] = '\0';
}

const char *fz_log_text(size_t *len)
{
	*len = log_len;
	return log_text;
}

void fz_log_reset(void)
{
	log_len = 0;
	log_text[0] = '\0';
}

/* Loading libcurl's side after the QR (login.c): nothing to load in
 * process, the fakes answer every request; it fails on demand, as a
 * broken installation would, which the login only logs. */
int __wrap_dt_http_preload(struct dt_err *err)
{
	if (fail_now())
		return dt_err_set(err, DT_ERR_CONFIG,
				  "fuzz: pam_dingtalk_net.so could not be loaded");
	return 0;
}
