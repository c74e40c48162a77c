/* Logging without globals: each caller passes a sink. The module's sink is
 * pam_syslog (authpriv); the helper's is stderr or syslog. */
#ifndef DT_LOG_H
#define DT_LOG_H

#include <syslog.h>

typedef void (*dt_log_fn)(void *ctx, int priority, const char *msg);

struct dt_log {
	dt_log_fn fn;
	void *ctx;
	int debug; /* LOG_DEBUG lines are dropped unless set */
};

void dt_logf(const struct dt_log *log, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A sink that writes "prefix: message" lines to stderr (helper, CLI). */
void dt_log_stderr(void *ctx, int priority, const char *msg);

#endif
