/* systemd's readiness notification, without libsystemd: see notify.h. */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* Fills `sun` from NOTIFY_SOCKET; returns the address length, or 0 when
 * the value is no usable address. */
static socklen_t notify_address(const char *name, struct sockaddr_un *sun)
{
	size_t len = strlen(name);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (len < 2 || len >= sizeof(sun->sun_path) || (name[0] != '/' && name[0] != '@'))
		return 0;
	memcpy(sun->sun_path, name, len);
	if (name[0] == '@') /* abstract: a leading NUL, no terminating one */
		sun->sun_path[0] = '\0';
	else
		len++;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

int cbd_notify(const char *state, struct dt_err *err)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t alen;
	ssize_t n;
	int fd, saved;

	if (name == NULL || name[0] == '\0')
		return 0;
	alen = notify_address(name, &sun);
	if (alen == 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "NOTIFY_SOCKET '%s' is not an absolute path or @name", name);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_UNAVAIL, "NOTIFY_SOCKET %s: socket: %s", name,
				  strerror(errno));
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sun, alen);
	saved = errno;
	close(fd);
	if (n != (ssize_t)strlen(state))
		return dt_err_set(err, DT_ERR_UNAVAIL, "NOTIFY_SOCKET %s: cannot send %s: %s", name,
				  state, n < 0 ? strerror(saved) : "short write");
	return 0;
}
