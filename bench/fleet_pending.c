#include "config.h"

#include "fleet_pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "base/json.h"

#define IN_FLIGHT     32
#define IO_TIMEOUT_MS 10000

struct batch {
	struct fleet_driver *d;
	struct fleet_target *t;
	struct fleet_pending *p;
	unsigned next, done;
	int cancel;
};

static void answered(void *ctx, int tag, const struct fleet_resp *r);
static void refill(struct batch *b);

static int send_one(struct batch *b)
{
	unsigned i = b->next++, host = i % b->d->nhosts, replica = i % b->t->n;
	const struct fleet_replica *rep = &b->t->rep[replica];
	char state[33], path[64], *body = NULL;
	struct fleet_call call = {
	    .base = rep->control,
	    .key = strncmp(rep->control, "unix:", 5) != 0 ? &b->d->hosts[host].key : NULL,
	    .timeout_ms = IO_TIMEOUT_MS,
	};
	int rc;

	if (b->cancel) {
		if (b->p->ids[i][0] == '\0')
			return -1; /* never registered */
		snprintf(path, sizeof(path), "/v1/sessions/%s", b->p->ids[i]);
		call.method = "DELETE";
		call.path = path;
	} else {
		if (fleet_new_state(state) != 0 ||
		    (body = fleet_register_body(&b->d->hosts[host], host, state, 10 + i % 90,
						b->d->opts.ttl_s)) == NULL)
			return -1;
		call.method = "POST";
		call.path = "/v1/sessions";
		call.body = body;
		call.content_type = "application/json";
	}
	rc = fleet_http_send(b->d->http, &call, answered, b, (int)i);
	free(body);
	return rc;
}

static void answered(void *ctx, int tag, const struct fleet_resp *r)
{
	struct batch *b = ctx;
	json_object *o;
	const char *id;

	b->done++;
	if (b->cancel) {
		if (r->status == 204)
			b->p->cancelled++;
		else
			fleet_complain(b->d, "cancel: %ld %s", r->status, BRIEF(r));
	} else {
		o = r->status == 201 ? dt_json_parse_object(r->body, r->len) : NULL;
		id = o != NULL ? dt_json_string(o, "id") : NULL;
		if (id != NULL && strlen(id) < sizeof(b->p->ids[0])) {
			strcpy(b->p->ids[tag], id);
			b->p->registered++;
		} else {
			b->p->failed++;
			fleet_complain(b->d, "register: %ld %s", r->status, BRIEF(r));
		}
		json_object_put(o);
	}
	refill(b);
}

/* Keeps IN_FLIGHT requests going (sent - answered). */
static void refill(struct batch *b)
{
	while (b->next < b->p->n && b->next - b->done < IN_FLIGHT)
		if (send_one(b) != 0)
			b->done++;
}

static void drive(struct batch *b)
{
	refill(b);
	while (b->done < b->p->n)
		fleet_http_step(b->d->http, 50);
}

int fleet_pending_register(struct fleet_driver *d, struct fleet_target *t, unsigned n,
			   struct fleet_pending *out)
{
	struct batch b = {.d = d, .t = t, .p = out};
	double t0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->ids = calloc(n, sizeof(*out->ids));
	if (out->ids == NULL)
		return -1;
	t0 = bench_now_us();
	drive(&b);
	out->elapsed_us = bench_now_us() - t0;
	return out->registered == n ? 0 : -1;
}

int fleet_pending_cancel(struct fleet_driver *d, struct fleet_target *t, struct fleet_pending *p)
{
	struct batch b = {.d = d, .t = t, .p = p, .cancel = 1};

	drive(&b);
	return p->cancelled == p->registered ? 0 : -1;
}

void fleet_pending_free(struct fleet_pending *p)
{
	free(p->ids);
	p->ids = NULL;
}
