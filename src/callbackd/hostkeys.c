#include "config.h"

#include "hostkeys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "proto/hostkey_file.h"

/* How often the file is looked at, at most. */
#define LOOK_EVERY_MS 1000

/* What says the file changed. The change time is in too, so that a chmod
 * that repairs a refused file is noticed. */
struct file_sig {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct cbd_hostkeys {
	char *path;
	const struct dt_log *log;
	pthread_mutex_t lock;
	struct cbd_hostkey *keys; /* sorted by id */
	unsigned n;
	struct file_sig sig; /* of the file last read (or last refused) */
	int64_t looked_ms;   /* when the file was last looked at */
};

static void sig_of(const char *path, struct file_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)
		return;
	s->exists = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
}

static int sig_same(const struct file_sig *a, const struct file_sig *b)
{
	return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cbd_hostkey *)a)->id, ((const struct cbd_hostkey *)b)->id);
}

static void keys_free(struct cbd_hostkey *keys, unsigned n)
{
	if (keys == NULL)
		return;
	OPENSSL_cleanse(keys, (size_t)n * sizeof(*keys));
	free(keys);
}

/* The file's keys, sorted by id for bsearch. */
static int read_keys(const char *path, struct cbd_hostkey **out, unsigned *n_out,
		     struct dt_err *err)
{
	struct dt_hostkey_entry *e = NULL;
	struct cbd_hostkey *keys = NULL;
	size_t len = 0, n = 0, i;
	char *text = dt_read_protected_file(path, DT_FILE_SECRET, DT_HOSTKEY_FILE_MAX, &len, err);
	int rc;

	if (text == NULL)
		return -1;
	rc = dt_hostkey_file_parse(text, len, path, &e, &n, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (rc < 0)
		return -1;
	if (n > 0) {
		keys = calloc(n, sizeof(*keys));
		if (keys == NULL) {
			dt_hostkey_entries_free(e, n);
			return dt_err_oom_in(err, path);
		}
	}
	for (i = 0; i < n; i++) {
		memcpy(keys[i].id, e[i].id, sizeof(keys[i].id));
		memcpy(keys[i].host, e[i].host, sizeof(keys[i].host));
		memcpy(keys[i].secret, e[i].secret, sizeof(keys[i].secret));
	}
	dt_hostkey_entries_free(e, n);
	if (n > 1)
		qsort(keys, n, sizeof(*keys), key_cmp);
	*out = keys;
	*n_out = (unsigned)n;
	return 0;
}

struct cbd_hostkeys *cbd_hostkeys_open(const char *path, const struct dt_log *log,
				       struct dt_err *err)
{
	struct cbd_hostkeys *hk = calloc(1, sizeof(*hk));

	if (hk == NULL || (hk->path = strdup(path)) == NULL) {
		free(hk);
		dt_err_oom_in(err, path);
		return NULL;
	}
	hk->log = log;
	/* The signature before the read: a change made during it is seen
	 * at the next look. */
	sig_of(path, &hk->sig);
	if (read_keys(path, &hk->keys, &hk->n, err) < 0 ||
	    pthread_mutex_init(&hk->lock, NULL) != 0) {
		if (err != NULL && err->kind == DT_OK)
			dt_err_set(err, DT_ERR_INTERNAL, "%s: cannot create a lock", path);
		keys_free(hk->keys, hk->n);
		free(hk->path);
		free(hk);
		return NULL;
	}
	return hk;
}

/* Under the lock: reads the file again when it changed. A file that does
 * not read keeps the keys there were, said once per change. */
static void refresh(struct cbd_hostkeys *hk, int64_t now_ms)
{
	struct cbd_hostkey *keys = NULL;
	struct file_sig sig;
	struct dt_err err = {0};
	unsigned n = 0;

	if (hk->looked_ms != 0 && now_ms - hk->looked_ms < LOOK_EVERY_MS && now_ms >= hk->looked_ms)
		return;
	hk->looked_ms = now_ms != 0 ? now_ms : 1;
	sig_of(hk->path, &sig);
	if (sig_same(&sig, &hk->sig))
		return;
	hk->sig = sig;
	if (read_keys(hk->path, &keys, &n, &err) < 0) {
		dt_logf(hk->log, LOG_ERR,
			"host_keys: %s; keeping the %u keys read before until the file is fixed",
			err.msg, hk->n);
		return;
	}
	keys_free(hk->keys, hk->n);
	hk->keys = keys;
	hk->n = n;
	dt_logf(hk->log, LOG_NOTICE, "host_keys: %s read again: %u keys", hk->path, n);
}

int cbd_hostkeys_find(struct cbd_hostkeys *keys, const char *id, int64_t now_ms,
		      struct cbd_hostkey *out)
{
	struct cbd_hostkey probe, *hit = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (id == NULL || strlen(id) >= sizeof(probe.id))
		return -1;
	memset(&probe, 0, sizeof(probe));
	memcpy(probe.id, id, strlen(id) + 1);
	pthread_mutex_lock(&keys->lock);
	refresh(keys, now_ms);
	if (keys->n > 0)
		hit = bsearch(&probe, keys->keys, keys->n, sizeof(*keys->keys), key_cmp);
	if (hit != NULL) {
		*out = *hit;
		rc = 0;
	}
	pthread_mutex_unlock(&keys->lock);
	return rc;
}

unsigned cbd_hostkeys_count(struct cbd_hostkeys *keys)
{
	unsigned n;

	pthread_mutex_lock(&keys->lock);
	n = keys->n;
	pthread_mutex_unlock(&keys->lock);
	return n;
}

void cbd_hostkeys_free(struct cbd_hostkeys *keys)
{
	if (keys == NULL)
		return;
	pthread_mutex_destroy(&keys->lock);
	keys_free(keys->keys, keys->n);
	free(keys->path);
	free(keys);
}
