/* The control API over TCP for a fleet's hosts (docs/control-api.md, "The
 * TCP control listener"): the routes of the Unix socket on their own
 * libmicrohttpd daemon at control_listen, with TLS (control_tls_cert and
 * control_tls_key) or, on a loopback address only, behind a local TLS
 * proxy. Every request is signed by a key of host_keys (control_auth.h);
 * connections are bounded (control_max_connections, per address
 * control_max_connections_per_ip) and each request must arrive within
 * request_timeout, its long-poll wait excepted once it is signed. */
#ifndef CBD_CONTROL_TCP_H
#define CBD_CONTROL_TCP_H

#include "base/err.h"
#include "control_routes.h"

/* Reads the TLS files and host_keys, listens and starts. NULL with err
 * naming the key and the file on failure. */
struct cbd_control_tcp *cbd_control_tcp_start(struct cbd_control *ctl, struct dt_err *err);

/* What --check-config asks of the listener's files, without listening:
 * the TLS certificate and key read (owner, mode) and belong together,
 * host_keys reads (file, line, key). 0, or -1 with err as _start would
 * fail. Nothing to check (0) when control_listen is not set. */
int cbd_control_tcp_check_files(const struct cbd_conf *conf, const struct dt_log *log,
				struct dt_err *err);

/* Stops the daemon (after the waiters were answered) and frees. NULL is
 * fine. */
void cbd_control_tcp_stop(struct cbd_control_tcp *t);

#endif
