/* Request deadlines for a libmicrohttpd listener. MHD's own connection
 * timeout counts idle time only, so a client that sends one header byte a
 * second (slowloris) keeps its connection forever. Here every request must
 * be received and answered within a fixed time, counted from the moment
 * the connection opened or its previous request completed; a sweeper
 * thread shuts down (shutdown(2), never close: MHD still owns the fd) the
 * connections that overrun it, and MHD then closes them as broken. */
#ifndef CBD_DEADLINE_H
#define CBD_DEADLINE_H

#include <microhttpd.h>

#include "base/err.h"
#include "base/log.h"

struct cbd_deadlines;

/* `seconds` per request; room for `max_connections` at once (the
 * listener's MHD_OPTION_CONNECTION_LIMIT). Starts the sweeper. `name`
 * (static) names the listener in log lines. NULL with err set on
 * failure. */
struct cbd_deadlines *cbd_deadlines_new(const char *name, unsigned seconds,
					unsigned max_connections, const struct dt_log *log,
					struct dt_err *err);

/* Stops the sweeper and frees. Call after MHD_stop_daemon. NULL is fine. */
void cbd_deadlines_free(struct cbd_deadlines *d);

/* For MHD_OPTION_NOTIFY_CONNECTION (cls = the deadlines): starts a
 * connection's clock, forgets it when it closes. */
void cbd_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code);

/* For MHD_OPTION_NOTIFY_COMPLETED (cls = the deadlines): a completed
 * request gives its connection's next request a fresh deadline, then the
 * callback given to cbd_deadlines_wrap_completed (if any) runs. */
/* Moves the deadline of `conn`'s current request to `until_ms` (monotonic)
 * if that is later: a signed long-poll of the control listener may be
 * answered only after its wait, once its request has been received and
 * checked. */
void cbd_deadlines_extend(struct cbd_deadlines *d, struct MHD_Connection *conn, int64_t until_ms);

void cbd_deadlines_wrap_completed(struct cbd_deadlines *d, MHD_RequestCompletedCallback completed,
				  void *cls);
void cbd_deadlines_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				enum MHD_RequestTerminationCode toe);

#endif
