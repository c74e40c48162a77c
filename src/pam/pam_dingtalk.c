/* pam_dingtalk: log in by scanning a QR code with DingTalk.
 *
 * This file only orchestrates: read the configuration, find out who and
 * where, hand the login to libdtcore, and turn its outcome into a PAM code
 * in one place (pam_code_for). */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "access/login_policy.h"
#include "access/accounts.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/http_backend.h"
#include "base/log.h"
#include "login/login.h"
#include "login/messages.h"
#include "conf/modcfg.h"
#include "proto/command_text.h"
#include "login/qr.h"
#include "login/ssh_wait.h"
#include "access/scope.h"
#include "base/util.h"
#include "audit_log.h"
#include "env_guard.h"
#include "noninteractive.h"
#include "recovery_prompt.h"
#include "set_user.h"
#include "user_prefs.h"

/* The build hides every symbol; these two are the module's interface. */
#define DT_EXPORT __attribute__((visibility("default")))

struct conv_state {
	pam_handle_t *pamh;
	const char *user;
	int last_pam_rc; /* of the last conversation, to tell PAM_CONV_AGAIN apart */
	/* A QR rendering switched to mid-login: written to the person's
	 * home only after PAM_SUCCESS (save_style_if_chosen), never for
	 * someone who has not authenticated. */
	int style_chosen;
	enum dt_qr_style style;
};

static void log_to_pam(void *ctx, int priority, const char *msg)
{
	pam_syslog((pam_handle_t *)ctx, priority, "%s", msg);
}

static int show_info(void *ctx, const char *text, struct dt_err *err)
{
	struct conv_state *cs = ctx;

	cs->last_pam_rc = pam_dt_conv_info(cs->pamh, text);
	if (cs->last_pam_rc != PAM_SUCCESS)
		return dt_err_set(err, DT_ERR_CONV, "the PAM conversation failed: %s",
				  pam_strerror(cs->pamh, cs->last_pam_rc));
	return 0;
}

static int ask_line(void *ctx, const char *text, char **answer, struct dt_err *err)
{
	struct conv_state *cs = ctx;
	char *resp = NULL;

	cs->last_pam_rc = pam_dt_conv_prompt(cs->pamh, PAM_PROMPT_ECHO_ON, &resp, text);
	if (cs->last_pam_rc != PAM_SUCCESS)
		return dt_err_set(err, DT_ERR_CONV, "the PAM conversation failed: %s",
				  pam_strerror(cs->pamh, cs->last_pam_rc));
	*answer = resp != NULL ? resp : strdup("");
	if (*answer == NULL)
		return dt_err_oom(err);
	return 0;
}

/* Only noted here: anyone at sshd's prompt may press a or u before
 * authenticating, and root must not write their target's home for them. */
static void remember_style(void *ctx, enum dt_qr_style style)
{
	struct conv_state *cs = ctx;

	cs->style = style;
	cs->style_chosen = 1;
}

static int save_style_if_chosen(const struct conv_state *cs, int rc)
{
	if (rc == PAM_SUCCESS && cs->style_chosen)
		pam_dt_save_style(cs->pamh, cs->user, cs->style);
	return rc;
}

/* The single place where outcomes become PAM codes.
 *
 * PAM_AUTHINFO_UNAVAIL (and PAM_SERVICE_ERR) is where failmode = safe,
 * break-glass stacks (authinfo_unavail=ignore) and recovery codes come in,
 * so dt_login_run keeps the downgrade invariant (login.h): once a session
 * is registered, nothing the person at the terminal or on the phone does
 * ends in DT_ERR_UNAVAIL, DT_ERR_CONFIG or DT_ERR_INTERNAL; refusals of
 * every kind arrive here as DT_ERR_DENIED or DT_ERR_TIMEOUT. */
static int pam_code_for(enum dt_err_kind kind, int conv_rc)
{
	switch (kind) {
	case DT_OK:
		return PAM_SUCCESS;
	case DT_ERR_DENIED:
	case DT_ERR_TIMEOUT:
		return PAM_AUTH_ERR;
	case DT_ERR_UNAVAIL:
		return PAM_AUTHINFO_UNAVAIL;
	case DT_ERR_NOUSER:
		return PAM_USER_UNKNOWN;
	case DT_ERR_NOMEM:
		return PAM_BUF_ERR;
	case DT_ERR_CONV:
		/* The application's own reason: PAM_CONV_AGAIN asks the caller
		 * to come back, PAM_BUF_ERR is its out of memory. */
		if (conv_rc == PAM_CONV_AGAIN)
			return PAM_INCOMPLETE;
		return conv_rc == PAM_BUF_ERR ? PAM_BUF_ERR : PAM_CONV_ERR;
	case DT_ERR_MAXTRIES:
		return PAM_MAXTRIES;
	case DT_ERR_INTERRUPTED:
		/* The person broke off the conversation (Ctrl-C). */
		return PAM_CONV_ERR;
	case DT_ERR_CONFIG:
	case DT_ERR_INTERNAL:
		break;
	}
	return PAM_SERVICE_ERR;
}

static const char *pam_item_string(pam_handle_t *pamh, int item)
{
	const void *value = NULL;

	if (pam_get_item(pamh, item, &value) != PAM_SUCCESS)
		return NULL;
	return value;
}

static int have_conversation(pam_handle_t *pamh)
{
	const void *item = NULL;

	return pam_get_item(pamh, PAM_CONV, &item) == PAM_SUCCESS && item != NULL &&
	       ((const struct pam_conv *)item)->conv != NULL;
}

/* su to root proves who the caller is: nobody's DingTalk identity is bound
 * to root, and the person at the keyboard is PAM_RUSER. Whether that
 * caller may become root at all is for the stack to decide before this
 * module (pam_wheel), as pam.d-examples/su shows. */
static const char *user_to_verify(pam_handle_t *pamh, const char *service, const char *user)
{
	const char *ruser = pam_item_string(pamh, PAM_RUSER);

	if (user == NULL || (strcmp(service, "su") != 0 && strcmp(service, "su-l") != 0))
		return user;
	if (dt_local_uid(user) != 0 || ruser == NULL || ruser[0] == '\0' ||
	    dt_local_uid(ruser) <= 0)
		return user;
	return ruser;
}

/* The conversation is sshd's keyboard-interactive: sshd names its PAM_TTY
 * "ssh" whatever its PAMServiceName. */
static int over_ssh(const char *service, const char *tty)
{
	return strcmp(service, "sshd") == 0 || (tty != NULL && strcmp(tty, "ssh") == 0);
}

/* sshd before OpenSSH 10.3 holds info messages until the next prompt, so
 * there the QR must come with a prompt; from 10.3 on it sends them at once
 * and the module can wait without one (login/ssh_wait.h reads the running
 * sshd's version; unsure means the prompt). */
static enum dt_wait_mode resolve_wait(pam_handle_t *pamh, const struct dt_modcfg *cfg,
				      const char *service, const char *tty)
{
	char why[768];
	enum dt_wait_mode mode;

	if (cfg->wait != DT_WAIT_AUTO)
		return cfg->wait;
	if (!over_ssh(service, tty))
		return DT_WAIT_POLL;
	mode = dt_ssh_auto_wait(DT_SSH_SELF_PROGRAM, why, sizeof(why));
	if (cfg->debug)
		pam_syslog(pamh, LOG_DEBUG, "wait = auto over sshd: %s: wait = %s", why,
			   mode == DT_WAIT_POLL ? "poll" : "enter");
	return mode;
}

/* The session's environment first (pam_env, sshd's AcceptEnv), then the
 * host process's, read on purpose: the process's own is the module's
 * minimal one while the module runs (env_guard.h). Only the message
 * language depends on it. */
static const char *locale_of(pam_handle_t *pamh)
{
	const char *v = dt_locale_of(pam_getenv(pamh, "LC_ALL"), pam_getenv(pamh, "LC_MESSAGES"),
				     pam_getenv(pamh, "LANG"));

	return v != NULL ? v
			 : dt_locale_of(pam_dt_env_host("LC_ALL"), pam_dt_env_host("LC_MESSAGES"),
					pam_dt_env_host("LANG"));
}

static enum dt_lang resolve_lang(pam_handle_t *pamh, const struct dt_modcfg *cfg)
{
	if (cfg->lang != DT_LANG_AUTO)
		return cfg->lang;
	return dt_lang_from_locale(locale_of(pamh));
}

/* The administrator's choice, unless the person picked a rendering that
 * their own terminal draws right (a/u at the prompt). "off" stays off. */
static enum dt_qr_style resolve_qr(pam_handle_t *pamh, const struct dt_modcfg *cfg,
				   const char *user, const char *tty)
{
	enum dt_qr_style configured = cfg->qr == DT_QR_AUTO ? dt_qr_auto_style(tty) : cfg->qr;

	/* set_user: nobody's preference before the person is known. */
	if (configured == DT_QR_OFF || user == NULL)
		return configured;
	return pam_dt_load_style(pamh, user, configured);
}

static const char *non_empty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* sudo's own word on the command being approved. sudo exports its own
 * getenv, which answers from the environment sudoers built for the
 * command, whatever `environ` is: there SUDO_COMMAND is the command sudo
 * will run, set by sudo itself even with !env_reset, -E or VAR=value on
 * the command line. Anywhere else getenv finds the guard's empty
 * environment (env_guard.h), so nothing. The only source that may reach
 * the phone, where the person decides by it. */
static const char *sudo_command_trusted(const char *service)
{
	if (strncmp(service, "sudo", 4) != 0)
		return NULL;
	return non_empty(getenv("SUDO_COMMAND"));
}

/* For the terminal's title only, when sudo said nothing: the PAM
 * environment, then the invoking user's own (`SUDO_COMMAND=... sudo evil`
 * puts anything there), a display for the person at the terminal, who
 * chose it. */
static const char *sudo_command_for_title(pam_handle_t *pamh, const char *service)
{
	const char *cmd;

	if (strncmp(service, "sudo", 4) != 0)
		return NULL;
	cmd = non_empty(pam_getenv(pamh, "SUDO_COMMAND"));
	return cmd != NULL ? cmd : non_empty(pam_dt_env_host("SUDO_COMMAND"));
}

/* su and sudo keep the invoking user's real uid: that user may signal the
 * process (SIGSTOP, Ctrl-Z), and set its resource limits and proxy
 * variables. Root daemons (sshd, login) run with real uid 0. */
static int caller_controls_process(void)
{
	return getuid() != 0;
}

/* Who is verified and how the terminal is used, with every "auto"
 * resolved. `command` holds sudo's command for as long as req lives.
 * su -c's command is not sent: su does not hand it to PAM, and its
 * argv is the caller's to shape (options differ between su's
 * implementations), so the phone could be shown something su will not
 * run. */
static void build_request(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user,
			  int flags, struct dt_login_request *req,
			  char command[DT_CONTROL_COMMAND_MAX + 1])
{
	const char *tty = pam_item_string(pamh, PAM_TTY);
	const char *sudo_cmd, *title_cmd;

	memset(req, 0, sizeof(*req));
	req->service = pam_item_string(pamh, PAM_SERVICE);
	req->rhost = pam_item_string(pamh, PAM_RHOST);
	if (req->service == NULL)
		req->service = "unknown";
	req->user = user_to_verify(pamh, req->service, user);
	if (req->user != user) {
		pam_syslog(pamh, LOG_NOTICE, "su to %s: DingTalk approval by the calling user %s",
			   user, req->user);
		req->command = "su root";
	} else if ((sudo_cmd = sudo_command_trusted(req->service)) != NULL) {
		/* Cleaned and cut once: the terminal and the phone show the
		 * same text (proto/command_text.h). */
		dt_command_shown(sudo_cmd, command);
		req->command = command;
		req->sudo_command = command;
	} else if ((title_cmd = sudo_command_for_title(pamh, req->service)) != NULL) {
		dt_command_shown(title_cmd, command);
		req->command = command; /* never sent to the phone */
	}
	req->wait = resolve_wait(pamh, cfg, req->service, tty);
	req->over_ssh = over_ssh(req->service, tty);
	req->lang = resolve_lang(pamh, cfg);
	req->silent = (flags & (int)PAM_SILENT) != 0;
	req->caller_controls_process = caller_controls_process();
}

/* A caller nobody can answer for (noninteractive.h) is refused at once,
 * before any session: PAM_CONV_ERR, which failmode leaves alone and sudo
 * reports without asking again (a PAM_AUTH_ERR would make it say "Sorry,
 * try again" twice more). The person is told why even under PAM_SILENT,
 * which sudo always sets: it is the only explanation they get. */
static int refuse_nobody_to_scan(pam_handle_t *pamh, const struct dt_login_request *req,
				 const char *why, struct dt_err *err)
{
	pam_dt_conv_prompt(pamh, PAM_ERROR_MSG, NULL, dt_msg(req->lang, DT_MSG_NONINTERACTIVE));
	return dt_err_set(err, DT_ERR_CONV, "%s: refused before any QR code (not unavailable)",
			  why);
}

static int need_conversation(pam_handle_t *pamh, const struct dt_login_request *req,
			     struct dt_err *err)
{
	const char *why;

	if (!have_conversation(pamh))
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "no PAM conversation: cannot show a QR code (non-interactive)");
	why = pam_dt_nobody_to_scan(req->service, pam_item_string(pamh, PAM_TTY));
	if (why != NULL)
		return refuse_nobody_to_scan(pamh, req, why, err);
	return 1;
}

/* What must hold before anyone is shown a QR code: the account passes
 * dt_scope_check_account, and there is someone to show it to. Returns 1 to
 * go on, 0 when the user is out of scope (PAM_IGNORE), -1 with err set. */
static int check_preconditions(pam_handle_t *pamh, const struct dt_modcfg *cfg,
			       const struct dt_login_request *req, struct dt_err *err)
{
	int go = dt_scope_check_account(cfg, req->user, err);

	return go <= 0 ? go : need_conversation(pamh, req, err);
}

/* failmode = safe: infrastructure errors (and a broken map) leave the
 * decision to the rest of the stack. A denial is never touched. */
static int apply_failmode(const struct dt_modcfg *cfg, int rc, struct pam_dt_attempt *at)
{
	if (cfg->failmode != DT_FAILMODE_SAFE)
		return rc;
	if (rc != PAM_AUTHINFO_UNAVAIL && rc != PAM_SERVICE_ERR)
		return rc;
	at->degraded = 1;
	return PAM_IGNORE;
}

/* 1, 0 or -1 from the checks, as a PAM code. */
static int code_for_checks(int go, const struct dt_err *err)
{
	if (go > 0)
		return PAM_SUCCESS;
	return go == 0 ? PAM_IGNORE : pam_code_for(err->kind, PAM_SUCCESS);
}

/* The login names the person, then the account's rules decide whether
 * that person may use it (the map sources, the directory rules). Returns
 * 0 when let in, -1 with err set. */
static int identify_and_decide(const struct dt_modcfg *cfg, const struct dt_login_request *req,
			       const struct dt_login_ui *ui, const struct dt_log *log,
			       struct dt_login_outcome *out, struct dt_err *err)
{
	struct dt_access access = {.cfg = cfg, .user = req->user, .log = log};

	if (dt_login_run(cfg, req, ui, log, out, err) < 0 ||
	    dt_access_check(&access, &out->who, err) < 0)
		return -1;
	dt_login_tell_approved(req, ui, &out->who);
	return 0;
}

/* Everything after the configuration and the user are known: the checks
 * that need no network, the login, and recovery codes when DingTalk or
 * the helper cannot be reached. */
static int authenticate(pam_handle_t *pamh, const struct dt_modcfg *cfg, const char *user,
			int flags, struct dt_login_outcome *out, struct dt_err *err)
{
	struct conv_state cs = {.pamh = pamh, .user = NULL, .last_pam_rc = PAM_SUCCESS};
	struct dt_login_ui ui = {
	    .info = show_info, .ask = ask_line, .remember_style = remember_style, .ctx = &cs};
	struct dt_log log = {.fn = log_to_pam, .ctx = pamh, .debug = cfg->debug};
	struct dt_login_request req;
	char command[DT_CONTROL_COMMAND_MAX + 1];
	int go;

	build_request(pamh, cfg, user, flags, &req, command);
	cs.user = req.user;
	go = check_preconditions(pamh, cfg, &req, err);
	if (go <= 0)
		return code_for_checks(go, err);
	req.qr = resolve_qr(pamh, cfg, req.user, pam_item_string(pamh, PAM_TTY));
	if (identify_and_decide(cfg, &req, &ui, &log, out, err) < 0 &&
	    err->kind == DT_ERR_UNAVAIL) {
		int recovered = pam_dt_offer_recovery(pamh, cfg, req.user, req.lang, err);
		if (recovered >= 0)
			return recovered;
	}
	return save_style_if_chosen(&cs, pam_code_for(err->kind, cs.last_pam_rc));
}

/* set_user: the login runs before any account is known; the identity that
 * approved names it (pam_dt_adopt_account), which decides. `chosen`
 * receives that account for the audit line. */
static int authenticate_unnamed(pam_handle_t *pamh, const struct dt_modcfg *cfg, int flags,
				char chosen[DT_ACCOUNT_NAME_MAX + 1], struct dt_login_outcome *out,
				struct dt_err *err)
{
	struct conv_state cs = {.pamh = pamh, .user = NULL, .last_pam_rc = PAM_SUCCESS};
	/* No remember_style: there is nobody yet to remember it for. */
	struct dt_login_ui ui = {
	    .info = show_info, .ask = ask_line, .remember_style = NULL, .ctx = &cs};
	struct dt_log log = {.fn = log_to_pam, .ctx = pamh, .debug = cfg->debug};
	struct dt_login_request req;
	char command[DT_CONTROL_COMMAND_MAX + 1];

	build_request(pamh, cfg, NULL, flags, &req, command);
	if (need_conversation(pamh, &req, err) < 0)
		return pam_code_for(err->kind, PAM_SUCCESS);
	req.qr = resolve_qr(pamh, cfg, NULL, pam_item_string(pamh, PAM_TTY));
	if (dt_login_run(cfg, &req, &ui, &log, out, err) < 0)
		return pam_code_for(err->kind, cs.last_pam_rc);
	/* The approval is acknowledged before the account is looked for:
	 * what follows lets the person in or refuses, and the refusal's
	 * reason goes to the log, not to the terminal. */
	dt_login_tell_approved(&req, &ui, &out->who);
	return code_for_checks(
	    pam_dt_adopt_account(pamh, cfg, &log, &out->who, chosen, DT_ACCOUNT_NAME_MAX + 1, err),
	    err);
}

/* pam_get_user's failures keep their meaning (docs/architecture.md, "PAM
 * codes"): PAM_CONV_AGAIN becomes PAM_INCOMPLETE, an application out of
 * memory PAM_BUF_ERR. */
static int get_user(pam_handle_t *pamh, const char **user, struct dt_err *err)
{
	int rc = pam_dt_conv_get_user(pamh, user);

	if (rc == PAM_SUCCESS && *user != NULL && (*user)[0] != '\0')
		return PAM_SUCCESS;
	*user = NULL;
	if (rc == PAM_SUCCESS)
		dt_err_set(err, DT_ERR_NOUSER, "cannot determine the user: no name given");
	else
		dt_err_set(err, DT_ERR_NOUSER, "cannot determine the user: %s",
			   pam_strerror(pamh, rc));
	switch (rc) {
	case PAM_CONV_AGAIN:
	case PAM_INCOMPLETE:
		return PAM_INCOMPLETE;
	case PAM_BUF_ERR:
	case PAM_CONV_ERR:
		return rc;
	default:
		return PAM_USER_UNKNOWN;
	}
}

/* Before libcurl is set up: a host that answers getenv itself (sudo -E)
 * must not hand it a file to open as root (env_guard.h). */
static int refuse_leaking_host(struct dt_err *err)
{
	const char *name = pam_dt_env_leak();

	if (name == NULL)
		return 0;
	return dt_err_set(err, DT_ERR_CONFIG,
			  "%s from the caller's environment reaches this process's libraries "
			  "(sudo -E, SETENV or env_keep?): refused; unset it or keep it out of "
			  "sudo's environment",
			  name);
}

/* pam_dingtalk_net.so missing, a symbolic link or untrusted beside the module
 * (src/pam/net_loader.c): refused before anything else, never taken for
 * an outage. Linked into a stack on its own, the module once could not
 * load at all without libcurl, and the stack failed closed; failmode =
 * safe must not turn a copy of the module without its library into
 * logins that skip DingTalk. */
static int refuse_broken_install(struct dt_err *err)
{
	return dt_http_backend_check(err);
}

/* A caller who controls the process must not starve it of descriptors or
 * memory (rlimit_guard.h); if the guard could not raise a limit, refuse
 * rather than let the shortage pass for an outage. */
static int refuse_low_limit(struct dt_err *err)
{
	const char *name = pam_dt_env_limit_short();

	if (name == NULL || !caller_controls_process())
		return 0;
	return dt_err_set(err, DT_ERR_CONFIG,
			  "%s below what a login needs and cannot be raised: refused", name);
}

/* A library called setenv while the guard was in place (env_guard.h): the
 * host's environment may be gone. Logged as critical, refused. */
static int refuse_moved_environment(pam_handle_t *pamh, struct dt_err *err)
{
	pam_syslog(pamh, LOG_CRIT,
		   "the process environment was replaced while the module ran (setenv inside "
		   "the login): refused, the host's environment is now empty");
	dt_err_clear(err);
	dt_err_set(err, DT_ERR_INTERNAL, "the process environment was replaced: refused");
	return PAM_SERVICE_ERR;
}

static int authenticate_guarded(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pam_dt_attempt at = {
	    .start_ms = dt_now_ms(), .user = NULL, .format = DT_AUDIT_TEXT, .degraded = 0};
	char chosen[DT_ACCOUNT_NAME_MAX + 1] = "";
	struct dt_login_outcome out;
	struct dt_modcfg cfg;
	struct dt_err err;
	int rc;

	memset(&out, 0, sizeof(out));
	dt_err_clear(&err);
	if (dt_modcfg_load_for(&cfg, pam_item_string(pamh, PAM_SERVICE), argc, argv, &err) < 0) {
		/* Half a configuration says nothing about failmode. */
		rc = pam_code_for(err.kind, PAM_SUCCESS);
		goto done;
	}
	at.format = cfg.audit;
	/* Under su and sudo the proxy variables are the caller's, who could
	 * point DingTalk's traffic at a dead end and make it "unavailable":
	 * there proxy_env is off, so libcurl reads none (CURLOPT_PROXY "",
	 * which also holds inside sudo's getenv) and only `proxy` counts. */
	if (caller_controls_process())
		cfg.proxy_env = 0;
	if (cfg.proxy_env)
		pam_dt_env_allow_proxy();
	if (refuse_leaking_host(&err) < 0 || refuse_low_limit(&err) < 0 ||
	    refuse_broken_install(&err) < 0) {
		/* The caller provoked it, or the host is broken: no failmode
		 * fallback. */
		rc = pam_code_for(err.kind, PAM_SUCCESS);
		goto done;
	}
	if (pam_dt_wants_set_user(pamh, &cfg)) {
		rc = authenticate_unnamed(pamh, &cfg, flags, chosen, &out, &err);
		at.user = chosen[0] != '\0' ? chosen : NULL;
	} else {
		rc = get_user(pamh, &at.user, &err);
		if (rc != PAM_SUCCESS)
			goto done;
		rc = authenticate(pamh, &cfg, at.user, flags, &out, &err);
	}
	rc = apply_failmode(&cfg, rc, &at);
	if (at.degraded)
		dt_err_prefix(&err, "failmode = safe, not checked: ");
done:
	/* No failmode fallback: a refusal, whatever the login's outcome. */
	if (!pam_dt_env_intact())
		rc = refuse_moved_environment(pamh, &err);
	pam_dt_audit(pamh, &at, rc, &out, &err);
	dt_login_outcome_free(&out);
	dt_modcfg_free(&cfg);
	return rc;
}

/* The caller's environment steers nothing the module does: from here to
 * the return, the process's environment is the module's (env_guard.h). */
DT_EXPORT PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
					     const char **argv)
{
	int rc;

	pam_dt_env_enter();
	rc = authenticate_guarded(pamh, flags, argc, argv);
	/* Checked once more as the guard lifts: the audit line may have
	 * called into syslog after the last check. */
	if (pam_dt_env_leave() < 0 && rc != PAM_SERVICE_ERR) {
		pam_syslog(pamh, LOG_CRIT,
			   "the process environment was replaced while the "
			   "module ran: refused");
		rc = PAM_SERVICE_ERR;
	}
	return rc;
}

/* Calls nothing, so there is nothing to guard. */
DT_EXPORT PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
