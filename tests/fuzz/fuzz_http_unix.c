/* libFuzzer target: what the helper may answer on its Unix socket, as the
 * module's own client reads it (base/http_unix.c). A thread of this
 * process plays the helper: it reads the request and sends the input, in
 * pieces of 1 to 7 bytes or all at once (the first byte decides), then
 * closes. A success must come with a NUL-terminated body within the
 * bound; anything may fail, nothing may crash, leak or hang. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/http.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char sock_dir[32], sock_path[108];
static int listen_fd = -1;

struct answer {
	const uint8_t *data;
	size_t size;
};

static void *serve(void *arg)
{
	const struct answer *a = arg;
	size_t off = 0, piece, n, got = 0;
	char request[4096];
	ssize_t r;
	int fd = accept(listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	/* The whole request (its head and the 2-byte body) before answering:
	 * closing with unread bytes would reset the connection, and the
	 * input would end as a reset instead of being parsed. */
	while (got < sizeof(request) - 1 &&
	       (r = read(fd, request + got, sizeof(request) - 1 - got)) > 0) {
		got += (size_t)r;
		request[got] = '\0';
		if (strstr(request, "\r\n\r\n{}") != NULL)
			break;
	}
	piece = a->size > 0 && (a->data[0] & 0x80) == 0 ? (size_t)(a->data[0] % 7) + 1 : 65536;
	while (off < a->size) {
		n = a->size - off < piece ? a->size - off : piece;
		if (send(fd, a->data + off, n, MSG_NOSIGNAL) < 0)
			break;
		off += n;
	}
	close(fd);
	return NULL;
}

static void remove_socket(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = {0}};

	(void)argc;
	(void)argv;
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/dt-fuzz-http.XXXXXX");
	if (mkdtemp(sock_dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", sock_dir);
	atexit(remove_socket);
	memcpy(sa.sun_path, sock_path, strlen(sock_path));
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 4) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct answer a = {.data = data, .size = size};
	struct dt_http_opts opts = {.ca_file = NULL,
				    .proxy = NULL,
				    .unix_socket = sock_path,
				    .peer_user = NULL,
				    .peer_name = "helper",
				    .connect_timeout_ms = 0,
				    .interrupted = NULL};
	struct dt_http_response resp;
	struct dt_http h;
	struct dt_err err;
	pthread_t t;

	if (listen_fd < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	if (pthread_create(&t, NULL, serve, &a) != 0)
		return 0;
	dt_err_clear(&err);
	if (dt_http_init(&h, &opts, &err) == 0 &&
	    dt_http_request(&h, "POST", "http://localhost/v1/sessions", NULL, "{}",
			    dt_now_ms() + 2000, &resp, &err) == 0) {
		if (resp.body == NULL || resp.len > DT_HTTP_MAX_BODY ||
		    resp.body[resp.len] != '\0' || resp.status < 200 || resp.status > 599)
			__builtin_trap();
		dt_http_response_free(&resp);
	}
	dt_http_cleanup(&h);
	pthread_join(t, NULL);
	return 0;
}
