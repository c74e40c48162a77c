/* The memory store's nonce table (src/callbackd/nonces.h) and the memory
 * store's nonce_once through it: once per nonce within its ttl, per key
 * id, forgotten after the ttl, and refused (never forgotten early) when
 * the table is full of live nonces. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nonces.h"
#include "store.h"

#define T0 1000000 /* any monotonic start */

static struct cbd_nonces *table(unsigned cap)
{
	struct dt_err err;
	struct cbd_nonces *n = cbd_nonces_new(cap, &err);

	assert_non_null(n);
	return n;
}

static void test_once_per_nonce(void **state)
{
	struct cbd_nonces *n = table(16);

	(void)state;
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0 + 1),
			 CBD_NONCES_SEEN);
	/* the last moment of the ttl still remembers it */
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0 + 119999),
			 CBD_NONCES_SEEN);
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-bbbbbbbbbbbb", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_live(n, T0), 2);
	cbd_nonces_free(n);
}

/* The same nonce under another key is another request; the separator
 * keeps ("ab", "c") and ("a", "bc") apart. */
static void test_keys_apart(void **state)
{
	struct cbd_nonces *n = table(16);

	(void)state;
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_once(n, "k2", "nonce-aaaaaaaaaaaa", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_once(n, "ab", "cdddddddddddddddd", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_once(n, "abc", "dddddddddddddddd", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_live(n, T0), 4);
	cbd_nonces_free(n);
}

/* After its ttl a nonce is forgotten: the skew check refuses its request
 * by then, and the memory goes back to the table. */
static void test_expiry(void **state)
{
	struct cbd_nonces *n = table(16);

	(void)state;
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0), CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_live(n, T0 + 120000), 0);
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-aaaaaaaaaaaa", 120, T0 + 120000),
			 CBD_NONCES_NEW);
	cbd_nonces_free(n);
}

/* Full of live nonces: a new one is refused and the live ones are all
 * still remembered (a replay of any of them is still seen). Once the
 * oldest expires, its place is free again. */
static void test_cap(void **state)
{
	struct cbd_nonces *n = table(4);
	char nonce[32];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(nonce, sizeof(nonce), "nonce-%016d", i);
		assert_int_equal(cbd_nonces_once(n, "k1", nonce, 120, T0 + i * 1000),
				 CBD_NONCES_NEW);
	}
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-new-xxxxxxxxxx", 120, T0 + 5000),
			 CBD_NONCES_FULL);
	for (i = 0; i < 4; i++) {
		snprintf(nonce, sizeof(nonce), "nonce-%016d", i);
		assert_int_equal(cbd_nonces_once(n, "k1", nonce, 120, T0 + 6000), CBD_NONCES_SEEN);
	}
	assert_int_equal(cbd_nonces_live(n, T0 + 6000), 4);
	/* the first expires at T0 + 120000: one place frees, and only one */
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-new-xxxxxxxxxx", 120, T0 + 120000),
			 CBD_NONCES_NEW);
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-new-yyyyyyyyyy", 120, T0 + 120000),
			 CBD_NONCES_FULL);
	/* the ring wrapped: the newest is found at its new place */
	assert_int_equal(cbd_nonces_once(n, "k1", "nonce-new-xxxxxxxxxx", 120, T0 + 120001),
			 CBD_NONCES_SEEN);
	cbd_nonces_free(n);
}

/* Many rounds through a small ring: entries leave their chains when they
 * expire, whatever bucket they share, and nothing is lost or kept. */
static void test_churn(void **state)
{
	struct cbd_nonces *n = table(8);
	char nonce[32];
	int64_t now = T0;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(nonce, sizeof(nonce), "nonce-%016d", i);
		now += 1000;
		assert_int_equal(cbd_nonces_once(n, "k", nonce, 5, now), CBD_NONCES_NEW);
		assert_int_equal(cbd_nonces_once(n, "k", nonce, 5, now), CBD_NONCES_SEEN);
		assert_true(cbd_nonces_live(n, now) <= 5);
	}
	cbd_nonces_free(n);
}

static void test_bad_cap(void **state)
{
	struct dt_err err;

	(void)state;
	assert_null(cbd_nonces_new(0, &err));
	assert_int_equal(err.kind, DT_ERR_INTERNAL);
}

/* The memory store's nonce_once: new, replay, and a full table as "store
 * down" (the request is refused, nothing forgotten). */
static void test_memory_store(void **state)
{
	struct cbd_store_limits limits = {.max_pending = 8,
					  .max_pending_per_requester = 8,
					  .max_pending_per_address = 0,
					  .linger_ms = 1000,
					  .nonce_cap = 2};
	struct dt_log log = {0};
	struct dt_err err;
	struct cbd_store *st = cbd_store_memory_new(&limits, &log, &err);

	(void)state;
	assert_non_null(st);
	assert_int_equal(cbd_store_nonce_once(st, "k1", "nonce-aaaaaaaaaaaa", 120), CBD_OK);
	assert_int_equal(cbd_store_nonce_once(st, "k1", "nonce-aaaaaaaaaaaa", 120), CBD_E_USED);
	assert_int_equal(cbd_store_nonce_once(st, "k1", "nonce-bbbbbbbbbbbb", 120), CBD_OK);
	assert_int_equal(cbd_store_nonce_once(st, "k1", "nonce-cccccccccccc", 120), CBD_E_DOWN);
	assert_int_equal(cbd_store_nonce_once(st, "k1", "nonce-bbbbbbbbbbbb", 120), CBD_E_USED);
	cbd_store_destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_once_per_nonce), cmocka_unit_test(test_keys_apart),
	    cmocka_unit_test(test_expiry),	   cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_churn),	   cmocka_unit_test(test_bad_cap),
	    cmocka_unit_test(test_memory_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
