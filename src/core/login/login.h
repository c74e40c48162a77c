/* One whole login, without PAM: register a session with the helper, show
 * the QR, wait for the phone, exchange the code: DingTalk names the
 * person. Whether that person may use the account is the caller's
 * decision, made after dt_login_run returns (dt_access_check in
 * access/login_policy.h). The PAM module and dingtalk-ctl drive it with
 * their own way of showing text. */
#ifndef DT_LOGIN_H
#define DT_LOGIN_H

#include "dingtalk/identity.h"
#include "base/err.h"
#include "base/log.h"
#include "conf/modcfg.h"

struct dt_login_ui {
	/* Shows text to the person at the terminal (PAM_TEXT_INFO). */
	int (*info)(void *ctx, const char *text, struct dt_err *err);
	/* Shows text and reads a line back (PAM_PROMPT_ECHO_ON); the answer is
	 * malloc'd. */
	int (*ask)(void *ctx, const char *text, char **answer, struct dt_err *err);
	/* The person switched the QR rendering. Called mid-login, before
	 * anyone is authenticated: note it, and persist it only once the
	 * login has succeeded. May be NULL. */
	void (*remember_style)(void *ctx, enum dt_qr_style style);
	void *ctx;
};

/* What the caller has resolved: no AUTO values here. */
struct dt_login_request {
	const char *user; /* NULL for set_user: no account known yet */
	const char *service;
	const char *rhost;   /* may be NULL */
	const char *command; /* sudo: the command being approved, or NULL */
	/* sudo's command as proto/command_text.h's dt_command_shown made it,
	 * sent to the helper for the phone's page (`command`), or NULL: only
	 * a command sudo named, never the title's other texts ("su root"). */
	const char *sudo_command;
	enum dt_wait_mode wait;
	/* The conversation is sshd's keyboard-interactive (PAM_TTY "ssh"):
	 * with wait = poll the link and number first go out as one short
	 * ASCII message, and after cfg->prompt_after seconds without a
	 * decision the wait turns into the prompt (docs/ssh-wait.md). */
	int over_ssh;
	enum dt_qr_style qr;
	enum dt_lang lang;
	int silent; /* PAM_SILENT: no chatter (the QR is always shown) */
	/* Whoever asked for this login can stop, continue and starve the
	 * process running it: the invoking user of su and sudo (their real
	 * uid stays the process's, so they may signal it, and Ctrl-Z works).
	 * Then lateness proves nothing about DingTalk or the helper, and a
	 * timeout is a refusal (dt_login_run). 0 for root daemons (sshd,
	 * login), whose remote person cannot signal them, and for
	 * dingtalk-ctl, where nothing rests on DT_ERR_UNAVAIL. */
	int caller_controls_process;
};

/* What the helper's confirmation page shows as the user when req->user is
 * NULL: the phone must not suggest that some named account is at stake. */
#define DT_LOGIN_ANY_ACCOUNT "(the account bound to your DingTalk identity)"

/* How a login that was not approved ended, when the phone or the clock
 * said so: the audit line's `cause`. */
enum dt_login_end {
	DT_END_NONE,	     /* approved, or ended some other way */
	DT_END_NOT_ME,	     /* the person tapped "Not me": someone else started it */
	DT_END_WRONG_NUMBER, /* the wrong number was chosen on the phone */
	DT_END_DENIED,	     /* refused in DingTalk on the phone (error= on the callback) */
	DT_END_TIMEOUT,	     /* no approval before the login's or the session's end */
};

struct dt_login_outcome {
	struct dt_identity who; /* set once DingTalk named the person */
	char session_id[64];	/* the helper's id, for logs */
	enum dt_login_end ended;
};

/* "not_me", "wrong_number", "denied", "timeout"; NULL for DT_END_NONE. */
const char *dt_login_end_name(enum dt_login_end end);

/* Once the code is in hand, DingTalk's exchange (and the directory) gets
 * this long whatever is left of the login's timeout: Enter pressed just
 * before the deadline must not turn an approval into "unavailable". A
 * login can therefore end up to this long after `timeout`. */
#define DT_EXCHANGE_BUDGET_S 10

/* sshd answers prompts with this for users that do not exist. */
#define DT_SSHD_FAKE_PASSWORD "\b\n\r\177INCORRECT"

/* Returns 0 when DingTalk named the person who approved on the phone:
 * out->who holds the identity (and out->session_id the helper's session,
 * for logs), to be checked by the caller. Otherwise -1 with err's kind
 * saying why (DT_ERR_DENIED, DT_ERR_TIMEOUT, DT_ERR_UNAVAIL,
 * DT_ERR_MAXTRIES, DT_ERR_CONFIG ...). `out` may hold the identity even
 * on failure, for the log; free it with dt_login_outcome_free. Nothing is
 * said at the terminal about success: that is dt_login_tell_approved's,
 * once the caller has decided.
 *
 * The downgrade invariant: once a session is registered, nothing the
 * person at the terminal or on the phone does ends the login in
 * DT_ERR_UNAVAIL (nor in DT_ERR_INTERNAL or DT_ERR_CONFIG, which failmode =
 * safe would also turn into PAM_IGNORE). Refusing, a wrong number, letting
 * the helper forget the session, too many pending logins of one's own,
 * Enter at the last moment, a made-up code: each is DT_ERR_DENIED or
 * DT_ERR_TIMEOUT. DT_ERR_UNAVAIL means that the helper or DingTalk could
 * not be reached, or that the helper restarted (its instance changed).
 *
 * Lateness: for a root daemon (caller_controls_process 0), a helper silent
 * while registering, or DingTalk silent for the exchange's whole budget,
 * is DT_ERR_UNAVAIL. When req->caller_controls_process is set, every
 * timeout (registering, waiting, the exchange) stays DT_ERR_TIMEOUT, a
 * refusal: the caller can stop the process past any budget (SIGSTOP,
 * Ctrl-Z) and must not turn that into "unavailable". It can also starve
 * the process (descriptors) or stop it until a server drops the
 * connection, which shows as a failed transfer, not a timeout: so there,
 * once a session is registered, every failure to reach the helper or
 * DingTalk is DT_ERR_DENIED, except a helper that restarted (another
 * instance answered). Before registration a refused connection stays
 * DT_ERR_UNAVAIL: the helper is truly down. SECURITY.md, "The person at
 * the terminal". */
int dt_login_run(const struct dt_modcfg *cfg, const struct dt_login_request *req,
		 const struct dt_login_ui *ui, const struct dt_log *log,
		 struct dt_login_outcome *out, struct dt_err *err);

/* "Approved" at the terminal, with DingTalk's nick for the person: for
 * the caller to say once it has let the identity in. Nothing under
 * req->silent, nor with wait = enter, where sshd would hold it back until
 * after the login anyway. */
void dt_login_tell_approved(const struct dt_login_request *req, const struct dt_login_ui *ui,
			    const struct dt_identity *who);

void dt_login_outcome_free(struct dt_login_outcome *out);

#endif
