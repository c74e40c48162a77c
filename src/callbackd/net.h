/* Listening sockets, created by the helper itself so that their modes,
 * paths and errors are under its control, then handed to libmicrohttpd. */
#ifndef CBD_NET_H
#define CBD_NET_H

#include <sys/stat.h>
#include <sys/types.h>

#include "base/err.h"

/* A TCP listener on "host:port" or "[v6]:port". Returns the fd or -1. */
int cbd_listen_tcp(const char *addr, struct dt_err *err);

/* A Unix socket listener at `path`, mode 0600, parent directory created
 * 0755 if missing, a stale socket replaced (a live one is an error).
 * `ino_out` identifies the socket so that only ours is removed later. */
int cbd_listen_unix(const char *path, ino_t *ino_out, struct dt_err *err);

/* Removes the socket at `path` if it is still the one we created. */
void cbd_unlink_unix(const char *path, ino_t ino);

/* The peer's uid on a Unix socket (SO_PEERCRED). 0 on success. */
int cbd_peer_cred(int fd, uid_t *uid, pid_t *pid);

#endif
