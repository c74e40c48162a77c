#include "config.h"

#include "cold_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

int cold_child_spawn(struct cold_child *c, char *const argv[], char *const envp[])
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc;

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->out = -1;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("bench_cold: pipe");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(&c->pid, argv[0], &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		fprintf(stderr, "bench_cold: cannot start %s: %s\n", argv[0], strerror(rc));
		close(fds[0]);
		c->pid = -1;
		return -1;
	}
	c->out = fds[0];
	return 0;
}

static int take_line(struct cold_child *c, char *line, size_t size)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - c->buf);
	snprintf(line, size, "%.*s", (int)n, c->buf);
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	return 1;
}

void cold_child_kill(struct cold_child *c)
{
	if (c->pid > 0)
		kill(c->pid, SIGKILL);
}

int cold_child_line(struct cold_child *c, char *line, size_t size, int limit_ms)
{
	double end = bench_now_us() + limit_ms * 1000.0, left;
	struct pollfd p = {.fd = c->out, .events = POLLIN, .revents = 0};
	ssize_t got;

	while (!take_line(c, line, size)) {
		if (c->len == sizeof(c->buf)) {
			fprintf(stderr, "bench_cold: a line of the client over %zu bytes\n",
				sizeof(c->buf));
			cold_child_kill(c);
			return -1;
		}
		left = end - bench_now_us();
		if (left <= 0 || poll(&p, 1, (int)(left / 1000) + 1) == 0) {
			fprintf(stderr, "bench_cold: the client said nothing for %d ms\n",
				limit_ms);
			cold_child_kill(c);
			return -1;
		}
		got = read(c->out, c->buf + c->len, sizeof(c->buf) - c->len);
		if (got == 0)
			return 0;
		if (got < 0 && errno != EINTR && errno != EAGAIN) {
			perror("bench_cold: reading the client");
			cold_child_kill(c);
			return -1;
		}
		if (got > 0)
			c->len += (size_t)got;
	}
	return 1;
}

int cold_child_reap(struct cold_child *c, int limit_ms)
{
	double end = bench_now_us() + limit_ms * 1000.0;
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000000};
	int status = 0, killed = 0;
	pid_t got;

	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	if (c->pid <= 0)
		return -1;
	while ((got = waitpid(c->pid, &status, killed ? 0 : WNOHANG)) == 0 ||
	       (got < 0 && errno == EINTR)) {
		if (!killed && bench_now_us() > end) {
			fprintf(stderr, "bench_cold: the client did not exit within %d ms\n",
				limit_ms);
			cold_child_kill(c);
			killed = 1;
		}
		if (!killed)
			nanosleep(&tick, NULL);
	}
	c->pid = -1;
	if (got < 0 || killed || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int cold_result_parse(const char *line, struct cold_result *r)
{
	return sscanf(line, "result %d %lf %lf %lf %lf %lf %ld %ld", &r->pam_rc, &r->t_start0,
		      &r->t_start1, &r->t_auth0, &r->t_qr, &r->t_auth1, &r->cpu_us,
		      &r->maxrss_kib) == 8
		   ? 0
		   : -1;
}
