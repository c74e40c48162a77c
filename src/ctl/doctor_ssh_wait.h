/* dingtalk-ctl doctor's view of how logins over sshd wait: the version
 * `sshd -V` reports, the version compiled into the program that calls PAM
 * (what the module itself reads, login/ssh_wait.h), the `wait` the module's
 * configuration gives sshd's PAM service, and what to set when the two
 * cannot be told for sure or disagree. */
#ifndef CTL_DOCTOR_SSH_WAIT_H
#define CTL_DOCTOR_SSH_WAIT_H

#include "conf/types.h"

struct ssh_wait_facts {
	const char *sshd;	      /* the sshd binary (`--sshd`) */
	const char *pam_program;      /* SshdSessionPath from sshd -T (10.x), else sshd */
	const char *service;	      /* sshd's PAM service (PAMServiceName, or its name) */
	const char *conf_path;	      /* the module's configuration */
	enum dt_wait_mode configured; /* `wait` for that service */
	unsigned prompt_after;
};

struct ssh_wait_verdict {
	int level; /* 0 ok, 1 warn */
	char line[1536];
};

/* Runs `sshd -V`, reads the program, and says which wait sshd logins get,
 * recommending a `[service NAME]` override when unsure. */
void ctl_ssh_wait_verdict(const struct ssh_wait_facts *f, struct ssh_wait_verdict *v);

#endif
