/* The control API's routes (register, wait, cancel) and answers, shared
 * by its two listeners: the Unix socket (control.c) and the TCP listener
 * of a fleet (control_tcp.c). A listener decides who asks (control_auth.h)
 * and records it in the request before routing; the routes then apply the
 * owner rule: a request signed by a host registers sessions only in that
 * host's name and waits on or cancels only that host's sessions. Internal
 * to the control API: nothing outside control*.c includes it. */
#ifndef CBD_CONTROL_ROUTES_H
#define CBD_CONTROL_ROUTES_H

#include <stdint.h>
#include <microhttpd.h>

#include "burst.h"
#include "conf.h"
#include "hostkeys.h"
#include "httpd.h"
#include "outage.h"
#include "store.h"
#include "wait.h"

/* The control API's request body bound (docs/control-api.md). */
#define CBD_CONTROL_BODY_MAX 8192

struct cbd_control_tcp;

struct cbd_control {
	struct MHD_Daemon *mhd; /* the Unix socket's */
	int fd;
	ino_t ino;
	const struct cbd_conf *conf;
	struct cbd_store *store;
	/* One registry of long-polls for both listeners: a waiter is resumed
	 * through its own connection, whichever daemon holds it. */
	struct cbd_waiters *waiters;
	const struct dt_log *log;
	/* One log line per burst of each limit's refusals (burst.h). */
	struct cbd_burst requester_full, address_full, full;
	/* ... and of registrations naming a host other than the key's */
	struct cbd_burst host_mismatch;
	/* When the store was last seen down, shared by every wait (outage.h) */
	struct cbd_outage outage;
	struct cbd_control_tcp *tcp; /* NULL unless control_listen is set */
};

/* One request on either listener. */
struct cbd_creq {
	struct cbd_body body;
	struct cbd_waiter waiter;
	int64_t deadline_ms;
	int wait_started;
	struct cbd_grace grace; /* the wait's part in a store outage */
	/* Who asks, set once by the listener before the first route:
	 * signed = 0 on the Unix socket (root, any session); signed = 1 on
	 * TCP, where key is the verified key and its host the owner. */
	int started, authed, signed_by_key;
	struct cbd_hostkey key;
	char *target; /* TCP: the request target as received, with its query */
};

/* The owner a request acts as (store.h): NULL on the Unix socket, the
 * signing key's host on TCP. */
static inline const char *cbd_creq_owner(const struct cbd_creq *req)
{
	return req->signed_by_key ? req->key.host : NULL;
}

/* Routes a request whose body is complete and whose asker was decided. */
enum MHD_Result cbd_control_route(struct cbd_control *ctl, struct MHD_Connection *conn,
				  const char *url, const char *method, struct cbd_creq *req);

/* Appends an upload chunk: MHD_NO (drop the connection) past the bound. */
enum MHD_Result cbd_control_collect(struct cbd_control *ctl, struct cbd_creq *req,
				    const char *upload, size_t *upload_size);

/* `{"error": msg, "instance": ...}` with `status`. */
enum MHD_Result cbd_control_send_error(struct cbd_control *ctl, struct MHD_Connection *conn,
				       unsigned status, const char *msg);

/* The same with a fixed `error_code` the client acts on. */
enum MHD_Result cbd_control_send_refusal(struct cbd_control *ctl, struct MHD_Connection *conn,
					 unsigned status, const char *code, const char *msg);

/* A request's end: forgets its waiter, wipes its body and key. */
void cbd_creq_free(struct cbd_control *ctl, struct cbd_creq *req);

#endif
