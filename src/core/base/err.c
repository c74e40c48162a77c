#include "config.h"

#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dt_err_set(struct dt_err *err, enum dt_err_kind kind, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int dt_err_prefix(struct dt_err *err, const char *fmt, ...)
{
	char prefix[128];
	char old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncating a long message is fine: its start says the most. */
	snprintf(err->msg, sizeof(err->msg), "%s%.*s", prefix,
		 (int)(sizeof(err->msg) - 1 - strlen(prefix)), old);
	return -1;
}

int dt_err_oom(struct dt_err *err)
{
	return dt_err_set(err, DT_ERR_NOMEM, "%s", DT_OOM_TEXT);
}

int dt_err_oom_in(struct dt_err *err, const char *where)
{
	return dt_err_set(err, DT_ERR_NOMEM, "%s: %s", where, DT_OOM_TEXT);
}

void dt_err_clear(struct dt_err *err)
{
	if (err == NULL)
		return;
	err->kind = DT_OK;
	err->msg[0] = '\0';
}

const char *dt_err_kind_name(enum dt_err_kind kind)
{
	switch (kind) {
	case DT_OK:
		return "ok";
	case DT_ERR_CONFIG:
		return "configuration";
	case DT_ERR_UNAVAIL:
		return "unavailable";
	case DT_ERR_DENIED:
		return "denied";
	case DT_ERR_TIMEOUT:
		return "timeout";
	case DT_ERR_NOUSER:
		return "unknown user";
	case DT_ERR_NOMEM:
		return DT_OOM_TEXT;
	case DT_ERR_CONV:
		return "conversation";
	case DT_ERR_MAXTRIES:
		return "too many tries";
	case DT_ERR_INTERRUPTED:
		return "interrupted";
	case DT_ERR_INTERNAL:
		break;
	}
	return "internal";
}
