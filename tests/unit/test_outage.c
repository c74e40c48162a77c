/* A wait during a store outage (src/callbackd/outage.h): when it answers
 * store_down, when it reads again, and the replica's note that lets at
 * most one read per interval reach the store. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outage.h"

#define T0 1000000 /* any monotonic start */

static enum cbd_grace_rc step(struct cbd_grace *g, unsigned grace_s, int64_t now, int64_t deadline,
			      int64_t *wake)
{
	*wake = -1;
	return cbd_grace_step(g, grace_s, now, deadline, wake);
}

static void test_no_grace_answers_at_once(void **state)
{
	struct cbd_grace g = {.down_since_ms = 0};
	int64_t wake;

	(void)state;
	assert_int_equal(step(&g, 0, T0, T0 + 25000, &wake), CBD_GRACE_ANSWER);
	assert_int_equal(wake, -1);
}

static void test_rereads_every_interval(void **state)
{
	struct cbd_grace g = {.down_since_ms = 0};
	int64_t wake;

	(void)state;
	assert_int_equal(step(&g, 10, T0, T0 + 25000, &wake), CBD_GRACE_WAIT);
	assert_int_equal(g.down_since_ms, T0);
	assert_int_equal(wake, T0 + CBD_OUTAGE_REREAD_MS);
	/* later reads keep the first sight */
	assert_int_equal(step(&g, 10, T0 + 4000, T0 + 25000, &wake), CBD_GRACE_WAIT);
	assert_int_equal(g.down_since_ms, T0);
	assert_int_equal(wake, T0 + 4000 + CBD_OUTAGE_REREAD_MS);
}

static void test_grace_ends(void **state)
{
	struct cbd_grace g = {.down_since_ms = 0};
	int64_t wake;

	(void)state;
	assert_int_equal(step(&g, 3, T0, T0 + 25000, &wake), CBD_GRACE_WAIT);
	/* the last read is due at the grace's end, not past it */
	assert_int_equal(step(&g, 3, T0 + 2900, T0 + 25000, &wake), CBD_GRACE_WAIT);
	assert_int_equal(wake, T0 + 3000);
	assert_int_equal(step(&g, 3, T0 + 3000, T0 + 25000, &wake), CBD_GRACE_ANSWER);
}

static void test_deadline_ends(void **state)
{
	struct cbd_grace g = {.down_since_ms = 0};
	int64_t wake;

	(void)state;
	assert_int_equal(step(&g, 10, T0, T0 + 100, &wake), CBD_GRACE_WAIT);
	assert_int_equal(wake, T0 + 100); /* never past the wait's own timeout */
	assert_int_equal(step(&g, 10, T0 + 100, T0 + 100, &wake), CBD_GRACE_ANSWER);
	/* a wait whose timeout already passed answers at once */
	g.down_since_ms = 0;
	assert_int_equal(step(&g, 10, T0 + 200, T0 + 100, &wake), CBD_GRACE_ANSWER);
}

static void test_note(void **state)
{
	struct cbd_outage o;

	(void)state;
	cbd_outage_init(&o);
	assert_false(cbd_outage_recent(&o, T0));
	cbd_outage_note(&o, 1, T0);
	assert_true(cbd_outage_recent(&o, T0));
	assert_true(cbd_outage_recent(&o, T0 + CBD_OUTAGE_REREAD_MS - 1));
	assert_false(cbd_outage_recent(&o, T0 + CBD_OUTAGE_REREAD_MS));
	cbd_outage_note(&o, 1, T0 + 500);
	cbd_outage_note(&o, 0, T0 + 510); /* an answer clears it */
	assert_false(cbd_outage_recent(&o, T0 + 520));
	cbd_outage_destroy(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_grace_answers_at_once),
	    cmocka_unit_test(test_rereads_every_interval),
	    cmocka_unit_test(test_grace_ends),
	    cmocka_unit_test(test_deadline_ends),
	    cmocka_unit_test(test_note),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
