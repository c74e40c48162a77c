#include "config.h"

#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>

void dt_logf(const struct dt_log *log, int priority, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (log == NULL || log->fn == NULL)
		return;
	if (priority == LOG_DEBUG && !log->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->fn(log->ctx, priority, line);
}

void dt_log_stderr(void *ctx, int priority, const char *msg)
{
	const char *prefix = ctx != NULL ? (const char *)ctx : "dingtalk";
	const char *level = priority <= LOG_ERR	      ? "error: "
			    : priority == LOG_WARNING ? "warning: "
						      : "";

	fprintf(stderr, "%s: %s%s\n", prefix, level, msg);
	fflush(stderr);
}
