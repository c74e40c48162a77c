/* The control API on the Unix socket (docs/control-api.md): register,
 * long-poll wait, cancel. Only root or the helper's own uid may use it. */
#ifndef CBD_CONTROL_H
#define CBD_CONTROL_H

#include "conf.h"
#include "base/err.h"
#include "base/log.h"
#include "store.h"

struct cbd_control;

struct cbd_control *cbd_control_start(const struct cbd_conf *conf, struct cbd_store *store,
				      const struct dt_log *log, struct dt_err *err);

/* Answers the waiters, stops the server and the timer, removes the socket. */
void cbd_control_stop(struct cbd_control *ctl);

#endif
