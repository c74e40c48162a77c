/* dingtalk-ctl test: the whole login the module would run, in this
 * terminal, with the same policy, but without PAM: to check a deployment
 * before anyone depends on it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "access/login_policy.h"
#include "access/scope.h"
#include "access/sources.h"
#include "ctl.h"

static int parse(int argc, char **argv, const char **user)
{
	static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
					     {NULL, 0, NULL, 0}};
	int opt;

	*user = NULL;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "u:", opts, NULL)) != -1) {
		if (opt != 'u')
			return ctl_usage_error("test", "unknown option");
		*user = optarg;
	}
	if (optind != argc)
		return ctl_usage_error("test", "unexpected argument '%s'", argv[optind]);
	if (*user == NULL || !dt_valid_user_name(*user))
		return ctl_usage_error("test", "needs --user USER");
	return 0;
}

/* Out of scope, the module returns PAM_IGNORE: it neither lets the user
 * in nor refuses, and shows no QR code. Said as such, not as a refusal. */
static int report_ignored(const char *user, const struct dt_err *why)
{
	printf("IGNORED: %s: the module returns PAM_IGNORE for %s and leaves the login to the "
	       "rest of the PAM stack (no QR code is shown)\n",
	       why->msg, user);
	return CTL_FAILED;
}

/* The login, then the decision the module makes once DingTalk has named
 * the person. */
static int identify_and_decide(struct ctl *c, const char *user, struct dt_login_outcome *out,
			       struct dt_err *err)
{
	struct dt_access access = {.cfg = &c->cfg, .user = user, .log = &c->log};

	if (ctl_run_login(c, user, "test", out, err) < 0 ||
	    dt_access_check(&access, &out->who, err) < 0)
		return -1;
	ctl_tell_approved(c, user, "test", &out->who);
	return 0;
}

int ctl_cmd_test(struct ctl *c, int argc, char **argv)
{
	struct dt_login_outcome out;
	struct dt_err err;
	const char *user;
	int rc;

	if (parse(argc, argv, &user) != 0)
		return CTL_USAGE;
	if (ctl_require_root("test") < 0)
		return CTL_FAILED;
	dt_err_clear(&err);
	if (ctl_load_config(c, &err) < 0)
		return ctl_fail(&err);
	/* What the module checks before it shows a QR code. */
	rc = dt_scope_check_account(&c->cfg, user, &err);
	if (rc == 0)
		return report_ignored(user, &err);
	if (rc < 0)
		return ctl_fail(&err);
	rc = identify_and_decide(c, user, &out, &err);
	if (out.who.union_id != NULL)
		ctl_print_identity(&out.who);
	dt_login_outcome_free(&out);
	if (rc < 0)
		return ctl_fail(&err);
	printf("OK: this person may log in as %s\n", user);
	return CTL_OK;
}
