#include "config.h"

#include "doctor_ssh_wait.h"

#include <stdio.h>
#include <string.h>

#include "login/ssh_wait.h"
#include "login/sshd_version.h"

/* `sshd -V` (OpenSSH 9.0 and later print "OpenSSH_9.2p1 Debian-2+deb12u10,
 * OpenSSL 3.0.19 ..."): the text before the comma is the release string.
 * Returns 1 with *v, 0 when sshd says no version. */
static int dash_v(const char *sshd, struct dt_openssh_version *v)
{
	char cmd[4200], line[512];
	struct dt_openssh_scan s;
	FILE *p;
	size_t n;

	if (strchr(sshd, '\'') != NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "'%s' -V 2>&1 </dev/null", sshd);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	dt_openssh_scan_init(&s);
	while (fgets(line, sizeof(line), p) != NULL) {
		n = strcspn(line, ",\n");
		line[n] = '\0';
		dt_openssh_scan_block(&s, (const unsigned char *)line, n + 1);
	}
	pclose(p);
	return dt_openssh_scan_result(&s, v);
}

static const char *mode_name(enum dt_wait_mode m)
{
	return m == DT_WAIT_POLL ? "poll" : m == DT_WAIT_ENTER ? "enter" : "auto";
}

/* wait set for sshd's service: the administrator's word, unless it is
 * poll on an sshd that neither says nor shows 10.3 or later. */
static void explicit_wait(const struct ssh_wait_facts *f, int older, const char *claim,
			  struct ssh_wait_verdict *v)
{
	if (f->configured == DT_WAIT_POLL && older) {
		v->level = 1;
		snprintf(v->line, sizeof(v->line),
			 "%s: wait = poll for service %s, but this sshd holds info messages until "
			 "a prompt: people see the QR only after prompt_after = %u s; set wait = "
			 "auto (or enter) in [service %s] of %s",
			 claim, f->service, f->prompt_after, f->service, f->conf_path);
		return;
	}
	snprintf(v->line, sizeof(v->line), "%s; wait = %s set for service %s%s", claim,
		 mode_name(f->configured), f->service,
		 f->configured == DT_WAIT_POLL ? " (no keypress; the prompt after prompt_after)"
					       : " (press Enter after approving)");
}

void ctl_ssh_wait_verdict(const struct ssh_wait_facts *f, struct ssh_wait_verdict *v)
{
	struct dt_openssh_version said_v;
	char why[768], claim[1024];
	int said = dash_v(f->sshd, &said_v);
	int at_once = said && dt_openssh_sends_info_at_once(&said_v);
	enum dt_wait_mode detected = dt_ssh_auto_wait(f->pam_program, why, sizeof(why));

	v->level = 0;
	snprintf(claim, sizeof(claim), "%s -V: %s; %s", f->sshd, said ? said_v.text : "no version",
		 why);
	if (f->configured != DT_WAIT_AUTO) {
		explicit_wait(f, !at_once && detected == DT_WAIT_ENTER, claim, v);
		return;
	}
	if (detected == DT_WAIT_POLL) {
		snprintf(v->line, sizeof(v->line),
			 "%s: sshd logins get wait = poll (no keypress; the prompt after "
			 "prompt_after = %u s)",
			 claim, f->prompt_after);
		return;
	}
	if (at_once) {
		/* sshd says 10.3+ but the program the module reads does not. */
		v->level = 1;
		snprintf(
		    v->line, sizeof(v->line),
		    "%s: the module cannot tell from %s, so sshd logins keep the prompt "
		    "(wait = enter); to spare the keypress, set wait = poll in [service %s] of "
		    "%s",
		    claim, f->pam_program, f->service, f->conf_path);
		return;
	}
	snprintf(v->line, sizeof(v->line),
		 "%s: sshd logins get wait = enter (press Enter after "
		 "approving)%s",
		 claim, said ? "" : "; sshd -V says nothing, so nothing else to recommend");
}
