/* dingtalk-ctl: the administrator's command line. Each command lives in
 * its own file; this header is what they share. */
#ifndef DT_CTL_H
#define DT_CTL_H

#include <pwd.h>

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "login/login.h"
#include "conf/modcfg.h"

#define PROG "dingtalk-ctl"

/* Exit statuses (dingtalk-ctl(1)). */
enum {
	CTL_OK = 0,
	CTL_FAILED = 1, /* the command ran and did not succeed */
	CTL_USAGE = 2,	/* wrong arguments */
	CTL_CONFIG = 3, /* the configuration or a file is broken or unsafe */
	CTL_UNAVAIL = 4 /* the helper or DingTalk cannot be reached */
};

struct ctl {
	const char *conf_path; /* --conf, or NULL for the default */
	const char *service;   /* --service: use that [service NAME] section */
	struct dt_modcfg cfg;
	struct dt_log log;
};

/* Loads the module's configuration as the module would for --service. */
int ctl_load_config(struct ctl *c, struct dt_err *err);

/* Prints "dingtalk-ctl: message" and returns the exit status for err. */
int ctl_fail(const struct dt_err *err);
int ctl_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The command needs root (the files it changes are root's). */
int ctl_require_root(const char *command);

/* A whole DingTalk login on this terminal (wait = poll): draws the QR,
 * waits for the phone, and gives the identity DingTalk names (or -1 with
 * err set, as dt_login_run). Whether that person may do anything is the
 * command's to decide; then ctl_tell_approved says so. Ctrl-C cancels the
 * session. */
int ctl_run_login(struct ctl *c, const char *user, const char *purpose,
		  struct dt_login_outcome *out, struct dt_err *err);

/* "Approved" for the person, as the module says it: once the command has
 * accepted the identity ctl_run_login gave. */
void ctl_tell_approved(struct ctl *c, const char *user, const char *purpose,
		       const struct dt_identity *who);

/* Prints what DingTalk says about the person. */
void ctl_print_identity(const struct dt_identity *who);

/* Asks a yes/no question on the terminal; `assume_yes` answers it. */
int ctl_confirm(const char *question, int assume_yes);

int ctl_cmd_enroll(struct ctl *c, int argc, char **argv);
int ctl_cmd_map(struct ctl *c, int argc, char **argv);
int ctl_cmd_recovery(struct ctl *c, int argc, char **argv);
int ctl_cmd_test(struct ctl *c, int argc, char **argv);
int ctl_cmd_doctor(struct ctl *c, int argc, char **argv);
int ctl_cmd_hostkey(struct ctl *c, int argc, char **argv);

#endif
