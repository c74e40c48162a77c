#include "config.h"

#include "dirchain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One directory: 0 when it may stay in the chain, -1 with `why`. */
static int check_one(const char *path, const struct stat *st, uid_t owner, int ancestor, char *why,
		     size_t size)
{
	if (!S_ISDIR(st->st_mode))
		return snprintf(why, size, "%s is not a directory", path), -1;
	if (st->st_uid != 0 && st->st_uid != owner)
		return snprintf(why, size, "directory %s is owned by uid %u, not root or the user",
				path, (unsigned)st->st_uid),
		       -1;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (ancestor && st->st_uid == 0 && (st->st_mode & S_ISVTX))
		return 0;
	return snprintf(why, size, "directory %s is writable by group or others (mode %04o)", path,
			(unsigned)(st->st_mode & 07777)),
	       -1;
}

int dt_dir_chain_check(const char *dir, uid_t owner, char *why, size_t size)
{
	char *real = realpath(dir, NULL), *cut;
	struct stat st;
	int ancestor = 0, rc = 0;

	if (real == NULL)
		return snprintf(why, size, "cannot resolve %s: %s", dir, strerror(errno)), -1;
	for (;;) {
		if (stat(real, &st) != 0) {
			snprintf(why, size, "%s: %s", real, strerror(errno));
			rc = -1;
			break;
		}
		if ((rc = check_one(real, &st, owner, ancestor, why, size)) < 0 ||
		    strcmp(real, "/") == 0)
			break;
		cut = strrchr(real, '/');
		cut[cut == real ? 1 : 0] = '\0';
		ancestor = 1;
	}
	free(real);
	return rc;
}
