#include "config.h"

#include "base/peer.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Digits only, and within uid_t: "0x10" or "-1" are names, not uids. */
static int parse_uid(const char *text, uid_t *uid)
{
	char *end;
	unsigned long v;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v >= (unsigned long)(uid_t)-1)
		return -1;
	*uid = (uid_t)v;
	return 0;
}

int dt_peer_user_uid(const char *key, const char *user, uid_t *uid, struct dt_err *err)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (parse_uid(user, uid) == 0)
		return 0;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: no user '%.64s' on this host", key,
				  user);
	*uid = found->pw_uid;
	return 0;
}

int dt_peer_uid(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    len != sizeof(cred))
		return -1;
	*uid = cred.uid;
	return 0;
}

int dt_peer_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}
