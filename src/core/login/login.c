#include "config.h"

#include "login/login.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "conf/prompt_after.h"
#include "dingtalk/exchange.h"
#include "login/helper_client.h"
#include "login/helper_fleet.h"
#include "base/http.h"
#include "login/messages.h"
#include "login/prompt.h"
#include "login/requester.h"
#include "login/session.h"
#include "proto/control_api.h"
#include "base/util.h"

/* Time kept back from the deadline to cancel the session at the helper. */
#define CANCEL_RESERVE_MS 1500
/* After Enter, how long to give a phone that is just confirming. */
#define ENTER_CHECK_SECONDS 3

struct login {
	const struct dt_modcfg *cfg;
	const struct dt_login_request *req;
	const struct dt_login_ui *ui;
	const struct dt_log *log;
	struct dt_login_outcome *out;
	struct dt_helper_fleet helper;
	struct dt_session session;
	struct dt_helper_session registered; /* id[0] == '\0' until registered */
	enum dt_qr_style style;
	char host[256];
	int64_t expires_ms;
	int64_t deadline_ms;
	/* The last registration reached a helper and then lost the
	 * connection (http.h: transient, not unsent), as read right after it,
	 * before any other request on the handle. */
	int registration_cut;
};

/* Where a timeout becomes a code (login.h, "Lateness"). A server still
 * silent at the deadline is unreachable, not a refusal: the person did
 * nothing wrong, and failmode decides, not the PAM_AUTH_ERR of a timed-out
 * approval. That holds only where the person cannot have caused the
 * lateness: registering (the helper is slow) and the exchange, which has a
 * budget of its own (DT_EXCHANGE_BUDGET_S), in a process the person cannot
 * signal. When the caller controls the process (su, sudo), stopping it
 * past the budget makes any server look silent, so the timeout stays a
 * timeout: a refusal. */
static int unreachable_if_late(const struct login *l, struct dt_err *err)
{
	if (err->kind != DT_ERR_TIMEOUT)
		return -1;
	if (l->req->caller_controls_process)
		dt_err_prefix(err, "timed out in a process its caller controls (refused, not "
				   "unavailable): ");
	else
		err->kind = DT_ERR_UNAVAIL;
	return -1;
}

/* The other half of the rule (login.h, "Lateness"): when the caller
 * controls the process (su, sudo), it can also starve it (descriptors,
 * memory) or stop it until a server gives up on the connection, and each of
 * those surfaces as a failed connection or transfer, as "unavailable". Once
 * a session is registered, only a helper that really restarted (another
 * instance answered: `lost`) stays unavailable there; any other failure to
 * reach the helper or DingTalk is a refusal. */
static int refused_if_caller_could_cause(const struct login *l, int lost, struct dt_err *err)
{
	if (!l->req->caller_controls_process || lost || err->kind != DT_ERR_UNAVAIL)
		return -1;
	err->kind = DT_ERR_DENIED;
	dt_err_prefix(err, "after registration, in a process its caller controls (refused, not "
			   "unavailable): ");
	return -1;
}

static void cancel_session(struct login *l)
{
	int (*interrupted)(void);
	struct dt_err cerr;

	if (l->registered.id[0] == '\0')
		return;
	/* A pending Ctrl-C must not stop the cancel it caused; after `r` the
	 * new session listens for Ctrl-C again. */
	interrupted = l->helper.http.opts.interrupted;
	l->helper.http.opts.interrupted = NULL;
	dt_err_clear(&cerr);
	if (dt_fleet_cancel(&l->helper, l->registered.id, l->deadline_ms, &cerr) < 0)
		dt_logf(l->log, LOG_WARNING, "cannot cancel session %s: %s", l->registered.id,
			cerr.msg);
	l->helper.http.opts.interrupted = interrupted;
	dt_helper_session_free(&l->registered);
	memset(&l->registered, 0, sizeof(l->registered));
}

/* The helper answered 201 but the answer was not usable (no instance, a
 * bad short link, out of memory while reading it): the session exists
 * there and would count against this requester's quota until its ttl. */
static void cancel_half_registered(struct login *l, struct dt_helper_session *s)
{
	struct dt_err cerr;

	if (s->id[0] == '\0')
		return;
	dt_err_clear(&cerr);
	if (dt_fleet_cancel(&l->helper, s->id, l->deadline_ms, &cerr) < 0)
		dt_logf(l->log, LOG_WARNING, "cannot cancel session %s: %s", s->id, cerr.msg);
	dt_helper_session_free(s);
	memset(s, 0, sizeof(*s));
}

/* A message at the terminal, since nothing else will say it. */
static void tell(struct login *l, enum dt_msg msg)
{
	struct dt_err ignored;

	if (!l->req->silent)
		l->ui->info(l->ui->ctx, dt_msg(l->req->lang, msg), &ignored);
}

/* A limit of the helper turned the registration down: name it in the
 * log line. All of them are refusals (helper_client.h). The requester and
 * the address carry PAM_RHOST, which the client chooses (an escape
 * sequence, a newline): made safe for the log first, in place, as they
 * are not sent again. */
static void name_limit(enum dt_helper_refusal why, char *requester, char *address,
		       struct dt_err *err)
{
	dt_sanitize_text(requester);
	dt_sanitize_text(address);
	switch (why) {
	case DT_HELPER_REFUSED_REQUESTER:
		dt_err_prefix(err, "too many logins pending for requester %s: ", requester);
		break;
	case DT_HELPER_REFUSED_ADDRESS:
		dt_err_prefix(err, "too many logins pending from address %s: ", address);
		break;
	case DT_HELPER_REFUSED_FULL:
		dt_err_prefix(err, "the helper is full (max_pending), login refused: ");
		break;
	case DT_HELPER_REFUSED_HOST:
		dt_err_prefix(err, "this host has max_pending_per_host logins pending at the "
				   "service, login refused: ");
		break;
	case DT_HELPER_REFUSED_NONE:
		break;
	}
}

/* ... and at the terminal, when it ends the login. */
static void tell_limit(struct login *l, enum dt_helper_refusal why)
{
	if (why == DT_HELPER_REFUSED_REQUESTER)
		tell(l, DT_MSG_TOO_MANY_PENDING);
	else if (why == DT_HELPER_REFUSED_ADDRESS)
		tell(l, DT_MSG_TOO_MANY_FROM_ADDRESS);
	else if (why == DT_HELPER_REFUSED_FULL || why == DT_HELPER_REFUSED_HOST)
		tell(l, DT_MSG_HELPER_FULL); /* "pending on this server": this host */
}

/* Creates fresh secrets in *s and registers them with the helper as *out;
 * the login's current session is left alone. */
static int register_session(struct login *l, struct dt_session *s, struct dt_helper_session *out,
			    struct dt_err *err)
{
	struct dt_helper_registration reg;
	char requester[DT_CONTROL_REQUESTER_MAX + 1], address[DT_CONTROL_REQUESTER_MAX + 1];
	char *authorize_url;
	int64_t left;
	int rc;

	memset(out, 0, sizeof(*out));
	if (dt_session_new(s, err) < 0)
		return -1;
	authorize_url = dt_authorize_url(l->cfg, s, err);
	if (authorize_url == NULL)
		return -1;
	reg.state = s->state;
	reg.number = s->number;
	reg.user = l->req->user != NULL ? l->req->user : DT_LOGIN_ANY_ACCOUNT;
	reg.service = l->req->service;
	reg.host = l->host;
	reg.rhost = l->req->rhost != NULL ? l->req->rhost : "";
	reg.authorize_url = authorize_url;
	reg.command = l->req->sudo_command;
	dt_requester(requester, sizeof(requester), getuid(), l->req->rhost, l->req->service,
		     l->req->user);
	dt_requester_address(address, sizeof(address), getuid(), l->req->rhost, l->req->service);
	reg.requester = requester;
	reg.requester_address = address;
	/* Rounded down near the deadline the seconds left may be 0, which the
	 * helper refuses; the module's own deadline ends the login anyway. */
	left = (l->deadline_ms - dt_now_ms()) / 1000;
	reg.ttl = left > DT_CONTROL_TTL_MIN ? (unsigned)left : DT_CONTROL_TTL_MIN;
	rc = dt_fleet_register(&l->helper, &reg, l->deadline_ms, out, err);
	l->registration_cut = rc < 0 && l->helper.http.transient && !l->helper.http.unsent;
	dt_free_secret(authorize_url);
	if (rc < 0) {
		cancel_half_registered(l, out);
		name_limit(out->refused, requester, address, err);
		return -1;
	}
	dt_logf(l->log, LOG_DEBUG, "session %s registered for %s", out->id, reg.user);
	return 0;
}

/* The registration's half of the rule above: under su and sudo, a request
 * that reached the helper and then lost its connection may be the
 * caller's doing (the process stopped until the helper dropped the idle
 * connection, SECURITY.md), so it is a refusal there. A helper that could
 * not be reached at all (no connection: `unsent`) or that answered with
 * an error of its own stays unavailable. */
static int refused_if_caller_cut_it(const struct login *l, struct dt_err *err)
{
	if (!l->req->caller_controls_process || err->kind != DT_ERR_UNAVAIL || !l->registration_cut)
		return -1;
	err->kind = DT_ERR_DENIED;
	dt_err_prefix(err, "the connection to the helper was made and then broke, in a process "
			   "its caller controls (refused, not unavailable): ");
	return -1;
}

/* Makes l->registered the session the login waits for. */
static void adopt_session(struct login *l)
{
	l->expires_ms = dt_now_ms() + (int64_t)l->registered.expires_in * 1000;
	snprintf(l->out->session_id, sizeof(l->out->session_id), "%s", l->registered.id);
}

/* Creates fresh secrets and registers them with the helper. */
static int start_session(struct login *l, struct dt_err *err)
{
	if (register_session(l, &l->session, &l->registered, err) < 0) {
		tell_limit(l, l->registered.refused);
		if (err->kind == DT_ERR_DENIED)
			return -1;
		unreachable_if_late(l, err);
		return refused_if_caller_cut_it(l, err);
	}
	adopt_session(l);
	return 0;
}

/* Below this much time before the deadline, `r` keeps the QR on screen:
 * nobody scans and approves a new one in less. */
#define RENEW_MIN_MS 5000

/* `r`: a new QR. The new session is registered before the old one is
 * cancelled, and if that fails for any reason (the helper full, which
 * others can cause, a helper error, the deadline near) the old one stays:
 * its QR on the screen is still valid, so `r` can never end the login, let
 * alone as "unavailable". Only Ctrl-C during the registration ends it. */
static int renew_session(struct login *l, struct dt_err *err)
{
	struct dt_session fresh;
	struct dt_helper_session reg;
	struct dt_err rerr;

	if (l->deadline_ms - CANCEL_RESERVE_MS - dt_now_ms() < RENEW_MIN_MS) {
		tell(l, DT_MSG_NEW_CODE_TOO_LATE);
		return 0;
	}
	dt_err_clear(&rerr);
	if (register_session(l, &fresh, &reg, &rerr) < 0) {
		dt_session_wipe(&fresh);
		dt_helper_session_free(&reg);
		if (rerr.kind == DT_ERR_INTERRUPTED) {
			*err = rerr;
			return -1;
		}
		dt_logf(l->log, LOG_WARNING, "no new session for `r`, session %s kept: %s",
			l->registered.id, rerr.msg);
		tell(l, DT_MSG_NEW_CODE_FAILED);
		return 0;
	}
	cancel_session(l);
	dt_session_wipe(&l->session);
	l->session = fresh;
	l->registered = reg;
	dt_session_wipe(&fresh);
	adopt_session(l);
	return 0;
}

static unsigned seconds_left(const struct login *l)
{
	int64_t left = l->expires_ms - dt_now_ms();

	return left > 0 ? (unsigned)(left / 1000) : 0;
}

/* The whole picture: title, QR, link, number and expiry. */
static char *full_prompt(struct login *l, struct dt_err *err)
{
	struct dt_prompt_info info;

	info.user = l->req->user;
	info.host = l->host;
	info.service = l->req->service;
	info.short_url = l->registered.short_url;
	info.number = l->session.number;
	info.expires_in = seconds_left(l);
	info.qr = l->style;
	info.lang = l->req->lang;
	info.command = l->req->command;
	return dt_prompt_text(&info, err);
}

/* The login ends here for `end`: said at the terminal, kept for the
 * audit line. */
static void ended(struct login *l, enum dt_login_end end)
{
	static const enum dt_msg said[] = {
	    [DT_END_NOT_ME] = DT_MSG_REFUSED_NOT_ME,
	    [DT_END_WRONG_NUMBER] = DT_MSG_REFUSED_WRONG,
	    [DT_END_DENIED] = DT_MSG_REFUSED_ON_PHONE,
	    [DT_END_TIMEOUT] = DT_MSG_TIMED_OUT,
	};

	l->out->ended = end;
	if (end != DT_END_NONE)
		tell(l, said[end]);
}

/* The phone's refusal (the wait's `reason`). "Not me" stands out: the
 * person DingTalk named says someone else started this login, so the
 * password or the session that started it may be known to another. */
static int refused_on_phone(struct login *l, const char *reason, struct dt_err *err)
{
	if (strcmp(reason, DT_CONTROL_REASON_NOT_ME) == 0) {
		ended(l, DT_END_NOT_ME);
		return dt_err_set(err, DT_ERR_DENIED,
				  "session %s refused on the phone by the person (not_me): "
				  "someone else started this login",
				  l->registered.id);
	}
	if (strcmp(reason, DT_CONTROL_REASON_WRONG_NUMBER) == 0)
		ended(l, DT_END_WRONG_NUMBER);
	else if (strcmp(reason, DT_CONTROL_REASON_DENIED) == 0)
		ended(l, DT_END_DENIED);
	return dt_err_set(err, DT_ERR_DENIED, "session %s refused on the phone (%s)",
			  l->registered.id, reason);
}

/* What the helper's answer means: 1 approved, 0 pending, -1 ended. */
static int wait_outcome(struct login *l, const struct dt_wait_result *w, struct dt_err *err)
{
	switch (w->status) {
	case DT_WAIT_APPROVED:
		return 1;
	case DT_WAIT_PENDING:
		return 0;
	case DT_WAIT_REFUSED:
		return refused_on_phone(l, w->reason, err);
	case DT_WAIT_EXPIRED:
		ended(l, DT_END_TIMEOUT);
		return dt_err_set(err, DT_ERR_TIMEOUT,
				  "session %s timed out: expired at the helper", l->registered.id);
	case DT_WAIT_GONE:
		break;
	}
	/* The same helper instance ended the session and has since forgotten
	 * how (helper_client.h): whatever it was (refused, cancelled, expired,
	 * code already released), the person's doing, so a refusal. Waiting
	 * until the helper forgets must not turn a refusal into
	 * "unavailable". */
	return dt_err_set(err, DT_ERR_DENIED,
			  "session %s ended at the helper (refused, cancelled, expired or used) "
			  "and its outcome was forgotten",
			  l->registered.id);
}

/* One long-poll of at most `seconds`. Returns 1 with *code set when
 * approved, 0 when still pending, -1 on an error or a decision against. */
static int check_phone(struct login *l, unsigned seconds, int64_t stop, char **code,
		       struct dt_err *err)
{
	struct dt_wait_result w;
	int rc;

	memset(&w, 0, sizeof(w));
	if (dt_fleet_wait(&l->helper, &l->registered, seconds, stop, &w, err) < 0) {
		if (err->kind == DT_ERR_TIMEOUT)
			return 0;
		return refused_if_caller_could_cause(l, w.lost, err);
	}
	rc = wait_outcome(l, &w, err);
	if (rc == 1) {
		*code = w.code; /* ownership passes to the caller */
		return 1;
	}
	dt_wait_result_free(&w);
	return rc;
}

static char *timed_out(struct login *l, struct dt_err *err)
{
	ended(l, DT_END_TIMEOUT);
	dt_err_set(err, DT_ERR_TIMEOUT, "session %s timed out: no approval within %u seconds",
		   l->registered.id, l->cfg->timeout);
	return NULL;
}

/* Over sshd, the link and the number first, alone and in ASCII: an
 * OpenSSH client before 10.3 shows a message without a prompt through its
 * logger, which cuts it after 1,023 characters (the QR's) and escapes
 * other bytes (login.h, over_ssh). */
static int show_ascii_link(struct login *l, struct dt_err *err)
{
	char *line =
	    dt_msg_ascii_link(l->req->user, l->host, l->registered.short_url, l->session.number);
	int rc;

	if (line == NULL)
		return dt_err_oom(err);
	rc = l->ui->info(l->ui->ctx, line, err);
	free(line);
	return rc;
}

/* Until when a wait without a prompt lasts before it turns into the prompt
 * (over sshd only; elsewhere until the deadline): prompt_after, cut so that
 * the prompt leaves time to use it (conf/prompt_after.h), and said once
 * when cut. */
static int64_t prompt_deadline(const struct login *l, int64_t stop)
{
	unsigned after = dt_prompt_after_effective(l->cfg);
	int64_t at;

	if (!l->req->over_ssh || l->cfg->prompt_after == 0)
		return stop;
	if (after < l->cfg->prompt_after)
		dt_logf(l->log, LOG_NOTICE,
			"prompt_after = %u s leaves too little of timeout = %u s for the prompt: "
			"the prompt comes after %u s; set prompt_after to at most timeout - %u",
			l->cfg->prompt_after, l->cfg->timeout, after, DT_PROMPT_AFTER_RESERVE_S);
	at = dt_now_ms() + (int64_t)after * 1000;
	return at < stop ? at : stop;
}

static char *wait_for_enter(struct login *l, int fallback, struct dt_err *err);

/* With the QR on the screen and the person still reaching for the phone:
 * libcurl's side of the HTTP client (about 4 ms of loading and OpenSSL's
 * set-up, base/http_backend.h) is loaded now, so that the approval does not wait
 * for it and the QR did not either. A failure is reported again by the
 * exchange's dt_http_init; it is logged now, while the person scans.
 * Not on a thread of its own: the environment
 * guard gives the application's environment back to the whole process
 * during each conversation (src/pam/env_guard.h), and libcurl reads
 * SSLKEYLOGFILE while it sets up. wait = enter has no such moment (its
 * QR is the prompt, which returns only with Enter): it loads at the
 * exchange. */
static void preload_while_scanning(const struct login *l)
{
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_http_preload(&err) < 0)
		dt_logf(l->log, LOG_ERR, "session %s: %s", l->registered.id, err.msg);
}

/* wait = poll: show the QR and long-poll until the phone decides or the
 * deadline nears. Over sshd, no decision within prompt_after seconds
 * turns the wait into wait = enter's prompt: on a client that showed
 * nothing, or an sshd that held the messages back, the person still gets
 * the link, the number and a way to answer. Returns the authorization
 * code or NULL with err set. */
static char *wait_polling(struct login *l, struct dt_err *err)
{
	int64_t stop = l->deadline_ms - CANCEL_RESERVE_MS, until;
	char *text, *code = NULL;
	int64_t left;
	int rc;

	if (l->req->over_ssh && show_ascii_link(l, err) < 0)
		return NULL;
	text = full_prompt(l, err);
	if (text == NULL)
		return NULL;
	rc = l->ui->info(l->ui->ctx, text, err);
	free(text);
	if (rc < 0)
		return NULL;
	preload_while_scanning(l);
	until = prompt_deadline(l, stop);
	while ((left = until - dt_now_ms()) >= 1000) {
		unsigned t = left / 1000 > DT_CONTROL_WAIT_DEFAULT_S ? DT_CONTROL_WAIT_DEFAULT_S
								     : (unsigned)(left / 1000);
		rc = check_phone(l, t, until, &code, err);
		if (rc != 0)
			return rc > 0 ? code : NULL;
	}
	if (until < stop) {
		dt_logf(l->log, LOG_INFO,
			"session %s: no decision after %u seconds without a prompt, asking for "
			"Enter",
			l->registered.id, dt_prompt_after_effective(l->cfg));
		return wait_for_enter(l, 1, err);
	}
	return timed_out(l, err);
}

/* The re-prompt after Enter while pending: the link and number again, but
 * not the whole QR (it is still on the screen above). */
static char *short_reminder(struct login *l, enum dt_msg note)
{
	char *number = dt_msg_number(l->req->lang, l->session.number, seconds_left(l));
	char *text = NULL;

	if (number != NULL)
		text = dt_asprintf("%s\n  %s\n%s", dt_msg(l->req->lang, note),
				   l->registered.short_url, number);
	free(number);
	return text;
}

static int ask_choice(struct login *l, const char *body, char **answer, struct dt_err *err)
{
	char *text = dt_asprintf("%s\n%s", body, dt_msg(l->req->lang, DT_MSG_PRESS_ENTER));
	int rc;

	if (text == NULL)
		return dt_err_oom(err);
	rc = l->ui->ask(l->ui->ctx, text, answer, err);
	free(text);
	return rc;
}

/* The first non-blank character, lower-cased; '\0' for Enter alone. */
static int choice_of(const char *answer)
{
	while (*answer == ' ' || *answer == '\t')
		answer++;
	return tolower((unsigned char)*answer);
}

enum step { STEP_SHOW_QR, STEP_NOT_YET, STEP_UNKNOWN, STEP_FALLBACK };

/* Acts on one answer. Returns 1 with *code when approved, 0 to prompt
 * again (with *next saying what to show), -1 on an error. */
static int handle_choice(struct login *l, int choice, enum step *next, char **code,
			 struct dt_err *err)
{
	int64_t stop = l->deadline_ms - CANCEL_RESERVE_MS;
	int rc;

	switch (choice) {
	case '\0':
		rc = check_phone(l, ENTER_CHECK_SECONDS, stop, code, err);
		*next = STEP_NOT_YET;
		return rc;
	case 'r':
		*next = STEP_SHOW_QR;
		return renew_session(l, err);
	case 'a':
	case 'u':
		l->style = choice == 'a' ? DT_QR_ASCII : DT_QR_UTF8;
		if (l->ui->remember_style != NULL)
			l->ui->remember_style(l->ui->ctx, l->style);
		*next = STEP_SHOW_QR;
		return 0;
	default:
		*next = STEP_UNKNOWN;
		return 0;
	}
}

/* The reminder above each prompt after the first. */
static enum dt_msg reminder_of(enum step next)
{
	switch (next) {
	case STEP_NOT_YET:
		return DT_MSG_NOT_YET;
	case STEP_FALLBACK:
		return DT_MSG_PROMPT_FALLBACK;
	case STEP_UNKNOWN:
	case STEP_SHOW_QR:
		break;
	}
	return DT_MSG_UNKNOWN_KEY;
}

/* wait = enter: the QR travels with a prompt, because OpenSSH before 10.3
 * holds info messages until the next prompt. `fallback`: wait_polling
 * showed the QR already and had no decision; the first prompt carries the
 * link and the number, not the QR again. */
static char *wait_for_enter(struct login *l, int fallback, struct dt_err *err)
{
	enum step next = fallback ? STEP_FALLBACK : STEP_SHOW_QR;
	char *body, *answer = NULL, *code = NULL;
	unsigned tries;
	int rc;

	for (tries = 0; tries < l->cfg->max_tries; tries++) {
		body = next == STEP_SHOW_QR ? full_prompt(l, err)
					    : short_reminder(l, reminder_of(next));
		if (body == NULL) {
			if (err->kind == DT_OK)
				dt_err_oom(err);
			return NULL;
		}
		rc = ask_choice(l, body, &answer, err);
		free(body);
		if (rc < 0)
			return NULL;
		if (strcmp(answer, DT_SSHD_FAKE_PASSWORD) == 0) {
			dt_free_secret(answer);
			/* A denial nobody made on the phone: the helper still
			 * waits for one, so end the session there. */
			cancel_session(l);
			dt_err_set(err, DT_ERR_DENIED, "sshd marked the user as invalid");
			return NULL;
		}
		if (dt_now_ms() >= l->deadline_ms - CANCEL_RESERVE_MS) {
			dt_free_secret(answer);
			return timed_out(l, err);
		}
		rc = handle_choice(l, choice_of(answer), &next, &code, err);
		dt_free_secret(answer);
		if (rc != 0)
			return rc > 0 ? code : NULL;
	}
	dt_err_set(err, DT_ERR_MAXTRIES, "session %s: not approved after %u prompts",
		   l->registered.id, l->cfg->max_tries);
	return NULL;
}

static int identify(struct login *l, const char *code, struct dt_err *err)
{
	struct dt_http_opts opts = {
	    .ca_file = l->cfg->ca_file, .proxy = l->cfg->proxy, .peer_name = "DingTalk"};
	int64_t budget = dt_now_ms() + (int64_t)DT_EXCHANGE_BUDGET_S * 1000;
	struct dt_http api;
	int rc;

	rc = dt_http_init(&api, &opts, err);
	if (rc < 0 && l->req->caller_controls_process && err->kind != DT_ERR_DENIED) {
		/* Loading libcurl's side can fail for want of memory or
		 * descriptors, which the caller of su or sudo controls. */
		err->kind = DT_ERR_UNAVAIL;
		return refused_if_caller_could_cause(l, 0, err);
	}
	/* The exchange gets its own time (login.h), not what the person left
	 * of the login's: Enter at the last moment is no fault of DingTalk's,
	 * and DingTalk silent for the whole budget is truly unreachable. */
	if (rc == 0)
		rc = dt_dingtalk_identify(&api, l->cfg, code,
					  budget > l->deadline_ms ? budget : l->deadline_ms,
					  &l->out->who, err);
	dt_http_cleanup(&api);
	if (rc < 0) {
		unreachable_if_late(l, err);
		return refused_if_caller_could_cause(l, 0, err);
	}
	dt_logf(l->log, LOG_DEBUG, "session %s: DingTalk names unionId %s (%s)", l->registered.id,
		l->out->who.union_id, l->out->who.nick);
	return 0;
}

static int run(struct login *l, struct dt_err *err)
{
	char *code;
	int rc;

	if (start_session(l, err) < 0)
		return -1;
	code = l->req->wait == DT_WAIT_ENTER ? wait_for_enter(l, 0, err) : wait_polling(l, err);
	if (code == NULL) {
		if (err->kind != DT_ERR_DENIED && err->kind != DT_ERR_UNAVAIL)
			cancel_session(l);
		return -1;
	}
	rc = identify(l, code, err);
	dt_free_secret(code);
	return rc;
}

int dt_login_run(const struct dt_modcfg *cfg, const struct dt_login_request *req,
		 const struct dt_login_ui *ui, const struct dt_log *log,
		 struct dt_login_outcome *out, struct dt_err *err)
{
	struct login l;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	l.cfg = cfg;
	l.req = req;
	l.ui = ui;
	l.log = log;
	l.out = out;
	l.style = req->qr;
	l.deadline_ms = dt_now_ms() + (int64_t)cfg->timeout * 1000;
	if (gethostname(l.host, sizeof(l.host) - 1) != 0)
		snprintf(l.host, sizeof(l.host), "localhost");
	if (dt_fleet_init(&l.helper, cfg, l.host, log, dt_interrupt_pending, err) < 0)
		return -1;
	rc = run(&l, err);
	dt_fleet_cleanup(&l.helper);
	dt_helper_session_free(&l.registered);
	dt_session_wipe(&l.session);
	return rc;
}

void dt_login_tell_approved(const struct dt_login_request *req, const struct dt_login_ui *ui,
			    const struct dt_identity *who)
{
	struct dt_err ignored;
	char *text;

	if (req->silent || req->wait == DT_WAIT_ENTER)
		return;
	text = dt_msg_approved(req->lang, who->nick);
	if (text != NULL)
		ui->info(ui->ctx, text, &ignored);
	free(text);
}

const char *dt_login_end_name(enum dt_login_end end)
{
	switch (end) {
	case DT_END_NOT_ME:
		return "not_me";
	case DT_END_WRONG_NUMBER:
		return "wrong_number";
	case DT_END_DENIED:
		return "denied";
	case DT_END_TIMEOUT:
		return "timeout";
	case DT_END_NONE:
		break;
	}
	return NULL;
}

void dt_login_outcome_free(struct dt_login_outcome *out)
{
	dt_identity_free(&out->who);
}
