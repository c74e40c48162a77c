/* One benchmark login through a fleet, as the module and the phone do it,
 * with each step on a replica of its own: the signed registration on one
 * replica, the long-poll wait held by another (and, with two waiters, a
 * second wait racing it on a third), the phone's short link, callback and
 * confirmation on replicas other than the waiter's, then the code
 * released to a waiter. A replay of the callback on yet another replica
 * must be refused.
 *
 * What it counts is what must never happen in a fleet: an approval the
 * phone saw accepted and no waiter ever received (lost), one code handed
 * to two waiters (double), a code that is not the one the phone sent
 * (wrong), a replayed callback accepted. And it times the wake-up: the
 * phone's approving request answered -> the waiter answered. */
#ifndef FLEET_LOGIN_H
#define FLEET_LOGIN_H

#include <stddef.h>

#include "fleet_http.h"
#include "fleet_keys.h"

#define FLEET_REPLICAS_MAX 8

struct fleet_replica {
	const char *control; /* "http://127.0.0.1:P" (signed) or "unix:/path" */
	const char *public_base;
};

struct fleet_samples {
	double *v; /* microseconds */
	size_t n, cap;
};

struct fleet_counts {
	unsigned started, released, lost, doubled, wrong, replay_accepted, failed, hung;
	unsigned early; /* waiter answered before the phone's own answer arrived */
};

/* A service under test: its replicas (one for a single host) and what its
 * logins gave. */
struct fleet_target {
	const char *name;
	struct fleet_replica rep[FLEET_REPLICAS_MAX];
	unsigned n;
	struct fleet_counts counts;
	struct fleet_samples wakeup;   /* approving request answered -> waiter answered */
	struct fleet_samples approval; /* approving request sent -> waiter answered */
	struct fleet_samples reg;      /* the registration's round trip */
};

struct fleet_opts {
	unsigned waiters;	 /* 1, or 2: a second wait races the first */
	int confirm;		 /* the replicas show the confirmation page */
	unsigned phone_delay_ms; /* registered -> the phone opens the link */
	unsigned ttl_s;		 /* the sessions' ttl */
	unsigned wait_s;	 /* each long-poll's timeout */
};

struct fleet_login;

struct fleet_driver {
	struct fleet_http *http;
	const struct fleet_host *hosts;
	unsigned nhosts;
	struct fleet_opts opts;
	unsigned live;		    /* logins not yet ended */
	unsigned seq;		    /* logins started */
	struct fleet_login *phones; /* waiting for their phone, oldest first */
	struct fleet_login *phones_tail;
	struct fleet_login *all; /* every live login, for the report of hung ones */
	unsigned messages;	 /* error lines printed (bounded) */
};

/* Starts one login on `t`. 0, or -1 when nothing could be sent. */
int fleet_login_start(struct fleet_driver *d, struct fleet_target *t);

/* Sends the phones that are due; returns the microseconds until the next
 * one (or a large number). */
double fleet_driver_phones(struct fleet_driver *d, double now_us);

/* Ends the logins still live (counted as hung) when the run is out of
 * time. */
void fleet_driver_abandon(struct fleet_driver *d);

/* The registration body of a session for host `h` (malloc'd). */
char *fleet_register_body(const struct fleet_host *h, unsigned host_index, const char *state,
			  unsigned number, unsigned ttl_s);

/* A fresh random state (32 characters of base64url). */
int fleet_new_state(char out[33]);

void fleet_samples_add(struct fleet_samples *s, double v);

/* libcurl's error, or the start of the body on one line, in `buf`. The
 * phone's pages are never shown (the confirmation page holds a token). */
const char *fleet_brief(const struct fleet_resp *r, char *buf, size_t size);
#define BRIEF(r) fleet_brief((r), (char[160]){0}, 160)

/* A line on stderr about what went wrong, at most 20 per driver. */
void fleet_complain(struct fleet_driver *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
