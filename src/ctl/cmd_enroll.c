/* dingtalk-ctl enroll: scan once, bind that person.
 *
 * --user USER (administrator): the identity is added to the map file.
 * --self (a user, through sudo): the identity goes to the invoking user's
 * own ~/.pam_dingtalk_id, written with that user's rights only. The
 * configuration is root's (it holds the AppSecret) and so is the helper's
 * socket, so even self-service runs as root: sudo says who asked. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "access/login_policy.h"
#include "ctl.h"
#include "map_rewrite.h"
#include "access/sources.h"
#include "conf/map_spec.h"
#include "access/userfile.h"
#include "base/as_user.h"

struct enroll_args {
	const char *user;
	int self, yes;
};

static int parse(int argc, char **argv, struct enroll_args *a)
{
	static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
					     {"self", no_argument, NULL, 's'},
					     {"yes", no_argument, NULL, 'y'},
					     {NULL, 0, NULL, 0}};
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = getopt_long(argc, argv, "u:sy", opts, NULL)) != -1) {
		if (opt == 'u')
			a->user = optarg;
		else if (opt == 's')
			a->self = 1;
		else if (opt == 'y')
			a->yes = 1;
		else
			return ctl_usage_error("enroll", "unknown option");
	}
	if (optind != argc)
		return ctl_usage_error("enroll", "unexpected argument '%s'", argv[optind]);
	if ((a->user != NULL) == a->self)
		return ctl_usage_error("enroll", "give either --user USER or --self");
	return 0;
}

/* --self: the user sudo ran us for. SUDO_UID is set by sudo itself, which
 * a user cannot override, and only root can run us with it forged. */
static const char *invoking_user(char *name, size_t size, struct dt_err *err)
{
	const char *uid_text = getenv("SUDO_UID");
	struct passwd *pw;
	char *end;
	unsigned long uid;

	if (uid_text == NULL || uid_text[0] == '\0') {
		dt_err_set(err, DT_ERR_CONFIG,
			   "--self: run it through sudo (sudo " PROG
			   " enroll --self), so that it knows who you are");
		return NULL;
	}
	errno = 0;
	uid = strtoul(uid_text, &end, 10);
	if (errno != 0 || *end != '\0' || uid == 0 || (pw = getpwuid((uid_t)uid)) == NULL) {
		dt_err_set(err, DT_ERR_CONFIG, "--self: SUDO_UID '%.32s' is not a local user",
			   uid_text);
		return NULL;
	}
	snprintf(name, size, "%s", pw->pw_name);
	return name;
}

/* The binding file is written as its owner (as_user.h), never as root. */
static int bind_self(const char *user, const char *union_id, struct dt_err *err)
{
	struct dt_as_user as;
	int rc;

	if (dt_as_user_enter(user, &as, err) < 0)
		return -1;
	rc = dt_userfile_write(as.pw.pw_dir, union_id, err);
	dt_as_user_leave(&as);
	if (rc < 0)
		return -1;
	printf("%s/%s now names unionId %s\n", as.pw.pw_dir, DT_USERFILE_NAME, union_id);
	syslog(LOG_NOTICE, "%s enrolled unionId %s in %s/%s", user, union_id, as.pw.pw_dir,
	       DT_USERFILE_NAME);
	return 0;
}

static int bind_in_map(const struct dt_modcfg *cfg, const char *user, const char *union_id,
		       struct dt_err *err)
{
	int rc = ctl_map_bind(cfg->map_file, union_id, user, err);

	if (rc < 0)
		return -1;
	printf("%s: %s %s %s\n", cfg->map_file, union_id, rc > 0 ? "now serves" : "already serves",
	       user);
	if (!dt_map_uses(&cfg->map, DT_MAP_FILE))
		fprintf(stderr, PROG ": warning: map = %s does not read the map file\n",
			cfg->text.map);
	return 0;
}

/* The person must be someone who could log in: enrolling a disabled
 * account or an outsider would only fail later, at a worse moment. */
static int check_person(const struct dt_modcfg *cfg, const struct dt_identity *who,
			struct dt_err *err)
{
	return dt_directory_policy(cfg, who, err);
}

static int enroll(struct ctl *c, const struct enroll_args *a, const char *user)
{
	struct dt_login_outcome out;
	struct dt_err err;
	char question[320];
	int rc;

	dt_err_clear(&err);
	if (getpwnam(user) == NULL) {
		fprintf(stderr, PROG " enroll: no local user '%s'\n", user);
		return CTL_FAILED;
	}
	if (a->self && !dt_map_uses(&c->cfg.map, DT_MAP_USERFILE)) {
		fprintf(stderr,
			PROG " enroll --self: map = %s has no 'userfile': a binding file "
			     "would not be read; ask an administrator to enroll you\n",
			c->cfg.text.map);
		return CTL_CONFIG;
	}
	rc = ctl_run_login(c, user, "enroll", &out, &err);
	if (rc == 0) {
		ctl_tell_approved(c, user, "enroll", &out.who);
		ctl_print_identity(&out.who);
		rc = check_person(&c->cfg, &out.who, &err);
	}
	if (rc == 0) {
		snprintf(question, sizeof(question), "Bind this person to the local account %s?",
			 user);
		if (!ctl_confirm(question, a->yes)) {
			dt_err_set(&err, DT_ERR_DENIED, "not enrolled: not confirmed");
			rc = -1;
		}
	}
	if (rc == 0)
		rc = a->self ? bind_self(user, out.who.union_id, &err)
			     : bind_in_map(&c->cfg, user, out.who.union_id, &err);
	dt_login_outcome_free(&out);
	return rc == 0 ? CTL_OK : ctl_fail(&err);
}

int ctl_cmd_enroll(struct ctl *c, int argc, char **argv)
{
	struct enroll_args a;
	struct dt_err err;
	const char *user;
	char self_name[256];

	if (parse(argc, argv, &a) != 0)
		return CTL_USAGE;
	if (ctl_require_root("enroll") < 0)
		return CTL_FAILED;
	dt_err_clear(&err);
	if (ctl_load_config(c, &err) < 0)
		return ctl_fail(&err);
	user = a.self ? invoking_user(self_name, sizeof(self_name), &err) : a.user;
	if (user == NULL)
		return ctl_fail(&err);
	if (!dt_valid_user_name(user))
		return ctl_usage_error("enroll", "'%s' is not a user name", user);
	return enroll(c, &a, user);
}
