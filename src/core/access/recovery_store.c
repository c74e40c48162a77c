#include "config.h"

#include "access/recovery_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/cfg.h"
#include "access/recovery.h"
#include "base/rewrite.h"
#include "base/util.h"

static struct dt_rewrite_target target(const char *path)
{
	struct dt_rewrite_target t = {.path = path,
				      .protection = DT_FILE_SECRET,
				      .mode = 0600,
				      .max_bytes = DT_RECOVERY_MAX_BYTES};
	return t;
}

int dt_recovery_left(const char *path, const char *user, unsigned *left, struct dt_err *err)
{
	struct stat st;
	size_t len = 0;
	char *text;
	int rc;

	*left = 0;
	if (lstat(path, &st) != 0 && errno == ENOENT)
		return 0;
	text = dt_read_protected_file(path, DT_FILE_SECRET, DT_RECOVERY_MAX_BYTES, &len, err);
	if (text == NULL)
		return -1;
	rc = dt_recovery_count(text, len, path, user, left, err);
	dt_free_secret(text);
	return rc;
}

struct use {
	const char *path, *user, *code;
	int accepted;
	unsigned left;
};

static int spend(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	struct use *u = ctx;

	if (dt_recovery_consume(old, len, u->path, u->user, u->code, out, &u->left, err) < 0)
		return -1;
	u->accepted = *out != NULL;
	return 0;
}

int dt_recovery_use(const char *path, const char *user, const char *code, int *accepted,
		    unsigned *left, struct dt_err *err)
{
	struct dt_rewrite_target t = target(path);
	struct use u = {.path = path, .user = user, .code = code};
	int rc = dt_rewrite_file(&t, spend, &u, err);

	*accepted = rc == 0 && u.accepted;
	*left = u.left;
	return rc;
}

struct issue {
	const char *path, *user;
	char **hashes;
	size_t n;
};

static int replace_codes(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	struct issue *is = ctx;

	return dt_recovery_replace(old, len, is->path, is->user, is->hashes, is->n, out, err);
}

static void free_all(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		dt_free_secret(v[i]);
		v[i] = NULL;
	}
}

static int make_codes(size_t count, char **codes, char **hashes, struct dt_err *err)
{
	char code[DT_RECOVERY_CODE_SIZE];
	size_t i;

	for (i = 0; i < count; i++) {
		if (dt_recovery_new_code(code, err) < 0)
			return -1;
		codes[i] = strdup(code);
		hashes[i] = dt_recovery_hash(code, err);
		if (codes[i] == NULL || hashes[i] == NULL)
			return err->kind != DT_OK ? -1 : dt_err_oom(err);
	}
	return 0;
}

int dt_recovery_issue(const char *path, const char *user, size_t count, char **codes,
		      struct dt_err *err)
{
	struct dt_rewrite_target t = target(path);
	char *hashes[DT_RECOVERY_MAX_COUNT] = {0};
	struct issue is = {.path = path, .user = user, .hashes = hashes, .n = count};
	int rc;

	if (count > DT_RECOVERY_MAX_COUNT)
		return dt_err_set(err, DT_ERR_CONFIG, "at most %d codes", DT_RECOVERY_MAX_COUNT);
	memset(codes, 0, count * sizeof(*codes));
	rc = make_codes(count, codes, hashes, err);
	if (rc == 0)
		rc = dt_rewrite_file(&t, replace_codes, &is, err);
	free_all(hashes, count);
	if (rc < 0)
		free_all(codes, count);
	return rc;
}
