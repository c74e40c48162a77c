#include "config.h"

#include "hostkey_edit.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"

static void wipe_free(char *text, size_t len)
{
	if (text == NULL)
		return;
	OPENSSL_cleanse(text, len);
	free(text);
}

void ctl_keyfile_release(struct ctl_keyfile_view *v)
{
	wipe_free(v->text, v->len);
	dt_hostkey_entries_free(v->keys, v->n);
	memset(v, 0, sizeof(*v));
}

/* The file under a secret's rules, owned by `uid` (root's own rule when
 * uid is 0: dt_file_owner_trusted). */
static char *read_owned(const char *path, uid_t uid, size_t *len, struct dt_file_refusal *why,
			struct dt_err *err)
{
	const struct dt_file_rules rules = {
	    .owner = uid,
	    .trusted_owner = uid == 0,
	    .forbidden = S_IRWXG | S_IRWXO,
	    .mode_rule = "0600 or stricter: it holds secrets",
	    .max_bytes = DT_HOSTKEY_FILE_MAX,
	    .kind = DT_ERR_CONFIG,
	};

	memset(why, 0, sizeof(*why));
	return dt_file_read(path, &rules, len, why, err);
}

/* The service user's file, or root's (one that --owner is about to give
 * to that user). */
static char *read_text(const struct ctl_keyfile *f, size_t *len, struct dt_file_refusal *why,
		       struct dt_err *err)
{
	char *text = read_owned(f->path, f->uid, len, why, err);

	if (text == NULL && why->fault == DT_FILE_NOT_OWNED && f->uid != 0 && why->owner == 0) {
		dt_err_clear(err);
		text = read_owned(f->path, 0, len, why, err);
	}
	return text;
}

int ctl_keyfile_read(const struct ctl_keyfile *f, struct ctl_keyfile_view *v, struct dt_err *err)
{
	struct dt_file_refusal why;

	memset(v, 0, sizeof(*v));
	v->text = read_text(f, &v->len, &why, err);
	if (v->text == NULL && why.fault == DT_FILE_CANNOT_OPEN && why.errnum == ENOENT) {
		dt_err_clear(err);
		v->missing = 1;
		v->text = calloc(1, 1);
		if (v->text == NULL)
			return dt_err_oom_in(err, f->path);
	}
	if (v->text == NULL) {
		if (why.fault == DT_FILE_NOT_OWNED && err != NULL) {
			size_t used = strlen(err->msg);
			snprintf(err->msg + used, sizeof(err->msg) - used,
				 " (when dingtalk-callbackd runs as that user, pass --owner USER)");
		}
		return -1;
	}
	if (dt_hostkey_file_parse(v->text, v->len, f->path, &v->keys, &v->n, err) < 0) {
		ctl_keyfile_release(v);
		return -1;
	}
	return 0;
}

/* The lock lives beside the file (the file itself is replaced by every
 * write). */
static int take_lock(const char *path, struct dt_err *err)
{
	char lock[4200];
	int fd;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: path too long", path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: cannot open the lock: %s", lock,
				  strerror(errno));
	if (fchmod(fd, 0600) != 0 || flock(fd, LOCK_EX) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot lock: %s", lock, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int write_file(const struct ctl_keyfile *f, const char *text, struct dt_err *err)
{
	const struct dt_file_write w = {
	    .path = f->path, .mode = 0600, .trusted_owner = 1, .sync_dir = 1};
	char tmp[DT_FILE_TMP_SIZE];

	if (dt_file_stage(&w, text, strlen(text), tmp, err) < 0)
		return -1;
	/* Given to the service's user before it is visible under the name. */
	if ((f->uid != 0 || f->gid != 0) && lchown(tmp, f->uid, f->gid) != 0) {
		dt_err_set(err, DT_ERR_CONFIG, "%s: cannot give it to uid %u: %s", tmp,
			   (unsigned)f->uid, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return dt_file_commit(&w, tmp, err);
}

/* The new text must read back as a key file: an edit never writes a file
 * the service would refuse. */
static int check_new(const struct ctl_keyfile *f, const char *text, struct dt_err *err)
{
	struct dt_hostkey_entry *e = NULL;
	size_t n = 0;

	if (strlen(text) > DT_HOSTKEY_FILE_MAX)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: would grow past %d bytes", f->path,
				  DT_HOSTKEY_FILE_MAX);
	if (dt_hostkey_file_parse(text, strlen(text), f->path, &e, &n, err) < 0)
		return -1;
	dt_hostkey_entries_free(e, n);
	return 0;
}

int ctl_keyfile_rewrite(const struct ctl_keyfile *f, ctl_keyfile_edit_fn edit, void *ctx,
			struct dt_err *err)
{
	struct ctl_keyfile_view v;
	char *updated = NULL;
	int lock, rc;

	if (f->path[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: want an absolute path", f->path);
	lock = take_lock(f->path, err);
	if (lock < 0)
		return -1;
	rc = ctl_keyfile_read(f, &v, err);
	if (rc == 0) {
		rc = edit(ctx, &v, &updated, err);
		if (rc == 0 && updated != NULL)
			rc = check_new(f, updated, err) < 0 ? -1 : write_file(f, updated, err);
		if (updated != NULL)
			wipe_free(updated, strlen(updated));
		ctl_keyfile_release(&v);
	}
	close(lock); /* releases the flock */
	return rc;
}
