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

/* The child's report: fn's answer, and its error when it failed. */
struct report {
	int answer;
	struct dt_err err;
};

static void child(const struct passwd *pw, int (*fn)(void *, struct dt_err *), void *ctx, int out)
{
	struct report r = {.answer = -1};
	ssize_t n;

	dt_err_clear(&r.err);
	if (drop_to(pw) != 0)
		dt_err_set(&r.err, DT_ERR_INTERNAL, "cannot become %s: %s", pw->pw_name,
			   strerror(errno));
	else if ((r.answer = fn(ctx, &r.err)) > 100)
		r.answer = dt_err_set(&r.err, DT_ERR_INTERNAL, "answer out of range");
	n = write(out, &r, sizeof(r));
	_exit(n == (ssize_t)sizeof(r) ? 0 : 1);
}

int ctl_as_user(const struct passwd *pw, int (*fn)(void *ctx, struct dt_err *err), void *ctx,
		struct dt_err *err)
{
	int fds[2], status = 0;
	struct report r;
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
	n = read(fds[0], &r, sizeof(r));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "the process run as %s died", pw->pw_name);
	if (r.answer < 0) {
		r.err.msg[sizeof(r.err.msg) - 1] = '\0';
		*err = r.err;
		if (err->kind == DT_OK)
			err->kind = DT_ERR_INTERNAL;
		return -1;
	}
	return r.answer;
}
