/* dingtalk-ctl recovery: break-glass codes for when DingTalk is down. */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctl.h"
#include "access/sources.h"
#include "access/recovery.h"
#include "access/recovery_store.h"
#include "base/util.h"

#define DEFAULT_COUNT 10

struct recovery_args {
	const char *user;
	unsigned long count;
	int status, revoke;
};

static int parse(int argc, char **argv, struct recovery_args *a)
{
	static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
					     {"count", required_argument, NULL, 'n'},
					     {"status", no_argument, NULL, 's'},
					     {"revoke", no_argument, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	char *end;
	int opt;

	memset(a, 0, sizeof(*a));
	a->count = DEFAULT_COUNT;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "u:n:sr", opts, NULL)) != -1) {
		if (opt == 'u')
			a->user = optarg;
		else if (opt == 's')
			a->status = 1;
		else if (opt == 'r')
			a->revoke = 1;
		else if (opt == 'n') {
			a->count = strtoul(optarg, &end, 10);
			if (*end != '\0' || a->count < 1 || a->count > DT_RECOVERY_MAX_COUNT)
				return ctl_usage_error("recovery", "--count wants 1..%d",
						       DT_RECOVERY_MAX_COUNT);
		} else
			return ctl_usage_error("recovery", "unknown option");
	}
	if (optind != argc)
		return ctl_usage_error("recovery", "unexpected argument '%s'", argv[optind]);
	if (a->user == NULL || !dt_valid_user_name(a->user))
		return ctl_usage_error("recovery", "needs --user USER");
	if (a->status && a->revoke)
		return ctl_usage_error("recovery", "--status or --revoke, not both");
	return 0;
}

static int status(const struct ctl *c, const char *user)
{
	struct dt_err err;
	unsigned left = 0;

	dt_err_clear(&err);
	if (dt_recovery_left(c->cfg.recovery_file, user, &left, &err) < 0)
		return ctl_fail(&err);
	printf("%s has %u recovery code(s) left in %s%s\n", user, left, c->cfg.recovery_file,
	       c->cfg.recovery ? "" : " (recovery = no: not accepted)");
	return CTL_OK;
}

static int issue(const struct ctl *c, const char *user, size_t count)
{
	char *codes[DT_RECOVERY_MAX_COUNT];
	struct dt_err err;
	size_t i;

	dt_err_clear(&err);
	if (dt_recovery_issue(c->cfg.recovery_file, user, count, codes, &err) < 0)
		return ctl_fail(&err);
	if (count > 0) {
		printf("Recovery codes for %s (each works once, only while DingTalk cannot be "
		       "reached;\nthey are shown now and never again, and replace any earlier "
		       "ones):\n\n",
		       user);
		for (i = 0; i < count; i++) {
			printf("  %s\n", codes[i]);
			dt_free_secret(codes[i]);
		}
		printf("\n");
	} else
		printf("%s: recovery codes revoked\n", user);
	syslog(LOG_NOTICE, "%s: %zu recovery code(s) issued for %s, earlier ones revoked",
	       c->cfg.recovery_file, count, user);
	return CTL_OK;
}

int ctl_cmd_recovery(struct ctl *c, int argc, char **argv)
{
	struct recovery_args a;
	struct dt_err err;

	if (parse(argc, argv, &a) != 0)
		return CTL_USAGE;
	if (ctl_require_root("recovery") < 0)
		return CTL_FAILED;
	dt_err_clear(&err);
	if (ctl_load_config(c, &err) < 0)
		return ctl_fail(&err);
	if (getpwnam(a.user) == NULL && !a.revoke) {
		fprintf(stderr, PROG " recovery: no local user '%s'\n", a.user);
		return CTL_FAILED;
	}
	if (a.status)
		return status(c, a.user);
	return issue(c, a.user, a.revoke ? 0 : a.count);
}
