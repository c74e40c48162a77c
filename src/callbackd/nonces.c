/* The nonce table: see nonces.h. A ring of entries in arrival order (the
 * oldest leaves first) indexed by a chained hash table. An entry is the
 * first 16 bytes of SHA-256(salt, key id, nonce): a random salt per table,
 * so nobody can aim many nonces at one bucket, and 128 bits, so two
 * different nonces are never taken for one (a collision would only refuse
 * a request anyway). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nonces.h"

#define DIGEST_BYTES 16
#define NONE	     (-1)

struct entry {
	unsigned char digest[DIGEST_BYTES];
	int64_t expires_ms;
	int32_t next; /* in its bucket's chain, or NONE */
};

struct cbd_nonces {
	pthread_mutex_t lock;
	unsigned cap, nbuckets;
	unsigned tail, count; /* the oldest entry, and how many are in the ring */
	struct entry *ring;
	int32_t *buckets;
	unsigned char salt[16];
};

struct cbd_nonces *cbd_nonces_new(unsigned cap, struct dt_err *err)
{
	struct cbd_nonces *n;
	unsigned i;

	if (cap == 0 || cap > (1u << 30)) {
		dt_err_set(err, DT_ERR_INTERNAL, "nonce table: bad capacity %u", cap);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL || (n->ring = calloc(cap, sizeof(*n->ring))) == NULL ||
	    (n->buckets = calloc(2 * (size_t)cap, sizeof(*n->buckets))) == NULL) {
		if (n != NULL)
			free(n->ring);
		free(n);
		dt_err_oom(err);
		return NULL;
	}
	n->cap = cap;
	n->nbuckets = 2 * cap;
	for (i = 0; i < n->nbuckets; i++)
		n->buckets[i] = NONE;
	if (RAND_bytes(n->salt, sizeof(n->salt)) != 1 || pthread_mutex_init(&n->lock, NULL) != 0) {
		free(n->buckets);
		free(n->ring);
		free(n);
		dt_err_set(err, DT_ERR_INTERNAL,
			   "nonce table: cannot set up (random source, lock)");
		return NULL;
	}
	return n;
}

void cbd_nonces_free(struct cbd_nonces *n)
{
	if (n == NULL)
		return;
	pthread_mutex_destroy(&n->lock);
	free(n->buckets);
	free(n->ring);
	free(n);
}

/* -1 when the digest library fails: the caller refuses. */
static int digest_of(const struct cbd_nonces *n, const char *key_id, const char *nonce,
		     unsigned char out[DIGEST_BYTES])
{
	unsigned char full[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	/* The NUL between the two keeps ("ab","c") and ("a","bc") apart. */
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, n->salt, sizeof(n->salt)) == 1 &&
	     EVP_DigestUpdate(ctx, key_id, strlen(key_id) + 1) == 1 &&
	     EVP_DigestUpdate(ctx, nonce, strlen(nonce)) == 1 &&
	     EVP_DigestFinal_ex(ctx, full, &len) == 1 && len >= DIGEST_BYTES;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(out, full, DIGEST_BYTES);
	return 0;
}

static unsigned bucket_of(const struct cbd_nonces *n, const unsigned char *digest)
{
	uint32_t h;

	memcpy(&h, digest, sizeof(h));
	return h % n->nbuckets;
}

static void unlink_entry(struct cbd_nonces *n, int32_t i)
{
	int32_t *pp = &n->buckets[bucket_of(n, n->ring[i].digest)];

	while (*pp != NONE && *pp != i)
		pp = &n->ring[*pp].next;
	if (*pp == i)
		*pp = n->ring[i].next;
}

/* Drops the oldest entries while they have expired. */
static void drop_expired(struct cbd_nonces *n, int64_t now_ms)
{
	while (n->count > 0 && n->ring[n->tail].expires_ms <= now_ms) {
		unlink_entry(n, (int32_t)n->tail);
		n->tail = (n->tail + 1) % n->cap;
		n->count--;
	}
}

static int seen(const struct cbd_nonces *n, unsigned b, const unsigned char *digest, int64_t now_ms)
{
	int32_t i;

	for (i = n->buckets[b]; i != NONE; i = n->ring[i].next)
		if (n->ring[i].expires_ms > now_ms &&
		    memcmp(n->ring[i].digest, digest, DIGEST_BYTES) == 0)
			return 1;
	return 0;
}

enum cbd_nonces_rc cbd_nonces_once(struct cbd_nonces *n, const char *key_id, const char *nonce,
				   unsigned ttl_s, int64_t now_ms)
{
	unsigned char digest[DIGEST_BYTES];
	enum cbd_nonces_rc rc = CBD_NONCES_NEW;
	unsigned b, i;

	if (digest_of(n, key_id, nonce, digest) != 0)
		return CBD_NONCES_FULL; /* cannot tell: refuse, as when full */
	b = bucket_of(n, digest);
	pthread_mutex_lock(&n->lock);
	drop_expired(n, now_ms);
	if (seen(n, b, digest, now_ms)) {
		rc = CBD_NONCES_SEEN;
	} else if (n->count == n->cap) {
		rc = CBD_NONCES_FULL;
	} else {
		i = (n->tail + n->count) % n->cap;
		memcpy(n->ring[i].digest, digest, DIGEST_BYTES);
		n->ring[i].expires_ms = now_ms + (int64_t)ttl_s * 1000;
		n->ring[i].next = n->buckets[b];
		n->buckets[b] = (int32_t)i;
		n->count++;
	}
	pthread_mutex_unlock(&n->lock);
	return rc;
}

unsigned cbd_nonces_live(struct cbd_nonces *n, int64_t now_ms)
{
	unsigned live = 0, k;

	pthread_mutex_lock(&n->lock);
	for (k = 0; k < n->count; k++)
		if (n->ring[(n->tail + k) % n->cap].expires_ms > now_ms)
			live++;
	pthread_mutex_unlock(&n->lock);
	return live;
}
