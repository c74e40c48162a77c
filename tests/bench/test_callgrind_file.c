/* bench/callgrind_file.c: the reading of callgrind's output by which
 * bench_cold counts a fleet login's TLS handshakes (calls to SSL_new and
 * X509_verify_cert) and its instructions. Files written here in
 * callgrind's format, with and without name compression; a file that is
 * missing or not callgrind's is -1, so the run fails rather than report
 * zero handshakes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "callgrind_file.h"

static char path[64];

static const char *file_of(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/dt-test-cg.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Two callers of SSL_new, the name given once and then by its id; a
 * function whose name merely starts the same is not counted. */
static const char COMPRESSED[] = "# callgrind format\n"
				 "version: 1\n"
				 "events: Ir\n"
				 "summary: 46597692\n"
				 "fn=(1) caller_a\n"
				 "0 5\n"
				 "cob=(2) /usr/lib/libssl.so.3\n"
				 "cfi=(3) ???\n"
				 "cfn=(4) SSL_new\n"
				 "calls=1 0 \n"
				 "0 24551\n"
				 "cfn=(5) SSL_new_session_ticket\n"
				 "calls=7 0\n"
				 "0 10\n"
				 "fn=(6) caller_b\n"
				 "cfn=(4)\n"
				 "calls=2 0\n"
				 "0 49102\n"
				 "fn=(4)\n"
				 "0 3\n"
				 "cfn=(7) X509_verify_cert\n"
				 "calls=3 0\n"
				 "0 9\n";

static void compressed_names(void **state)
{
	(void)state;
	file_of(COMPRESSED);
	assert_int_equal(callgrind_calls(path, "SSL_new"), 3);
	assert_int_equal(callgrind_calls(path, "X509_verify_cert"), 3);
	assert_int_equal(callgrind_calls(path, "SSL_free"), 0);
	assert_true(callgrind_ir(path) == 46597692.0);
	unlink(path);
}

/* The name defined on an fn= line first, called later by its id. */
static void defined_as_caller_first(void **state)
{
	(void)state;
	file_of("events: Ir\n"
		"fn=(9) SSL_new\n"
		"0 1\n"
		"fn=(10) main\n"
		"cfn=(9)\n"
		"calls=4 0\n"
		"0 8\n");
	assert_int_equal(callgrind_calls(path, "SSL_new"), 4);
	unlink(path);
}

static void uncompressed_names(void **state)
{
	(void)state;
	file_of("events: Ir\n"
		"totals: 1200\n"
		"fn=main\n"
		"cfn=SSL_new\n"
		"calls=2 0\n"
		"0 8\n"
		"cfn=SSL_newer\n"
		"calls=5 0\n"
		"0 8\n");
	assert_int_equal(callgrind_calls(path, "SSL_new"), 2);
	assert_true(callgrind_ir(path) == 1200.0);
	unlink(path);
}

static void not_callgrind(void **state)
{
	(void)state;
	file_of("cfn=SSL_new\ncalls=2 0\n");
	assert_int_equal(callgrind_calls(path, "SSL_new"), -1);
	assert_true(callgrind_ir(path) == -1.0);
	unlink(path);
	assert_int_equal(callgrind_calls("/nonexistent/callgrind.out", "SSL_new"), -1);
	assert_true(callgrind_ir("/nonexistent/callgrind.out") == -1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(compressed_names),
	    cmocka_unit_test(defined_as_caller_first),
	    cmocka_unit_test(uncompressed_names),
	    cmocka_unit_test(not_callgrind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
