#include "config.h"

#include "login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_client.h"
#include "http.h"
#include "mapping.h"
#include "prompt.h"
#include "qr.h"
#include "session.h"
#include "util.h"

/* Time kept back from the deadline to cancel the session at the helper. */
#define CANCEL_RESERVE_MS 1500

struct login {
	const struct dt_modcfg *cfg;
	const struct dt_login_request *req;
	const struct dt_login_ui *ui;
	const struct dt_log *log;
	struct dt_login_outcome *out;
	struct dt_http helper;
	struct dt_session session;
	struct dt_helper_session registered;
	char host[256];
	int64_t deadline_ms;
};

/* A server that is still silent at the deadline is unreachable, not a
 * refusal: the person did nothing wrong, and failmode decides, not the
 * PAM_AUTH_ERR of a timed-out approval. */
static int unreachable_if_late(struct dt_err *err)
{
	if (err->kind == DT_ERR_TIMEOUT)
		err->kind = DT_ERR_UNAVAIL;
	return -1;
}

static int register_session(struct login *l, struct dt_err *err)
{
	struct dt_helper_registration reg;
	char *authorize_url = dt_authorize_url(l->cfg, &l->session, err);
	int rc;

	if (authorize_url == NULL)
		return -1;
	reg.state = l->session.state;
	reg.number = l->session.number;
	reg.user = l->req->user;
	reg.service = l->req->service;
	reg.host = l->host;
	reg.rhost = l->req->rhost != NULL ? l->req->rhost : "";
	reg.authorize_url = authorize_url;
	reg.ttl = l->cfg->timeout;
	rc = dt_helper_register(&l->helper, &reg, l->deadline_ms, &l->registered, err);
	dt_free_secret(authorize_url);
	if (rc < 0)
		unreachable_if_late(err);
	if (rc == 0)
		snprintf(l->out->session_id, sizeof(l->out->session_id), "%s", l->registered.id);
	return rc;
}

static int show_prompt(struct login *l, struct dt_err *err)
{
	struct dt_prompt_info info;
	char *text;
	int rc;

	info.user = l->req->user;
	info.host = l->host;
	info.service = l->req->service;
	info.short_url = l->registered.short_url;
	info.number = l->session.number;
	info.expires_in = l->registered.expires_in;
	info.qr =
	    l->cfg->qr == DT_QR_AUTO ? dt_qr_auto_style(l->req->tty) : (enum dt_qr_style)l->cfg->qr;
	text = dt_prompt_text(&info, err);
	if (text == NULL)
		return -1;
	rc = l->ui->info(l->ui->ctx, text, err);
	free(text);
	return rc;
}

static int wait_outcome(struct login *l, const struct dt_wait_result *w, struct dt_err *err)
{
	switch (w->status) {
	case DT_WAIT_APPROVED:
		return 1;
	case DT_WAIT_PENDING:
		return 0;
	case DT_WAIT_REFUSED:
		return dt_err_set(err, DT_ERR_DENIED, "session %s refused on the phone (%s)",
				  l->registered.id, w->reason);
	case DT_WAIT_EXPIRED:
		return dt_err_set(err, DT_ERR_TIMEOUT, "session %s expired at the helper",
				  l->registered.id);
	case DT_WAIT_GONE:
		break;
	}
	return dt_err_set(err, DT_ERR_UNAVAIL,
			  "%s: the helper no longer knows session %s (was it restarted?)",
			  l->cfg->helper, l->registered.id);
}

/* Long-polls the helper until the phone decides or the deadline nears.
 * Returns the authorization code (a secret) or NULL with err set. */
static char *wait_for_phone(struct login *l, struct dt_err *err)
{
	int64_t stop = l->deadline_ms - CANCEL_RESERVE_MS;
	struct dt_wait_result w;
	int64_t left;
	int rc;

	while ((left = stop - dt_now_ms()) >= 1000) {
		unsigned t =
		    left / 1000 > DT_HELPER_MAX_WAIT ? DT_HELPER_MAX_WAIT : (unsigned)(left / 1000);
		if (dt_helper_wait(&l->helper, l->registered.id, t, stop, &w, err) < 0) {
			if (err->kind == DT_ERR_TIMEOUT)
				break;
			return NULL;
		}
		rc = wait_outcome(l, &w, err);
		if (rc == 1)
			return w.code; /* ownership passes to the caller */
		dt_wait_result_free(&w);
		if (rc < 0)
			return NULL;
	}
	dt_err_set(err, DT_ERR_TIMEOUT, "session %s: no approval within %u seconds",
		   l->registered.id, l->cfg->timeout);
	return NULL;
}

static void cancel_session(struct login *l)
{
	struct dt_err cerr;

	dt_err_clear(&cerr);
	if (dt_helper_cancel(&l->helper, l->registered.id, l->deadline_ms, &cerr) < 0)
		dt_logf(l->log, LOG_WARNING, "cannot cancel session %s: %s", l->registered.id,
			cerr.msg);
}

static int identify_and_map(struct login *l, const char *code, struct dt_err *err)
{
	struct dt_http_opts opts = {l->cfg->ca_file, l->cfg->proxy, NULL, "DingTalk", 0};
	struct dt_map_result map;
	struct dt_http api;
	int rc;

	if (dt_http_init(&api, &opts, err) < 0)
		return -1;
	rc = dt_dingtalk_identify(&api, l->cfg, code, l->deadline_ms, &l->out->who, err);
	dt_http_cleanup(&api);
	if (rc < 0)
		return unreachable_if_late(err);
	dt_logf(l->log, LOG_DEBUG, "session %s: DingTalk names unionId %s (%s)", l->registered.id,
		l->out->who.union_id, l->out->who.nick);
	if (dt_map_match_file(l->cfg->map_file, l->out->who.union_id, l->req->user, &map, err) < 0)
		return -1;
	if (map.allowed)
		return 0;
	if (map.known)
		return dt_err_set(
		    err, DT_ERR_DENIED, "unionId %s (%s) is bound to '%s', not to '%s'",
		    l->out->who.union_id, l->out->who.nick, map.other_user, l->req->user);
	return dt_err_set(err, DT_ERR_DENIED, "unionId %s (%s) is not in the map file %s",
			  l->out->who.union_id, l->out->who.nick, l->cfg->map_file);
}

static int run(struct login *l, struct dt_err *err)
{
	char *code;
	int rc;

	if (dt_session_new(&l->session, err) < 0 || register_session(l, err) < 0)
		return -1;
	dt_logf(l->log, LOG_DEBUG, "session %s registered for %s", l->registered.id, l->req->user);
	if (show_prompt(l, err) < 0) {
		cancel_session(l);
		return -1;
	}
	code = wait_for_phone(l, err);
	if (code == NULL) {
		if (err->kind == DT_ERR_TIMEOUT || err->kind == DT_ERR_CONV)
			cancel_session(l);
		return -1;
	}
	rc = identify_and_map(l, code, err);
	dt_free_secret(code);
	return rc;
}

int dt_login_run(const struct dt_modcfg *cfg, const struct dt_login_request *req,
		 const struct dt_login_ui *ui, const struct dt_log *log,
		 struct dt_login_outcome *out, struct dt_err *err)
{
	struct dt_http_opts opts = {NULL, NULL, dt_helper_socket_path(cfg->helper), "helper", 0};
	struct login l;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	l.cfg = cfg;
	l.req = req;
	l.ui = ui;
	l.log = log;
	l.out = out;
	l.deadline_ms = dt_now_ms() + (int64_t)cfg->timeout * 1000;
	if (gethostname(l.host, sizeof(l.host) - 1) != 0)
		snprintf(l.host, sizeof(l.host), "localhost");
	if (dt_http_init(&l.helper, &opts, err) < 0)
		return -1;
	rc = run(&l, err);
	dt_http_cleanup(&l.helper);
	dt_helper_session_free(&l.registered);
	dt_session_wipe(&l.session);
	return rc;
}

void dt_login_outcome_free(struct dt_login_outcome *out)
{
	dt_identity_free(&out->who);
}
