#include "config.h"

#include "login/helper_fleet.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"

/* What every replica said, for the error when none could serve. */
struct failures {
	char text[sizeof(((struct dt_err *)0)->msg)];
	size_t len;
	int late;    /* a replica did not answer within its attempt's bound */
	int refused; /* a replica refused this host's signature (sign_refusal.h) */
};

static int is_fleet(const struct dt_helper_fleet *f)
{
	return f->cfg->helpers.n > 0;
}

static unsigned replicas(const struct dt_helper_fleet *f)
{
	return is_fleet(f) ? f->cfg->helpers.n : 1;
}

static void link_to(struct dt_helper_fleet *f, unsigned i, struct dt_helper_link *ln)
{
	memset(ln, 0, sizeof(*ln));
	ln->http = &f->http;
	ln->host = f->host;
	if (is_fleet(f)) {
		ln->base = f->cfg->helpers.url[i];
		ln->key = &f->cfg->helper_key;
	}
}

int dt_fleet_init(struct dt_helper_fleet *f, const struct dt_modcfg *cfg, const char *host,
		  const struct dt_log *log, int (*interrupted)(void), struct dt_err *err)
{
	struct dt_http_opts opts = {.peer_name = "helper", .interrupted = interrupted};

	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->host = host;
	f->log = log;
	if (cfg->helpers.n > 0) {
		/* TLS verified against helper_ca_file; no proxy (the
		 * proxy environment is never read: http.h). */
		opts.ca_file = cfg->helper_ca_file;
		opts.connect_timeout_ms = DT_FLEET_CONNECT_MS;
	} else {
		opts.unix_socket = cfg->helper_socket;
		opts.peer_user = cfg->helper_user;
	}
	if (dt_http_init(&f->http, &opts, err) < 0)
		return -1;
	/* Signed requests must never be sent twice (http.h). A login makes
	 * a handful of requests; TLS sessions are still resumed. */
	f->http.fresh_connection = cfg->helpers.n > 0;
	return 0;
}

void dt_fleet_cleanup(struct dt_helper_fleet *f)
{
	dt_http_cleanup(&f->http);
}

/* The end of one attempt: its share of what is left before `deadline_ms`
 * among the `untried` replicas, at most `cap` ms. The Unix socket has no
 * other listener to save time for. */
static int64_t attempt_end(const struct dt_helper_fleet *f, int64_t deadline_ms, unsigned untried,
			   int64_t cap)
{
	int64_t now = dt_now_ms(), share;

	if (!is_fleet(f))
		return deadline_ms;
	share = (deadline_ms - now) / (untried > 0 ? untried : 1);
	if (share > cap)
		share = cap;
	return now + share < deadline_ms ? now + share : deadline_ms;
}

/* After replica i failed with err: whether the request may go to the next
 * one. Not when the answer was definitive, nor when the login's own
 * deadline has passed (that timeout keeps its meaning: login.h,
 * "Lateness"). An attempt's own bound running out is this replica
 * failing to answer, not the login being late. */
static int try_next(struct dt_helper_fleet *f, const struct dt_helper_link *ln, unsigned i,
		    int64_t deadline_ms, struct failures *fl, struct dt_err *err)
{
	size_t share = sizeof(fl->text) / replicas(f);
	int n;

	if (!is_fleet(f) || !ln->elsewhere)
		return 0;
	if (err->kind == DT_ERR_TIMEOUT && dt_now_ms() >= deadline_ms)
		return 0;
	/* Out of time, to connect (the TLS handshake included) or in all: a
	 * stopped process looks like that too. */
	if (err->kind == DT_ERR_TIMEOUT || f->http.timed_out)
		fl->late = 1;
	if (ln->host_refused)
		fl->refused = 1;
	dt_logf(f->log, ln->host_refused ? LOG_ERR : LOG_WARNING,
		"helper replica %u of %u (%s): %s", i + 1, replicas(f), ln->base, err->msg);
	if (fl->len < sizeof(fl->text)) {
		n = snprintf(fl->text + fl->len, sizeof(fl->text) - fl->len, "%s[%s] %.*s",
			     fl->len > 0 ? "; " : "", ln->base, (int)(share > 40 ? share - 40 : 0),
			     err->msg);
		fl->len += n > 0 ? (size_t)n : 0;
	}
	return 1;
}

/* Every replica failed. When one of them refused this host's signature,
 * the login is refused (sign_refusal.h): a replica with a stale copy of
 * host_keys is tried past, but a fleet that refuses the host everywhere it
 * answers must not become "unavailable" because another replica was down.
 * Otherwise, when one of them was only late, the error stays a timeout,
 * so that login.c's rule on lateness decides (login.h): under su and sudo
 * the caller can stop the process past every attempt's bound, which must
 * not make the service look unavailable. */
static int none_served(const struct failures *fl, struct dt_err *err)
{
	char text[sizeof(fl->text)];
	enum dt_err_kind kind = DT_ERR_UNAVAIL;

	if (fl->refused)
		kind = DT_ERR_DENIED;
	else if (fl->late)
		kind = DT_ERR_TIMEOUT;
	snprintf(text, sizeof(text), "%s", fl->text);
	return dt_err_set(err, kind, "no replica of the helper could serve: %s", text);
}

int dt_fleet_register(struct dt_helper_fleet *f, const struct dt_helper_registration *reg,
		      int64_t deadline_ms, struct dt_helper_session *out, struct dt_err *err)
{
	struct dt_helper_link ln;
	struct failures fl = {.len = 0};
	unsigned i, n = replicas(f);

	for (i = 0; i < n; i++) {
		link_to(f, i, &ln);
		if (dt_helper_register(&ln, reg,
				       attempt_end(f, deadline_ms, n - i, DT_FLEET_ATTEMPT_MS), out,
				       err) == 0) {
			f->current = i;
			dt_err_clear(err); /* the replicas before are logged */
			return 0;
		}
		if (!try_next(f, &ln, i, deadline_ms, &fl, err))
			return -1;
	}
	return none_served(&fl, err);
}

int dt_fleet_wait(struct dt_helper_fleet *f, const struct dt_helper_session *s, unsigned timeout_s,
		  int64_t deadline_ms, struct dt_wait_result *out, struct dt_err *err)
{
	struct dt_helper_link ln;
	struct failures fl = {.len = 0};
	unsigned tries, n = replicas(f);
	int64_t left;

	for (tries = 0; tries < n; tries++) {
		/* A retry asks no longer than what is left. */
		left = deadline_ms - dt_now_ms();
		if (tries > 0 && left < 1000)
			break;
		if (tries > 0 && (int64_t)timeout_s * 1000 > left)
			timeout_s = (unsigned)(left / 1000);
		link_to(f, f->current, &ln);
		if (dt_helper_wait(&ln, s, timeout_s,
				   attempt_end(f, deadline_ms, 1,
					       (int64_t)timeout_s * 1000 + DT_FLEET_ATTEMPT_MS),
				   out, err) == 0) {
			dt_err_clear(err);
			return 0;
		}
		if (!try_next(f, &ln, f->current, deadline_ms, &fl, err))
			return -1;
		f->current = (f->current + 1) % n;
	}
	return none_served(&fl, err);
}

int dt_fleet_cancel(struct dt_helper_fleet *f, const char *id, int64_t deadline_ms,
		    struct dt_err *err)
{
	struct dt_helper_link ln;

	link_to(f, f->current, &ln);
	return dt_helper_cancel(&ln, id, attempt_end(f, deadline_ms, 1, DT_FLEET_ATTEMPT_MS), err);
}
