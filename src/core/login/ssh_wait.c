#include "config.h"

#include "login/ssh_wait.h"

#include <stdio.h>

#include "base/err.h"
#include "login/sshd_version.h"

enum dt_wait_mode dt_ssh_auto_wait(const char *program, char *why, size_t why_size)
{
	struct dt_openssh_version v;
	struct dt_err err;
	enum dt_wait_mode mode = DT_WAIT_ENTER;
	char line[sizeof(err.msg) + 128];

	dt_err_clear(&err);
	if (dt_openssh_version_of(program, &v, &err) == 1) {
		if (dt_openssh_sends_info_at_once(&v))
			mode = DT_WAIT_POLL;
		snprintf(line, sizeof(line), "%s: %s, %s", program, v.text,
			 mode == DT_WAIT_POLL ? "sends info messages at once (10.3 or later)"
					      : "holds info messages until a prompt (before 10.3)");
	} else {
		snprintf(line, sizeof(line), "%s (prompt kept)", err.msg);
	}
	if (why != NULL && why_size > 0)
		snprintf(why, why_size, "%s", line);
	return mode;
}
