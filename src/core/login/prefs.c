#include "config.h"

#include "login/prefs.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/cfg.h"

struct prefs {
	int qr;
};

static const char *const styles[] = {"auto", "utf8", "block", "ascii", "off", NULL};

static const struct dt_cfg_key prefs_keys[] = {
    {"qr", DT_CFG_ENUM, offsetof(struct prefs, qr), 0, 0, styles, 0},
    DT_CFG_END,
};

static int prefs_path(const char *home, char *out, size_t size, struct dt_err *err)
{
	if (home == NULL || home[0] != '/' ||
	    (size_t)snprintf(out, size, "%s/%s", home, DT_PREFS_FILE) >= size)
		return dt_err_set(err, DT_ERR_CONFIG, "no usable home directory");
	return 0;
}

static int read_text(int fd, const char *path, uid_t owner, char *buf, size_t size,
		     struct dt_err *err)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: not a regular file", path);
	if (st.st_uid != owner || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s: ignored: must be owned by the user and not writable by others", path);
	if (st.st_size >= (off_t)size)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: ignored: larger than %zu bytes", path,
				  size - 1);
	n = read(fd, buf, size - 1);
	if (n < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", path, strerror(errno));
	buf[n] = '\0';
	return (int)n;
}

int dt_prefs_read(const char *home, uid_t owner, enum dt_qr_style *style, struct dt_err *err)
{
	char path[4096], text[DT_PREFS_MAX_BYTES + 1];
	struct prefs p = {DT_QR_AUTO};
	int fd, n;

	if (prefs_path(home, path, sizeof(path), err) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == EACCES || errno == ENOTDIR)
			return 0;
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s%s", path, strerror(errno),
				  errno == ELOOP ? " (symbolic links are refused)" : "");
	}
	n = read_text(fd, path, owner, text, sizeof(text), err);
	close(fd);
	if (n < 0 || dt_cfg_parse_text(text, (size_t)n, path, prefs_keys, &p, NULL, NULL, err) < 0)
		return -1;
	if (p.qr != DT_QR_ASCII && p.qr != DT_QR_UTF8 && p.qr != DT_QR_BLOCK)
		return 0;
	*style = (enum dt_qr_style)p.qr;
	return 1;
}

int dt_prefs_write(const char *home, enum dt_qr_style style, struct dt_err *err)
{
	char path[4096], tmp[4200], text[32];
	int fd, len, ok;

	if (prefs_path(home, path, sizeof(path), err) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	len = snprintf(text, sizeof(text), "qr = %s\n", styles[style]);
	fd = mkstemp(tmp);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", tmp, strerror(errno));
	ok = fchmod(fd, 0600) == 0 && write(fd, text, (size_t)len) == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", path, strerror(saved));
	}
	return 0;
}
