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
 *     logins; with both, only someone at alice's own address can;
 *   - anything else run by root (login on a console, dingtalk-ctl):
 *     "local:SERVICE user:U".
 *
 * The account part is whatever the remote client typed, so one address
 * can make as many requesters as it likes; and sshd does not end the
 * session of a client it drops (MaxStartups bounds connections open at
 * once, not sessions left pending until their ttl). So the module also
 * sends the requester's address, the key without the account ("uid:N",
 * "rhost:R", "local:SERVICE"), which the helper bounds with
 * max_pending_per_address (grouping IPv6 addresses by /64). What is left,
 * many addresses filling max_pending, makes the helper answer "full",
 * which the module takes as a refusal (helper_client.h). */
#ifndef DT_REQUESTER_H
#define DT_REQUESTER_H

#include <stddef.h>
#include <sys/types.h>

#include "proto/control_api.h"

/* Writes the requester into out (DT_CONTROL_REQUESTER_MAX + 1 bytes at most is
 * enough). `rhost`, `user` may be NULL or empty. Longer values are cut:
 * the key only needs to be stable for one asker. */
void dt_requester(char *out, size_t size, uid_t ruid, const char *rhost, const char *service,
		  const char *user);

/* The same asker without the account: "uid:N", "rhost:R" or
 * "local:SERVICE" (at most DT_CONTROL_REQUESTER_MAX + 1 bytes too). */
void dt_requester_address(char *out, size_t size, uid_t ruid, const char *rhost,
			  const char *service);

#endif
