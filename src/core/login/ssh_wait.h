/* How a login over sshd waits when `wait = auto`: without a prompt where
 * the sshd running the module sends info messages at once (OpenSSH 10.3
 * and later), with today's "press Enter" prompt everywhere else, including
 * whenever the version cannot be told for sure. docs/ssh-wait.md has the
 * reasoning. */
#ifndef DT_SSH_WAIT_H
#define DT_SSH_WAIT_H

#include <stddef.h>

#include "conf/types.h"

/* The program whose bytes name the sshd that calls PAM: the process's own.
 * From OpenSSH 9.8 on that is sshd-session (the privileged monitor forks
 * the PAM conversation's child from it), before it is sshd itself; either
 * way the release string is compiled in. /proc/self/exe is the kernel's
 * link to the running file, which no environment variable can move. */
#define DT_SSH_SELF_PROGRAM "/proc/self/exe"

/* DT_WAIT_POLL when `program` (normally DT_SSH_SELF_PROGRAM) is an OpenSSH
 * of 10.3 or later, else DT_WAIT_ENTER. `why` (may be NULL) receives one
 * line for the debug log and `dingtalk-ctl doctor`: the version found, or
 * why none was. */
enum dt_wait_mode dt_ssh_auto_wait(const char *program, char *why, size_t why_size);

#endif
