#include "config.h"

#include "base/http_unix.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/peer.h"

/* Every status line and header block the helper sends fits in this. */
#define HEAD_MAX 8192
/* The longest single sleep: how soon Ctrl-C is noticed. */
#define TICK_MS 1000
/* A full listen queue is tried again this often. */
#define BUSY_RETRY_MS 5

/* One request on one connection. */
struct call {
	struct dt_http *h;
	int fd;
	int64_t end_ms;
	char *buf; /* what was read: head, then body; wiped when freed */
	size_t len, cap;
	int64_t asked_ms; /* when opts.interrupted was last asked */
};

/* Ctrl-C at the terminal: asked at least once a second, whether the peer
 * is silent or keeps sending. */
static int interrupted(struct call *c, struct dt_err *err)
{
	int64_t now = dt_now_ms();

	if (c->h->opts.interrupted == NULL || now - c->asked_ms < TICK_MS)
		return 0;
	c->asked_ms = now;
	if (!c->h->opts.interrupted())
		return 0;
	return dt_err_set(err, DT_ERR_INTERRUPTED,
			  "interrupted at the terminal while waiting for the %s",
			  c->h->opts.peer_name);
}

static int unreachable(struct call *c, int errnum, struct dt_err *err)
{
	return dt_err_set(
	    err, DT_ERR_UNAVAIL, "cannot reach the %s on unix:%s: %s%s", c->h->opts.peer_name,
	    c->h->opts.unix_socket, strerror(errnum),
	    errnum == ENOENT || errnum == ECONNREFUSED ? " (is dingtalk-callbackd running?)" : "");
}

/* A connection that fails reads "cannot reach the helper on unix:PATH:
 * ...", as logs and the administrator's searches expect (an answer over
 * the bound is named as such). */
static int broken(struct call *c, const char *what, struct dt_err *err)
{
	c->h->transient = 1;
	return dt_err_set(err, DT_ERR_UNAVAIL, "cannot reach the %s on unix:%s: it %s",
			  c->h->opts.peer_name, c->h->opts.unix_socket, what);
}

/* Waits until the socket is ready for `events`, within the call's end. */
static int await(struct call *c, short events, struct dt_err *err)
{
	struct pollfd p = {.fd = c->fd, .events = events, .revents = 0};
	int64_t left;
	int rc;

	for (;;) {
		if (interrupted(c, err) < 0)
			return -1;
		left = c->end_ms - dt_now_ms();
		if (left <= 0) {
			c->h->timed_out = 1;
			c->h->transient = 1;
			return dt_err_set(err, DT_ERR_UNAVAIL,
					  "cannot reach the %s on unix:%s: no answer in time",
					  c->h->opts.peer_name, c->h->opts.unix_socket);
		}
		rc = poll(&p, 1, left > TICK_MS ? TICK_MS : (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return broken(c, "could not be waited on (poll failed)", err);
	}
}

static int describe_refused_peer(const struct dt_http *h, long seen_uid, struct dt_err *err)
{
	char seen[64] = "an unknown uid (its credentials could not be read)";
	char trusted[48] = "root";

	if (seen_uid >= 0)
		snprintf(seen, sizeof(seen), "uid %ld", seen_uid);
	if (geteuid() != 0)
		snprintf(trusted, sizeof(trusted), "root or uid %u (this process)",
			 (unsigned)geteuid());
	/* A refusal, not an outage: a local user who takes over the socket
	 * path must not get failmode's PAM_IGNORE or a recovery prompt. */
	return dt_err_set(err, DT_ERR_DENIED,
			  "the %s on unix:%s runs as %s, not as %s%s: refused before sending "
			  "anything. If dingtalk-callbackd runs as its own user, set helper_user "
			  "to it; otherwise another program holds the socket path",
			  h->opts.peer_name, h->opts.unix_socket, seen, trusted,
			  h->peer_uid_set ? " or helper_user" : "");
}

/* Before anything is sent: the listener must be root, this process's
 * user where that is trusted (peer.h), or helper_user. */
static int check_peer(struct call *c, struct dt_err *err)
{
	uid_t uid;
	long seen = -1;

	if (dt_peer_uid(c->fd, &uid) == 0) {
		if (dt_peer_trusted(uid) || (c->h->peer_uid_set && uid == c->h->peer_uid))
			return 0;
		seen = (long)uid;
	}
	c->h->peer_refused = 1;
	c->h->peer_seen = seen;
	return describe_refused_peer(c->h, seen, err);
}

static int connect_helper(struct call *c, struct dt_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = {0}};
	const char *path = c->h->opts.unix_socket;
	int64_t left;

	if (strlen(path) >= sizeof(sa.sun_path))
		return dt_err_set(err, DT_ERR_CONFIG, "unix:%s: the path is longer than %zu bytes",
				  path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return unreachable(c, errno, err);
	/* A non-blocking connect on a Unix socket completes at once or fails
	 * with EAGAIN when the listener's queue is full: then again, shortly. */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			c->h->unsent = 1;
			c->h->transient = 1;
			return unreachable(c, errno, err);
		}
		left = c->end_ms - dt_now_ms();
		if (left <= 0) {
			c->h->unsent = 1;
			c->h->transient = 1;
			c->h->timed_out = 1;
			return unreachable(c, EAGAIN, err);
		}
		if (interrupted(c, err) < 0)
			return -1;
		poll(NULL, 0, left < BUSY_RETRY_MS ? (int)left : BUSY_RETRY_MS);
	}
	return check_peer(c, err);
}

static int send_all(struct call *c, const char *data, size_t len, int more, struct dt_err *err)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (await(c, POLLOUT, err) < 0)
				return -1;
		} else {
			return broken(c, "closed the connection before the request was sent", err);
		}
	}
	return 0;
}

/* "Name: value" lines come from this program; a line break inside one
 * would start another header or the body. */
static int headers_length(const char *const *headers, size_t *len)
{
	*len = 0;
	for (; headers != NULL && *headers != NULL; headers++) {
		if (strpbrk(*headers, "\r\n") != NULL)
			return -1;
		*len += strlen(*headers) + 2;
	}
	return 0;
}

static char *request_head(const char *method, const char *host, const char *target,
			  const char *const *headers, const char *body)
{
	size_t extra, size, used;
	char *head;
	int n;

	if (headers_length(headers, &extra) < 0)
		return NULL;
	size = strlen(method) + strlen(host) + strlen(target) + extra + 256;
	head = malloc(size);
	if (head == NULL)
		return NULL;
	n = snprintf(head, size,
		     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: pam_dingtalk/" PACKAGE_VERSION
		     "\r\nAccept: */*\r\nConnection: close\r\n",
		     method, target, host);
	used = (size_t)n;
	for (; headers != NULL && *headers != NULL; headers++)
		used += (size_t)snprintf(head + used, size - used, "%s\r\n", *headers);
	if (body != NULL)
		used += (size_t)snprintf(
		    head + used, size - used,
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
	else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		used += (size_t)snprintf(head + used, size - used, "Content-Length: 0\r\n");
	snprintf(head + used, size - used, "\r\n");
	return head;
}

/* http://HOST/TARGET: HOST for the Host header, TARGET from its '/'. */
static int split_url(const char *url, char *host, size_t size, const char **target)
{
	const char *p = url + strlen("http://");
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	n = strcspn(p, "/?#");
	if (n == 0 || n >= size || p[n] != '/' || strpbrk(p, " \r\n") != NULL)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	*target = p + n;
	return 0;
}

static int send_request(struct call *c, const char *method, const char *url,
			const char *const *headers, const char *body, struct dt_err *err)
{
	char host[256];
	const char *target;
	char *head;
	int rc;

	if (split_url(url, host, sizeof(host), &target) < 0)
		return dt_err_set(err, DT_ERR_INTERNAL, "%s: not a URL for a Unix socket",
				  c->h->opts.peer_name);
	head = request_head(method, host, target, headers, body);
	if (head == NULL)
		return dt_err_set(err, DT_ERR_INTERNAL, "%s: cannot set up the HTTP request",
				  c->h->opts.peer_name);
	rc = send_all(c, head, strlen(head), body != NULL, err);
	OPENSSL_cleanse(head, strlen(head));
	free(head);
	if (rc == 0 && body != NULL)
		rc = send_all(c, body, strlen(body), 0, err);
	return rc;
}

/* Grows the read buffer without leaving copies behind: the wait's answer
 * carries the authorization code. */
static int grow(struct call *c)
{
	size_t cap = c->cap ? c->cap * 2 : 4096;
	char *bigger;

	if (cap > HEAD_MAX + DT_HTTP_MAX_BODY + 1)
		cap = HEAD_MAX + DT_HTTP_MAX_BODY + 1;
	bigger = malloc(cap);
	if (bigger == NULL)
		return -1;
	if (c->buf != NULL) {
		memcpy(bigger, c->buf, c->len);
		OPENSSL_cleanse(c->buf, c->cap);
		free(c->buf);
	}
	c->buf = bigger;
	c->cap = cap;
	return 0;
}

/* Reads until the peer closes or `want` bytes are in (0: until it
 * closes; (size_t)-1: until the head's blank line). Returns 1 at the end
 * of the stream, 0 with `want` reached. */
static int read_more(struct call *c, size_t want, struct dt_err *err)
{
	size_t room;
	ssize_t n;

	while (want == 0 || c->len < want) {
		if (c->len + 1 >= c->cap) {
			if (c->cap >= HEAD_MAX + DT_HTTP_MAX_BODY + 1)
				return dt_err_set(
				    err, DT_ERR_UNAVAIL,
				    "the %s on unix:%s: answer larger than %d bytes, refused",
				    c->h->opts.peer_name, c->h->opts.unix_socket, DT_HTTP_MAX_BODY);
			if (grow(c) < 0)
				return dt_err_oom(err);
		}
		room = c->cap - 1 - c->len;
		/* The head is read no further than HEAD_MAX. */
		if (want == (size_t)-1 && room > HEAD_MAX - c->len)
			room = HEAD_MAX - c->len;
		n = recv(c->fd, c->buf + c->len, room, 0);
		if (n > 0) {
			size_t from = c->len > 3 ? c->len - 3 : 0;

			c->len += (size_t)n;
			c->buf[c->len] = '\0';
			if (want != (size_t)-1)
				continue;
			/* Only the new bytes are searched, and the head must
			 * end within HEAD_MAX: a peer sending a byte at a time
			 * costs no more than a peer sending it all at once. */
			if (memmem(c->buf + from, c->len - from, "\r\n\r\n", 4) != NULL)
				return 0;
			if (c->len >= HEAD_MAX)
				return broken(c, "sent an answer whose head never ends", err);
		} else if (n == 0) {
			return 1;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (await(c, POLLIN, err) < 0)
				return -1;
		} else {
			return broken(c, "reset the connection", err);
		}
	}
	return 0;
}

/* The value of header `name` in the head, or NULL. */
static const char *header(const char *head, size_t head_len, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *line = memchr(head, '\n', head_len), *end = head + head_len, *next, *v;

	while (line != NULL && line + 1 < end) {
		line++;
		next = memchr(line, '\n', (size_t)(end - line));
		if (next == NULL)
			next = end;
		if ((size_t)(next - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			for (v = line + nlen + 1; v < next && (*v == ' ' || *v == '\t'); v++)
				;
			*vlen = (size_t)(next - v);
			while (*vlen > 0 && (v[*vlen - 1] == '\r' || v[*vlen - 1] == ' '))
				(*vlen)--;
			return v;
		}
		line = next < end ? next : NULL;
	}
	return NULL;
}

/* Content-Length: digits only, within the bound. -1: absent; -2: bad. */
static long long content_length(const char *head, size_t head_len)
{
	size_t n, i;
	const char *v = header(head, head_len, "Content-Length", &n);
	long long len = 0;

	if (v == NULL)
		return -1;
	if (n == 0 || n > 9)
		return -2;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -2;
		len = len * 10 + (v[i] - '0');
	}
	return len;
}

static int parse_status(struct call *c, long *status)
{
	const char *b = c->buf;

	if (c->len < 12 || (strncmp(b, "HTTP/1.1 ", 9) != 0 && strncmp(b, "HTTP/1.0 ", 9) != 0))
		return -1;
	if (b[9] < '2' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9')
		return -1;
	*status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	return 0;
}

static int read_answer(struct call *c, struct dt_http_response *resp, struct dt_err *err)
{
	const char *end;
	size_t head_len, te_len, have;
	long long length;
	int eof;

	eof = read_more(c, (size_t)-1, err);
	if (eof < 0)
		return -1;
	end = c->len > 0 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
	if (end == NULL)
		return broken(c,
			      c->len == 0 ? "closed the connection without answering"
					  : "sent an incomplete answer",
			      err);
	head_len = (size_t)(end - c->buf) + 4;
	if (parse_status(c, &resp->status) < 0)
		return broken(c, "did not answer in HTTP/1.1", err);
	if (header(c->buf, head_len, "Transfer-Encoding", &te_len) != NULL)
		return broken(c, "answered with a Transfer-Encoding, which it never sends", err);
	length = content_length(c->buf, head_len);
	if (length == -2 || length > DT_HTTP_MAX_BODY)
		return dt_err_set(
		    err, DT_ERR_UNAVAIL,
		    "the %s on unix:%s: answer larger than %d bytes or unreadable, refused",
		    c->h->opts.peer_name, c->h->opts.unix_socket, DT_HTTP_MAX_BODY);
	if (!eof && read_more(c, length >= 0 ? head_len + (size_t)length : 0, err) < 0)
		return -1;
	have = c->len - head_len;
	if (length >= 0 && have < (size_t)length)
		return broken(c, "closed the connection before the whole answer", err);
	if (length >= 0)
		have = (size_t)length;
	resp->body = malloc(have + 1);
	if (resp->body == NULL)
		return dt_err_oom(err);
	memcpy(resp->body, c->buf + head_len, have);
	resp->body[have] = '\0';
	resp->len = have;
	return 0;
}

int dt_http_unix_request(struct dt_http *h, const char *method, const char *url,
			 const char *const *headers, const char *body, int64_t deadline_ms,
			 struct dt_http_response *resp, struct dt_err *err)
{
	struct call c = {.h = h,
			 .fd = -1,
			 .end_ms = deadline_ms,
			 .buf = NULL,
			 .len = 0,
			 .cap = 0,
			 .asked_ms = dt_now_ms()};
	int rc;

	if (h->request_timeout_ms > 0 && dt_now_ms() + h->request_timeout_ms < deadline_ms)
		c.end_ms = dt_now_ms() + h->request_timeout_ms;
	rc = connect_helper(&c, err);
	if (rc == 0)
		rc = send_request(&c, method, url, headers, body, err);
	if (rc == 0)
		rc = read_answer(&c, resp, err);
	if (c.fd >= 0)
		close(c.fd);
	if (c.buf != NULL) {
		OPENSSL_cleanse(c.buf, c.cap);
		free(c.buf);
	}
	return rc;
}
