#include "config.h"

#include "fleet_login.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "base/json.h"
#include "base/util.h"

enum step { REGISTER, WAIT, LINK, CALLBACK, PAGE, CONFIRM, REPLAY, CANCEL };

struct fleet_login {
	struct fleet_driver *d;
	struct fleet_target *t;
	unsigned host, number;
	char state[33];
	char code[48]; /* what the phone sends: unique per login */
	char id[40];
	char token[80];	   /* the confirmation page's */
	char cookie[128];  /* the helper's, from the callback to the page */
	unsigned waiter;   /* replica holding the first wait */
	unsigned out;	   /* requests in flight */
	unsigned releases; /* waits that answered with the code */
	unsigned retries;  /* waits sent again after a failure */
	int phone_done, approved, failed, cancelling;
	double approve_sent_us, approve_done_us;
	double woke_us; /* the first release's answer */
	double phone_due_us;
	struct fleet_login *next_phone;
	struct fleet_login *prev, *next; /* d->all */
};

#define COMPLAIN_MAX  20
#define IO_TIMEOUT_MS 10000
#define WAIT_RETRIES  3

const char *fleet_brief(const struct fleet_resp *r, char *buf, size_t size)
{
	size_t i;

	if (r->error != NULL)
		return r->error;
	snprintf(buf, size, "%s", r->body);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	return buf;
}

void fleet_complain(struct fleet_driver *d, const char *fmt, ...)
{
	va_list ap;

	if (d->messages++ >= COMPLAIN_MAX)
		return;
	va_start(ap, fmt);
	fputs("bench_fleet: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void fleet_samples_add(struct fleet_samples *s, double v)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	double *grown;

	if (s->n == s->cap) {
		grown = realloc(s->v, cap * sizeof(*s->v));
		if (grown == NULL)
			return; /* the sample is lost, not the run */
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = v;
}

int fleet_new_state(char out[33])
{
	return dt_random_token(out, 33, 24);
}

static unsigned pick(unsigned n)
{
	unsigned r = 0;

	if (n <= 1 || dt_random_range(0, n - 1, &r) != 0)
		return 0;
	return r;
}

/* A replica other than `not` (the same when there is only one). */
static unsigned pick_other(const struct fleet_target *t, unsigned not )
{
	unsigned r;

	if (t->n <= 1)
		return 0;
	r = pick(t->n - 1);
	return r >= not ? r + 1 : r;
}

char *fleet_register_body(const struct fleet_host *h, unsigned host_index, const char *state,
			  unsigned number, unsigned ttl_s)
{
	unsigned a = (host_index >> 8) & 0xff, b = host_index & 0xff;

	/* Every host its own requester and address: the limits are not what
	 * this measures. */
	return dt_asprintf("{\"state\": \"%s\", \"number\": %u, \"user\": \"u%u\", "
			   "\"service\": \"sshd\", \"host\": \"%s\", \"rhost\": \"10.9.%u.%u\", "
			   "\"requester\": \"rhost:10.9.%u.%u user:u%u\", "
			   "\"requester_address\": \"rhost:10.9.%u.%u\", "
			   "\"authorize_url\": \"http://127.0.0.1:9/oauth2/auth?response_type=code"
			   "&client_id=bench&scope=openid&state=%s&prompt=consent\", \"ttl\": %u}",
			   state, number, host_index, h->name, a, b, a, b, host_index, a, b, state,
			   ttl_s);
}

static void on_answer(void *ctx, int tag, const struct fleet_resp *resp);

static int send_step(struct fleet_login *l, enum step step, unsigned replica, const char *path,
		     const char *method, const char *body, const char *type, int sign,
		     long timeout_ms)
{
	const struct fleet_replica *r = &l->t->rep[replica];
	int control = step == REGISTER || step == WAIT || step == CANCEL;
	struct fleet_call call = {
	    .base = control ? r->control : r->public_base,
	    .method = method,
	    .path = path,
	    .body = body,
	    .content_type = type,
	    .key = sign && strncmp(r->control, "unix:", 5) != 0 ? &l->d->hosts[l->host].key : NULL,
	    .timeout_ms = timeout_ms,
	    .cookie = step == PAGE ? l->cookie : NULL,
	};

	if (fleet_http_send(l->d->http, &call, on_answer, l, (int)(step << 4 | replica)) != 0)
		return -1;
	l->out++;
	return 0;
}

static void unlink_all(struct fleet_login *l)
{
	struct fleet_driver *d = l->d;

	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		d->all = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
}

/* The two answers may be read in either order: a waiter on the replica
 * that approved can answer before the phone reads its own answer. */
static void record_times(struct fleet_login *l)
{
	double w = l->woke_us - l->approve_done_us;

	if (w < 0)
		l->t->counts.early++;
	fleet_samples_add(&l->t->wakeup, w < 0 ? 0 : w);
	fleet_samples_add(&l->t->approval, l->woke_us - l->approve_sent_us);
}

/* Once nothing of it is in flight and the phone is through: what it
 * came to. */
static void maybe_end(struct fleet_login *l)
{
	struct fleet_counts *c = &l->t->counts;

	if (l->out != 0 || !l->phone_done)
		return;
	if (l->approved && l->releases == 0) {
		c->lost++;
		fleet_complain(l->d, "%s: an approval was never released", l->t->name);
	} else if (l->releases > 1) {
		c->doubled++;
		fleet_complain(l->d, "%s: a code was released %u times", l->t->name, l->releases);
	} else if (l->approved && l->releases == 1 && !l->failed) {
		c->released++;
		record_times(l);
	} else
		c->failed++;
	unlink_all(l);
	l->d->live--;
	explicit_bzero(l, sizeof(*l));
	free(l);
}

static int send_wait(struct fleet_login *l, unsigned replica)
{
	char path[96];

	snprintf(path, sizeof(path), "/v1/sessions/%s/wait?timeout=%u", l->id, l->d->opts.wait_s);
	return send_step(l, WAIT, replica, path, "GET", NULL, NULL, 1,
			 (long)(l->d->opts.wait_s + 10) * 1000);
}

/* The phone could not approve: end the session so its waiters end too. */
static void give_up(struct fleet_login *l)
{
	char path[64];

	l->failed = 1;
	l->phone_done = 1;
	if (l->cancelling || l->id[0] == '\0')
		return;
	l->cancelling = 1;
	snprintf(path, sizeof(path), "/v1/sessions/%s", l->id);
	send_step(l, CANCEL, l->waiter, path, "DELETE", NULL, NULL, 1, IO_TIMEOUT_MS);
}

static void queue_phone(struct fleet_login *l, double now_us)
{
	struct fleet_driver *d = l->d;

	l->phone_due_us = now_us + d->opts.phone_delay_ms * 1000.0;
	l->next_phone = NULL;
	if (d->phones_tail != NULL)
		d->phones_tail->next_phone = l;
	else
		d->phones = l;
	d->phones_tail = l;
}

static void on_registered(struct fleet_login *l, const struct fleet_resp *r)
{
	json_object *o;
	const char *id;
	unsigned i;

	fleet_samples_add(&l->t->reg, r->done_us - r->sent_us);
	o = r->status == 201 ? dt_json_parse_object(r->body, r->len) : NULL;
	id = o != NULL ? dt_json_string(o, "id") : NULL;
	if (id == NULL || strlen(id) >= sizeof(l->id)) {
		fleet_complain(l->d, "%s: register: %ld %s", l->t->name, r->status, BRIEF(r));
		json_object_put(o);
		l->failed = l->phone_done = 1;
		return;
	}
	strcpy(l->id, id);
	json_object_put(o);
	l->waiter = pick(l->t->n);
	send_wait(l, l->waiter);
	for (i = 1; i < l->d->opts.waiters; i++)
		send_wait(l, pick_other(l->t, l->waiter));
	queue_phone(l, r->done_us);
}

static void on_wait(struct fleet_login *l, const struct fleet_resp *r, unsigned replica)
{
	json_object *o = r->status == 200 ? dt_json_parse_object(r->body, r->len) : NULL;
	const char *status = o != NULL ? dt_json_string(o, "status") : NULL;
	const char *code;

	if (status != NULL && strcmp(status, "approved") == 0) {
		code = dt_json_string(o, "code");
		l->releases++;
		if (code == NULL || strcmp(code, l->code) != 0) {
			l->t->counts.wrong++;
			fleet_complain(l->d, "%s: a wait released another login's code",
				       l->t->name);
		}
		if (l->releases == 1)
			l->woke_us = r->done_us;
	} else if (status != NULL && strcmp(status, "pending") == 0) {
		/* A long-poll ran out: the module waits again, on any replica. */
		if (l->releases == 0 && !l->failed)
			send_wait(l, pick(l->t->n));
	} else if (r->status == 404) {
		/* The racing waiter, once the other took the code and the
		 * session with it (the two answers may be read in either
		 * order: maybe_end judges by the releases). */
	} else if (status != NULL && strcmp(status, "refused") == 0 && l->failed) {
		/* cancelled by give_up */
	} else if (l->retries < WAIT_RETRIES && l->releases == 0 && status == NULL) {
		/* No answer, or a 5xx: as the module does, the next wait goes
		 * to another replica. */
		fleet_complain(l->d, "%s: wait: %ld %s; waiting on another replica", l->t->name,
			       r->status, BRIEF(r));
		l->retries++;
		send_wait(l, pick_other(l->t, replica));
	} else {
		fleet_complain(l->d, "%s: wait: %ld %s", l->t->name, r->status, BRIEF(r));
		l->failed = 1;
	}
	json_object_put(o);
}

/* "name=\"t\" value=\"...\"" in the confirmation page. */
static int page_value(const char *page, const char *name, char *out, size_t size)
{
	char needle[32];
	const char *p, *end;

	snprintf(needle, sizeof(needle), "name=\"%s\" value=\"", name);
	p = strstr(page, needle);
	if (p == NULL)
		return -1;
	p += strlen(needle);
	end = strchr(p, '"');
	if (end == NULL || (size_t)(end - p) >= size)
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 0;
}

static void send_replay(struct fleet_login *l, unsigned not )
{
	char path[160];

	snprintf(path, sizeof(path), "/callback?code=%s&state=%s", l->code, l->state);
	send_step(l, REPLAY, pick_other(l->t, not ), path, "GET", NULL, NULL, 0, IO_TIMEOUT_MS);
}

static void approved(struct fleet_login *l, const struct fleet_resp *r, unsigned replica)
{
	l->approved = 1;
	l->approve_sent_us = r->sent_us;
	l->approve_done_us = r->done_us;
	send_replay(l, replica);
}

/* The callback answers a 303 to the page's clean URL with a cookie; the
 * phone loads that page on any replica. */
static void on_callback(struct fleet_login *l, const struct fleet_resp *r, unsigned replica)
{
	char path[64];

	if (r->status != 303) {
		fleet_complain(l->d, "%s: callback: %ld %s", l->t->name, r->status,
			       r->error ? r->error : "no error text");
		give_up(l);
		return;
	}
	if (!l->d->opts.confirm) {
		approved(l, r, replica);
		return;
	}
	snprintf(l->cookie, sizeof(l->cookie), "%s", r->set_cookie);
	snprintf(path, sizeof(path), "/c/%s", l->id);
	send_step(l, PAGE, pick_other(l->t, l->waiter), path, "GET", NULL, NULL, 0, IO_TIMEOUT_MS);
}

static void on_page(struct fleet_login *l, const struct fleet_resp *r)
{
	char body[160];

	if (r->status != 200 || page_value(r->body, "t", l->token, sizeof(l->token)) != 0) {
		fleet_complain(l->d, "%s: page: %ld, no confirmation form", l->t->name, r->status);
		give_up(l);
		return;
	}
	snprintf(body, sizeof(body), "s=%s&t=%s&n=%u", l->id, l->token, l->number);
	send_step(l, CONFIRM, pick_other(l->t, l->waiter), "/confirm", "POST", body,
		  "application/x-www-form-urlencoded", 0, IO_TIMEOUT_MS);
}

static void on_public(struct fleet_login *l, enum step step, const struct fleet_resp *r,
		      unsigned replica)
{
	char path[160];

	switch (step) {
	case LINK:
		if (r->status != 302) {
			fleet_complain(l->d, "%s: short link: %ld %s", l->t->name, r->status,
				       r->error ? r->error : "no error text");
			give_up(l);
			return;
		}
		snprintf(path, sizeof(path), "/callback?code=%s&state=%s", l->code, l->state);
		send_step(l, CALLBACK, pick_other(l->t, l->waiter), path, "GET", NULL, NULL, 0,
			  IO_TIMEOUT_MS);
		return;
	case CALLBACK:
		on_callback(l, r, replica);
		return;
	case PAGE:
		on_page(l, r);
		return;
	case CONFIRM:
		if (r->status != 200 || strstr(r->body, "Login approved") == NULL) {
			fleet_complain(l->d, "%s: confirm: %ld %s", l->t->name, r->status,
				       r->error ? r->error : "no error text");
			give_up(l);
			return;
		}
		approved(l, r, replica);
		return;
	case REPLAY:
		/* A callback seen twice is an error page (410), wherever it
		 * lands. */
		if (r->status == 200 || r->status == 302 || r->status == 303) {
			l->t->counts.replay_accepted++;
			fleet_complain(l->d, "%s: a replayed callback was answered %ld", l->t->name,
				       r->status);
		} else if (r->status == 0) {
			fleet_complain(l->d, "%s: replay: %s", l->t->name, r->error);
			l->failed = 1;
		}
		l->phone_done = 1;
		return;
	default:
		return;
	}
}

static void on_answer(void *ctx, int tag, const struct fleet_resp *resp)
{
	struct fleet_login *l = ctx;
	enum step step = (enum step)(tag >> 4);
	unsigned replica = (unsigned)tag & 0xf;

	l->out--;
	switch (step) {
	case REGISTER:
		on_registered(l, resp);
		break;
	case WAIT:
		on_wait(l, resp, replica);
		break;
	case CANCEL:
		if (resp->status != 204 && resp->status != 404)
			fleet_complain(l->d, "%s: cancel: %ld", l->t->name, resp->status);
		break;
	default:
		on_public(l, step, resp, replica);
		break;
	}
	maybe_end(l);
}

int fleet_login_start(struct fleet_driver *d, struct fleet_target *t)
{
	struct fleet_login *l = calloc(1, sizeof(*l));
	unsigned rnd = 0;
	char *body;
	int rc;

	if (l == NULL || fleet_new_state(l->state) != 0 ||
	    dt_random_range(10, 99, &l->number) != 0 || dt_random_range(0, 1u << 30, &rnd) != 0) {
		free(l);
		return -1;
	}
	l->d = d;
	l->t = t;
	l->host = pick(d->nhosts);
	snprintf(l->code, sizeof(l->code), "bench-%u-%u", d->seq, rnd);
	body = fleet_register_body(&d->hosts[l->host], l->host, l->state, l->number, d->opts.ttl_s);
	if (body == NULL) {
		free(l);
		return -1;
	}
	rc = send_step(l, REGISTER, pick(t->n), "/v1/sessions", "POST", body, "application/json", 1,
		       IO_TIMEOUT_MS);
	free(body);
	if (rc != 0) {
		free(l);
		return -1;
	}
	d->seq++;
	d->live++;
	t->counts.started++;
	l->next = d->all;
	if (d->all != NULL)
		d->all->prev = l;
	d->all = l;
	return 0;
}

double fleet_driver_phones(struct fleet_driver *d, double now_us)
{
	struct fleet_login *l;
	char path[64];

	while ((l = d->phones) != NULL && l->phone_due_us <= now_us) {
		d->phones = l->next_phone;
		if (d->phones == NULL)
			d->phones_tail = NULL;
		if (l->failed) { /* its wait failed before the phone came */
			give_up(l);
			maybe_end(l);
			continue;
		}
		snprintf(path, sizeof(path), "/l/%s", l->id);
		if (send_step(l, LINK, pick_other(l->t, l->waiter), path, "GET", NULL, NULL, 0,
			      IO_TIMEOUT_MS) != 0)
			give_up(l);
	}
	return d->phones != NULL ? d->phones->phone_due_us - now_us : 1e9;
}

void fleet_driver_abandon(struct fleet_driver *d)
{
	struct fleet_login *l;

	for (l = d->all; l != NULL; l = l->next) {
		l->t->counts.hung++;
		fleet_complain(d, "%s: a login had not ended (%u requests out, phone %s)",
			       l->t->name, l->out, l->phone_done ? "done" : "not done");
	}
}
