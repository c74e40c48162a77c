/* The helper's Unix socket client (base/http_unix.c), through
 * dt_http_request: what it sends, what it accepts, and how each broken
 * answer ends. A server thread in this process plays the helper, one
 * scripted answer per connection. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/clock.h"
#include "base/http.h"

/* What the server sends, in pieces of `piece` bytes (0: at once). */
struct script {
	const char *answer;
	size_t piece;
	int silent; /* answer nothing; hold the connection until the client goes */
	int listen_fd;
	char request[8192];
	size_t request_len;
};

static char dir[64], sock_path[96];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dt-http-unix.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = {0}};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* Reads the request head and its Content-Length body, or until EOF. */
static void read_request(struct script *s, int fd)
{
	ssize_t n;
	const char *end, *cl;
	size_t want = 0;

	for (;;) {
		n = read(fd, s->request + s->request_len, sizeof(s->request) - 1 - s->request_len);
		if (n <= 0)
			return;
		s->request_len += (size_t)n;
		s->request[s->request_len] = '\0';
		end = strstr(s->request, "\r\n\r\n");
		if (end == NULL)
			continue;
		cl = strstr(s->request, "Content-Length: ");
		want =
		    (size_t)(end + 4 - s->request) + (cl != NULL ? strtoul(cl + 16, NULL, 10) : 0);
		if (s->request_len >= want)
			return;
	}
}

static void *serve(void *arg)
{
	struct script *s = arg;
	int fd = accept(s->listen_fd, NULL, NULL);
	size_t len, off = 0, n;
	char drain[256];

	if (fd < 0)
		return NULL;
	read_request(s, fd);
	if (s->silent) {
		while (read(fd, drain, sizeof(drain)) > 0)
			;
	} else {
		len = strlen(s->answer);
		while (off < len) {
			n = s->piece && s->piece < len - off ? s->piece : len - off;
			if (write(fd, s->answer + off, n) < 0)
				break;
			off += n;
		}
	}
	close(fd);
	return NULL;
}

/* The options the module's helper link uses, on this test's socket. */
static struct dt_http_opts helper_opts(int (*interrupted)(void))
{
	struct dt_http_opts opts = {.ca_file = NULL,
				    .proxy = NULL,
				    .unix_socket = sock_path,
				    .peer_user = NULL,
				    .peer_name = "helper",
				    .connect_timeout_ms = 0,
				    .interrupted = interrupted};

	return opts;
}

static int never(void)
{
	return 0;
}

static int always(void)
{
	return 1;
}

/* One request against a server playing `s`; the result, err and resp
 * filled. */
static int ask(struct script *s, const char *body, const char *const *headers, int64_t timeout_ms,
	       int (*interrupted)(void), struct dt_http *h, struct dt_http_response *resp,
	       struct dt_err *err)
{
	struct dt_http_opts opts = helper_opts(interrupted);
	pthread_t t;
	int rc;

	s->listen_fd = listen_on(sock_path);
	assert_int_equal(pthread_create(&t, NULL, serve, s), 0);
	dt_err_clear(err);
	assert_int_equal(dt_http_init(h, &opts, err), 0);
	rc = dt_http_request(h, body != NULL ? "POST" : "GET", "http://localhost/v1/sessions/abc",
			     headers, body, dt_now_ms() + timeout_ms, resp, err);
	dt_http_cleanup(h);
	if (s->silent)
		shutdown(s->listen_fd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(s->listen_fd);
	return rc;
}

static void test_request_and_answer_with_length(void **state)
{
	struct script s = {.answer = "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
				     "content-length: 11\r\n\r\n{\"id\":\"x\"}\n"};
	const char *headers[] = {"X-Test: 1", NULL};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	(void)state;
	assert_int_equal(ask(&s, "{\"a\":1}", headers, 5000, never, &h, &resp, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(resp.len, 11);
	assert_string_equal(resp.body, "{\"id\":\"x\"}\n");
	assert_non_null(strstr(s.request, "POST /v1/sessions/abc HTTP/1.1\r\n"));
	assert_non_null(strstr(s.request, "\r\nHost: localhost\r\n"));
	assert_non_null(strstr(s.request, "\r\nX-Test: 1\r\n"));
	assert_non_null(strstr(s.request, "\r\nContent-Length: 7\r\n"));
	assert_non_null(strstr(s.request, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(s.request, "\r\n\r\n{\"a\":1}"));
	dt_http_response_free(&resp);
}

static void test_answer_byte_by_byte_until_close(void **state)
{
	struct script s = {.answer = "HTTP/1.0 200 OK\r\nX-A: b\r\n\r\n{\"status\":\"pending\"}",
			   .piece = 1};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	(void)state;
	assert_int_equal(ask(&s, NULL, NULL, 5000, never, &h, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "{\"status\":\"pending\"}");
	assert_non_null(strstr(s.request, "GET /v1/sessions/abc HTTP/1.1\r\n"));
	assert_null(strstr(s.request, "Content-Length"));
	dt_http_response_free(&resp);
}

static void test_empty_body_is_an_empty_string(void **state)
{
	struct script s = {.answer = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	(void)state;
	assert_int_equal(ask(&s, NULL, NULL, 5000, never, &h, &resp, &err), 0);
	assert_int_equal(resp.status, 204);
	assert_non_null(resp.body);
	assert_int_equal(resp.len, 0);
	dt_http_response_free(&resp);
}

static void expect_failure(const char *answer, enum dt_err_kind kind, const char *says,
			   int transient)
{
	struct script s = {.answer = answer};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	assert_int_equal(ask(&s, NULL, NULL, 5000, never, &h, &resp, &err), -1);
	assert_int_equal(err.kind, kind);
	if (strstr(err.msg, says) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, says);
	assert_int_equal(h.transient, transient);
	assert_null(resp.body);
}

static void test_truncated_answer(void **state)
{
	(void)state;
	expect_failure("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"st", DT_ERR_UNAVAIL,
		       "before the whole answer", 1);
}

static void test_no_answer_at_all(void **state)
{
	(void)state;
	expect_failure("", DT_ERR_UNAVAIL, "closed the connection without answering", 1);
	expect_failure("HTTP/1.1 200 OK\r\nContent-Le", DT_ERR_UNAVAIL, "incomplete answer", 1);
}

static void test_not_http(void **state)
{
	(void)state;
	expect_failure("SSH-2.0-OpenSSH_9.2\r\n\r\n", DT_ERR_UNAVAIL, "did not answer in HTTP", 1);
	expect_failure("HTTP/1.1 100 Continue\r\n\r\n", DT_ERR_UNAVAIL, "did not answer in HTTP",
		       1);
}

static void test_too_large_is_refused_not_retried(void **state)
{
	char answer[128];

	(void)state;
	snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n{}",
		 DT_HTTP_MAX_BODY + 1);
	expect_failure(answer, DT_ERR_UNAVAIL, "larger than", 0);
	expect_failure("HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n{}", DT_ERR_UNAVAIL,
		       "unreadable", 0);
}

static void test_endless_answer_is_cut(void **state)
{
	size_t size = DT_HTTP_MAX_BODY + 65536, head;
	char *answer = malloc(size + 1);

	(void)state;
	assert_non_null(answer);
	head = (size_t)snprintf(answer, size, "HTTP/1.1 200 OK\r\n\r\n");
	memset(answer + head, 'a', size - head);
	answer[size] = '\0';
	expect_failure(answer, DT_ERR_UNAVAIL, "larger than", 0);
	free(answer);
}

/* A head that never ends is refused at HEAD_MAX (8 KiB), sent a byte at
 * a time: bounded work, not a search of the whole buffer per byte. */
static void test_endless_head_is_refused(void **state)
{
	size_t size = 64 * 1024;
	char *answer = malloc(size + 1);
	struct script s = {.answer = answer, .piece = 1};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;
	int64_t start = dt_now_ms();

	(void)state;
	assert_non_null(answer);
	memcpy(answer, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(answer + 20, 'a', size - 20);
	answer[size] = '\0';
	assert_int_equal(ask(&s, NULL, NULL, 20000, never, &h, &resp, &err), -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	if (strstr(err.msg, "head never ends") == NULL)
		fail_msg("%s", err.msg);
	assert_true(dt_now_ms() - start < 10000);
	free(answer);
}

static void test_chunked_is_refused(void **state)
{
	(void)state;
	expect_failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		       DT_ERR_UNAVAIL, "Transfer-Encoding", 1);
}

static void test_silent_helper_times_out_at_the_deadline(void **state)
{
	struct script s = {.silent = 1};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;
	int64_t start = dt_now_ms(), took;

	(void)state;
	assert_int_equal(ask(&s, NULL, NULL, 300, never, &h, &resp, &err), -1);
	took = dt_now_ms() - start;
	assert_int_equal(err.kind, DT_ERR_TIMEOUT);
	assert_true(h.timed_out);
	assert_true(took >= 290 && took < 5000);
}

static void test_request_timeout_is_shorter_than_the_deadline(void **state)
{
	struct script s = {.silent = 1};
	struct dt_http_opts opts = helper_opts(NULL);
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;
	pthread_t t;
	int64_t start = dt_now_ms();

	(void)state;
	s.listen_fd = listen_on(sock_path);
	assert_int_equal(pthread_create(&t, NULL, serve, &s), 0);
	dt_err_clear(&err);
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	h.request_timeout_ms = 200;
	assert_int_equal(dt_http_request(&h, "GET", "http://localhost/x", NULL, NULL, start + 10000,
					 &resp, &err),
			 -1);
	/* Its own bound, not the deadline: "unavailable", not a timeout. */
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_true(h.timed_out);
	assert_true(dt_now_ms() - start < 5000);
	shutdown(s.listen_fd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(s.listen_fd);
}

static void test_interrupt_ends_the_wait(void **state)
{
	struct script s = {.silent = 1};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;
	int64_t start = dt_now_ms();

	(void)state;
	assert_int_equal(ask(&s, NULL, NULL, 20000, always, &h, &resp, &err), -1);
	assert_int_equal(err.kind, DT_ERR_INTERRUPTED);
	assert_true(dt_now_ms() - start < 5000);
}

static void test_no_helper_listening(void **state)
{
	struct dt_http_opts opts = helper_opts(NULL);
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	(void)state;
	unlink(sock_path);
	dt_err_clear(&err);
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	assert_int_equal(dt_http_request(&h, "GET", "http://localhost/x", NULL, NULL,
					 dt_now_ms() + 2000, &resp, &err),
			 -1);
	assert_int_equal(err.kind, DT_ERR_UNAVAIL);
	assert_true(h.unsent && h.transient);
	assert_non_null(strstr(err.msg, "is dingtalk-callbackd running?"));
	assert_non_null(strstr(err.msg, sock_path));
}

static void test_header_with_a_line_break_is_never_sent(void **state)
{
	struct script s = {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"};
	const char *headers[] = {"X-A: 1\r\nX-Injected: 2", NULL};
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;

	(void)state;
	assert_int_equal(ask(&s, NULL, headers, 2000, never, &h, &resp, &err), -1);
	assert_int_equal(err.kind, DT_ERR_INTERNAL);
	assert_int_equal(s.request_len, 0);
}

/* A listener running as another user (root only: the child drops to an
 * unused uid) gets nothing, and the refusal is not "unavailable". */
static void test_listener_of_another_user_is_refused_before_sending(void **state)
{
	struct dt_http_opts opts = helper_opts(NULL);
	int ready[2], report[2], fd, conn, status;
	struct dt_http h;
	struct dt_http_response resp;
	struct dt_err err;
	char got[64];
	ssize_t n;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(report), 0);
	chmod(dir, 01777);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(4242) != 0 || setuid(4242) != 0)
			_exit(2);
		fd = listen_on(sock_path);
		chmod(sock_path, 0777);
		(void)!write(ready[1], "r", 1);
		conn = accept(fd, NULL, NULL);
		n = conn >= 0 ? read(conn, got, sizeof(got)) : -1;
		(void)!write(report[1], n == 0 ? "0" : "1", 1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], got, 1), 1);
	dt_err_clear(&err);
	assert_int_equal(dt_http_init(&h, &opts, &err), 0);
	assert_int_equal(dt_http_request(&h, "POST", "http://localhost/v1/sessions", NULL,
					 "{\"secret\":1}", dt_now_ms() + 2000, &resp, &err),
			 -1);
	assert_int_equal(err.kind, DT_ERR_DENIED);
	assert_true(h.peer_refused);
	assert_int_equal(h.transient, 0);
	assert_non_null(strstr(err.msg, "runs as uid 4242"));
	assert_int_equal(read(report[0], got, 1), 1);
	assert_int_equal(got[0], '0'); /* the listener read nothing */
	waitpid(pid, &status, 0);
	unlink(sock_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_request_and_answer_with_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answer_byte_by_byte_until_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_body_is_an_empty_string, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_answer_at_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_large_is_refused_not_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endless_answer_is_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endless_head_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunked_is_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_silent_helper_times_out_at_the_deadline, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_request_timeout_is_shorter_than_the_deadline,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_interrupt_ends_the_wait, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_helper_listening, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_with_a_line_break_is_never_sent, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_listener_of_another_user_is_refused_before_sending,
					    setup, teardown),
	};

	/* A server thread writing to a client that stopped reading. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
