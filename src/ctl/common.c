/* What every command shares: the configuration, errors, root. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int ctl_load_config(struct ctl *c, struct dt_err *err)
{
	char conf_arg[4200];
	const char *argv[1];
	int argc = 0;

	if (c->conf_path != NULL) {
		snprintf(conf_arg, sizeof(conf_arg), "conf=%s", c->conf_path);
		argv[argc++] = conf_arg;
	}
	return dt_modcfg_load_for(&c->cfg, c->service, argc, argv, err);
}

int ctl_fail(const struct dt_err *err)
{
	fprintf(stderr, PROG ": %s\n", err->msg);
	switch (err->kind) {
	case DT_ERR_CONFIG:
		return CTL_CONFIG;
	case DT_ERR_UNAVAIL:
		return CTL_UNAVAIL;
	default:
		return CTL_FAILED;
	}
}

int ctl_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG " %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return CTL_USAGE;
}

int ctl_require_root(const char *command)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr,
		PROG " %s: must run as root (the configuration and the files it changes are "
		     "root's)\n",
		command);
	return -1;
}
