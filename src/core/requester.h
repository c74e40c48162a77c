/* Who asks for a login, as the helper counts pending sessions per
 * requester (max_pending_per_requester, docs/control-api.md), so that one
 * user cannot fill the helper's max_pending for everyone else.
 *
 * The key is what the asker cannot vary at will:
 *   - a setuid program (su, sudo: the real uid is not root): "uid:N", the
 *     real uid, which the invoking user cannot change;
 *   - a root daemon with a remote host (sshd): "rhost:R user:U". Not the
 *     address alone: people behind one NAT would share one quota. Not the
 *     account alone: anyone could then fill alice's quota and block her
 *     logins; with both, only someone at alice's own address can, and
 *     sshd's MaxStartups bounds how many unauthenticated connections
 *     anyone holds at all;
 *   - anything else run by root (login on a console, dingtalk-ctl):
 *     "local:SERVICE user:U". */
#ifndef DT_REQUESTER_H
#define DT_REQUESTER_H

#include <stddef.h>
#include <sys/types.h>

/* The longest requester the helper accepts (CBD_REQUESTER_MAX). */
#define DT_REQUESTER_MAX 600

/* Writes the requester into out (DT_REQUESTER_MAX + 1 bytes at most is
 * enough). `rhost`, `user` may be NULL or empty. Longer values are cut:
 * the key only needs to be stable for one asker. */
void dt_requester(char *out, size_t size, uid_t ruid, const char *rhost, const char *service,
		  const char *user);

#endif
