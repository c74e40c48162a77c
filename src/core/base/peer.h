/* Who is at the other end of a Unix socket, and who may be. The module
 * talks to the helper as root over a socket whose path anyone may come to
 * hold (the helper not running, a socket directory someone else can
 * write); the peer's uid, which the kernel records when the listener
 * called listen(), is what tells the helper from an impostor. */
#ifndef DT_PEER_H
#define DT_PEER_H

#include <sys/types.h>

#include "base/err.h"

/* `user` is a user name or a numeric uid. Returns 0 with *uid, or -1
 * (DT_ERR_CONFIG naming `key`) when there is no such user. */
int dt_peer_user_uid(const char *key, const char *user, uid_t *uid, struct dt_err *err);

/* The uid of the process that listens at the other end of the connected
 * Unix socket `fd` (SO_PEERCRED). Returns 0, or -1 when it cannot be read
 * (not a Unix socket, closed). */
int dt_peer_uid(int fd, uid_t *uid);

/* Whether a peer running as `uid` is trusted without being named
 * (helper_user): root always; in a process that is not root, also a peer
 * of its own effective uid, which could do nothing this process cannot.
 * A root process (the module under sshd, sudo, su) trusts root alone. */
int dt_peer_trusted(uid_t uid);

#endif
