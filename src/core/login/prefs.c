#include "config.h"

#include "login/prefs.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
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

/* A file that is not there, or that the user cannot reach, holds no
 * preference: that is no error. */
static int no_file(const struct dt_file_refusal *why)
{
	return why->fault == DT_FILE_CANNOT_OPEN &&
	       (why->errnum == ENOENT || why->errnum == EACCES || why->errnum == ENOTDIR);
}

static int refuse(const char *path, const struct dt_file_refusal *why, struct dt_err *err)
{
	switch (why->fault) {
	case DT_FILE_CANNOT_OPEN:
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s%s", path, strerror(why->errnum),
				  why->errnum == ELOOP ? " (symbolic links are refused)" : "");
	case DT_FILE_NOT_OWNED:
	case DT_FILE_TOO_OPEN:
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s: ignored: must be owned by the user and not writable by others", path);
	case DT_FILE_TOO_LARGE:
		return dt_err_set(err, DT_ERR_CONFIG, "%s: ignored: larger than %d bytes", path,
				  DT_PREFS_MAX_BYTES);
	case DT_FILE_NO_MEMORY:
		return dt_err_oom_in(err, path);
	case DT_FILE_CANNOT_READ:
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s", path, strerror(why->errnum));
	case DT_FILE_READ_OK:
	case DT_FILE_CANNOT_STAT:
	case DT_FILE_NOT_REGULAR:
		break;
	}
	return dt_err_set(err, DT_ERR_CONFIG, "%s: not a regular file", path);
}

int dt_prefs_read(const char *home, uid_t owner, enum dt_qr_style *style, struct dt_err *err)
{
	const struct dt_file_rules rules = {
	    .owner = owner, .forbidden = S_IWGRP | S_IWOTH, .max_bytes = DT_PREFS_MAX_BYTES};
	struct dt_file_refusal why;
	struct prefs p = {DT_QR_AUTO};
	char path[4096], *text;
	size_t len = 0;
	int rc;

	if (prefs_path(home, path, sizeof(path), err) < 0)
		return -1;
	text = dt_file_read(path, &rules, &len, &why, NULL);
	if (text == NULL)
		return no_file(&why) ? 0 : refuse(path, &why, err);
	rc = dt_cfg_parse_text(text, len, path, prefs_keys, &p, NULL, NULL, err);
	free(text);
	if (rc < 0)
		return -1;
	if (p.qr != DT_QR_ASCII && p.qr != DT_QR_UTF8 && p.qr != DT_QR_BLOCK)
		return 0;
	*style = (enum dt_qr_style)p.qr;
	return 1;
}

int dt_prefs_write(const char *home, enum dt_qr_style style, struct dt_err *err)
{
	char path[4096], text[32];
	const struct dt_file_write w = {.path = path, .mode = 0600};
	int len;

	if (prefs_path(home, path, sizeof(path), err) < 0)
		return -1;
	len = snprintf(text, sizeof(text), "qr = %s\n", styles[style]);
	return dt_file_replace(&w, text, (size_t)len, err);
}
