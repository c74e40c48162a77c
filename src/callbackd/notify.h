/* Readiness for a service manager: systemd's notification protocol
 * (sd_notify(3)), spoken directly so the helper needs no libsystemd.
 *
 * When the environment names a socket in NOTIFY_SOCKET (a path, or
 * "@name" for Linux's abstract namespace), `state` ("READY=1",
 * "STOPPING=1") is sent to it as one datagram. Without NOTIFY_SOCKET
 * (started by hand, by a test, under Type=simple) nothing is sent and the
 * call succeeds. -1 with err naming the socket when it cannot be sent: the
 * caller decides whether that matters (under Type=notify systemd would
 * wait, then kill the helper at TimeoutStartSec). */
#ifndef CBD_NOTIFY_H
#define CBD_NOTIFY_H

#include "base/err.h"

int cbd_notify(const char *state, struct dt_err *err);

#endif
