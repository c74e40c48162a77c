/* Doing something as another user without ever being that user in this
 * process: a child drops to the user for good, the parent stays root. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

static int drop_to(const struct passwd *pw)
{
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		return -1;
	/* Make sure there is no way back. */
	return setuid(0) == 0 && pw->pw_uid != 0 ? -1 : 0;
}

static void child(const struct passwd *pw, int (*fn)(void *, struct dt_err *), void *ctx, int out)
{
	struct dt_err err;
	ssize_t n;

	dt_err_clear(&err);
	if (drop_to(pw) != 0)
		dt_err_set(&err, DT_ERR_INTERNAL, "cannot become %s: %s", pw->pw_name,
			   strerror(errno));
	else
		fn(ctx, &err);
	n = write(out, &err, sizeof(err));
	_exit(n == (ssize_t)sizeof(err) && err.kind == DT_OK ? 0 : 1);
}

int ctl_as_user(const struct passwd *pw, int (*fn)(void *ctx, struct dt_err *err), void *ctx,
		struct dt_err *err)
{
	int fds[2], status = 0;
	struct dt_err got;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return dt_err_set(err, DT_ERR_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child(pw, fn, ctx, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], &got, sizeof(got));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(got))
		return dt_err_set(err, DT_ERR_INTERNAL, "the process run as %s died", pw->pw_name);
	got.msg[sizeof(got.msg) - 1] = '\0';
	if (got.kind != DT_OK) {
		*err = got;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the process run as %s failed",
				  pw->pw_name);
	return 0;
}
