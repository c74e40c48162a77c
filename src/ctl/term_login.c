/* The login of dt_login_run, shown on the CLI's own terminal. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "login/messages.h"
#include "login/qr.h"
#include "base/util.h"

static int show(void *ctx, const char *text, struct dt_err *err)
{
	(void)ctx;
	(void)err;
	printf("%s\n", text);
	fflush(stdout);
	return 0;
}

/* wait = poll never asks; this is here because the interface wants it. */
static int ask(void *ctx, const char *text, char **answer, struct dt_err *err)
{
	char line[256];

	(void)ctx;
	printf("%s", text);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return dt_err_set(err, DT_ERR_CONV, "no answer on standard input");
	line[strcspn(line, "\r\n")] = '\0';
	*answer = strdup(line);
	return *answer != NULL ? 0 : dt_err_oom(err);
}

static enum dt_lang lang_from_env(void)
{
	return dt_lang_from_locale(
	    dt_locale_of(getenv("LC_ALL"), getenv("LC_MESSAGES"), getenv("LANG")));
}

static enum dt_qr_style qr_style(const struct dt_modcfg *cfg)
{
	const char *tty = isatty(STDOUT_FILENO) ? ttyname(STDOUT_FILENO) : NULL;

	if (cfg->qr != DT_QR_AUTO)
		return cfg->qr;
	return dt_qr_auto_style(tty);
}

/* The request of every login this CLI runs: wait = poll on its own
 * terminal, the configured language or the environment's. */
static void request_for(const struct ctl *c, const char *user, const char *purpose,
			struct dt_login_request *req)
{
	memset(req, 0, sizeof(*req));
	req->user = user;
	req->service = PROG;
	req->rhost = NULL;
	req->command = purpose;
	req->wait = DT_WAIT_POLL;
	req->qr = qr_style(&c->cfg);
	req->lang = c->cfg.lang != DT_LANG_AUTO ? c->cfg.lang : lang_from_env();
	req->silent = 0;
	/* Nothing in dingtalk-ctl lets anyone through on "unavailable" (it
	 * is exit status 4, and no binding is written), so a person who
	 * suspends it (enroll --self through sudo) gains nothing, and the
	 * administrator keeps "DingTalk was silent" as status 4. */
	req->caller_controls_process = 0;
}

static const struct dt_login_ui terminal = {
    .info = show, .ask = ask, .remember_style = NULL, .ctx = NULL};

int ctl_run_login(struct ctl *c, const char *user, const char *purpose,
		  struct dt_login_outcome *out, struct dt_err *err)
{
	struct dt_login_request req;
	sigset_t block, old;
	int rc;

	request_for(c, user, purpose, &req);
	/* Blocked, Ctrl-C stays pending: the login sees it, cancels the
	 * session at the helper and returns DT_ERR_INTERRUPTED. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	rc = dt_login_run(&c->cfg, &req, &terminal, &c->log, out, err);
	if (rc < 0 && err->kind == DT_ERR_INTERRUPTED) {
		signal(SIGINT, SIG_IGN); /* handled: do not die on unblocking */
		signal(SIGQUIT, SIG_IGN);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void ctl_tell_approved(struct ctl *c, const char *user, const char *purpose,
		       const struct dt_identity *who)
{
	struct dt_login_request req;

	request_for(c, user, purpose, &req);
	dt_login_tell_approved(&req, &terminal, who);
}

/* Directory fields are the server's text: made safe for the terminal. */
static void print_field(const char *label, const char *value)
{
	char shown[512];

	if (value == NULL || value[0] == '\0')
		return;
	snprintf(shown, sizeof(shown), "%s", value);
	dt_sanitize_text(shown);
	printf("  %-12s %s\n", label, shown);
}

void ctl_print_identity(const struct dt_identity *who)
{
	printf("DingTalk names this person:\n");
	print_field("nick", who->nick);
	print_field("unionId", who->union_id);
	print_field("name", who->name);
	print_field("userid", who->user_id);
	print_field("email", who->email);
	print_field("org_email", who->org_email);
	print_field("job_number", who->job_number);
	print_field("corpId", who->corp_id);
	fflush(stdout);
}

int ctl_confirm(const char *question, int assume_yes)
{
	char line[64];

	printf("%s [y/N] ", question);
	if (assume_yes) {
		printf("y (--yes)\n");
		return 1;
	}
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}
