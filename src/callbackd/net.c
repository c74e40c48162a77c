/* Creating the listeners: TCP for phones, a Unix socket for modules. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "conf.h"
#include "net.h"

/* At least the listeners' connection limits (control.c, public.c): a burst
 * of logins must queue, not fail. A full Unix socket backlog makes
 * connect() fail at once with EAGAIN, which the module reports as "cannot
 * reach the helper" (found by tests/callbackd/test_load.py: 200 waiters at
 * once against a helper slowed by valgrind). The kernel caps it at
 * net.core.somaxconn. */
#define BACKLOG 512

static int bind_first(const struct addrinfo *list, const char *addr, struct dt_err *err)
{
	const struct addrinfo *ai;
	int fd, one = 1, saved = 0;

	for (ai = list; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, BACKLOG) == 0)
			return fd;
		saved = errno;
		close(fd);
	}
	return dt_err_set(err, DT_ERR_CONFIG, "listen %s: %s", addr, strerror(saved));
}

int cbd_listen_tcp(const char *addr, struct dt_err *err)
{
	struct addrinfo hints, *list = NULL;
	char host[256], port[8];
	int rc, fd;

	if (cbd_split_hostport(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return dt_err_set(err, DT_ERR_CONFIG, "listen %s: expected host:port", addr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &list);
	if (rc != 0)
		return dt_err_set(err, DT_ERR_CONFIG, "listen %s: %s", addr, gai_strerror(rc));
	fd = bind_first(list, addr, err);
	freeaddrinfo(list);
	return fd;
}

static int make_parent(const char *path, struct dt_err *err)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0) {
		if (errno == EEXIST)
			return 0; /* the administrator's, left as it is */
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: cannot create %s: %s", path, dir,
				  strerror(errno));
	}
	/* mkdir's mode is cut by the umask the helper was started with. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755) != 0) {
		int saved = errno;
		if (fd >= 0)
			close(fd);
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: cannot set the mode of %s: %s",
				  path, dir, strerror(saved));
	}
	close(fd);
	return 0;
}

/* A socket file left by a crashed helper is replaced; a live helper, or a
 * file that is not a socket, is left alone and reported. */
static int clear_stale(const char *path, const struct sockaddr_un *sun, struct dt_err *err)
{
	struct stat st;
	int fd, live;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0
				       : dt_err_set(err, DT_ERR_CONFIG, "control %s: %s", path,
						    strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "control %s: exists and is not a socket; refusing to replace it",
				  path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "socket: %s", strerror(errno));
	live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	if (live)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "control %s: another helper is already listening there", path);
	if (unlink(path) != 0 && errno != ENOENT)
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: cannot remove stale socket: %s",
				  path, strerror(errno));
	return 0;
}

static int bind_unix(int fd, const char *path, const struct sockaddr_un *sun, struct dt_err *err)
{
	mode_t old = umask(0177); /* the socket is born 0600 */
	int rc = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int saved = errno;

	umask(old);
	if (rc != 0)
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: %s", path, strerror(saved));
	if (chmod(path, 0600) != 0 || listen(fd, BACKLOG) != 0)
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: %s", path, strerror(errno));
	return 0;
}

int cbd_listen_unix(const char *path, ino_t *ino_out, struct dt_err *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return dt_err_set(err, DT_ERR_CONFIG, "control %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (make_parent(path, err) != 0 || clear_stale(path, &sun, err) != 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "socket: %s", strerror(errno));
	if (bind_unix(fd, path, &sun, err) != 0) {
		close(fd);
		return -1;
	}
	if (lstat(path, &st) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "control %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*ino_out = st.st_ino;
	return fd;
}

void cbd_unlink_unix(const char *path, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == ino)
		(void)unlink(path);
}

int cbd_peer_cred(int fd, uid_t *uid, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred))
		return -1;
	*uid = cred.uid;
	*pid = cred.pid;
	return 0;
}
