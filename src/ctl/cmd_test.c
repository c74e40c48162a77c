/* dingtalk-ctl test: the whole login the module would run, in this
 * terminal, with the same policy, but without PAM: to check a deployment
 * before anyone depends on it. */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "access/login_policy.h"
#include "ctl.h"
#include "access/sources.h"
#include "access/scope.h"

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

/* What the module checks before it shows a QR code. */
static int check_scope(const struct dt_modcfg *cfg, const char *user, struct dt_err *err)
{
	struct passwd *pw = getpwnam(user);
	const char *why = NULL;

	if (pw == NULL)
		return dt_err_set(err, DT_ERR_NOUSER, "no local user '%s'", user);
	if (!dt_policy_in_scope(cfg->only_groups, cfg->skip_groups, user, dt_user_in_group, NULL,
				&why))
		return dt_err_set(err, DT_ERR_DENIED,
				  "%s is out of scope (%s): the module would return PAM_IGNORE",
				  user, why);
	return dt_policy_check_root(cfg->allow_root, user, (long)pw->pw_uid, err);
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
	if (check_scope(&c->cfg, user, &err) < 0)
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
