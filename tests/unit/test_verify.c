/* callbackd/verify.h and callbackd/hostkeys.h: every outcome of checking a
 * signed request, in the order the checks run, and the service's key file
 * read again when it changes. Requests are signed here with
 * dt_reqsign_headers, as the module signs them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pthread.h>

#include "hostkeys.h"
#include "verify.h"

#define SECRET_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define SECRET_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"
#define NOW_S	 1764900000
#define NOW_MS	 ((int64_t)NOW_S * 1000 + 500)
#define SKEW	 60
#define BODY	 "{\"host\":\"web-01\",\"client\":\"ssh\"}"

static char dir[] = "/tmp/dt-verify.XXXXXX";
static char path[64];

/* What the service logged, the last line and how many at LOG_ERR. */
static char last_log[1024];
static int errors_logged;

static void capture(void *ctx, int priority, const char *msg)
{
	(void)ctx;
	snprintf(last_log, sizeof(last_log), "%s", msg);
	if (priority == LOG_ERR)
		errors_logged++;
}

static const struct dt_log log_sink = {.fn = capture};

/* The nonce store: remembers what it was given. */
struct nonces {
	char seen[16][DT_SIGN_NONCE_MAX + 1];
	int n, calls, down;
	unsigned ttl;
	char key_id[DT_SIGN_KEY_ID_MAX + 1];
};

static int once(void *ctx, const char *key_id, const char *nonce, unsigned ttl_s)
{
	struct nonces *ns = ctx;
	int i;

	ns->calls++;
	ns->ttl = ttl_s;
	snprintf(ns->key_id, sizeof(ns->key_id), "%s", key_id);
	if (ns->down)
		return -1;
	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->seen[i], nonce) == 0)
			return 1;
	assert_true(ns->n < 16);
	snprintf(ns->seen[ns->n++], sizeof(ns->seen[0]), "%s", nonce);
	return 0;
}

static void write_keys(const char *text, mode_t mode)
{
	char tmp[80];
	FILE *f;

	/* A new file renamed over the old: a new inode, as editors and
	 * dingtalk-ctl write it. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(tmp, mode), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static const char *keys_text = "# fleet\n"
			       "web-01.k1 web-01 " SECRET_A " created=2026-12-05\n"
			       "db-01.k1 db-01 " SECRET_B "\n";

static int setup(void **state)
{
	struct dt_err err = {0};

	snprintf(dir, sizeof(dir), "/tmp/dt-verify.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/host-keys", dir);
	write_keys(keys_text, 0600);
	last_log[0] = '\0';
	errors_logged = 0;
	*state = cbd_hostkeys_open(path, &log_sink, &err);
	if (*state == NULL)
		fprintf(stderr, "%s\n", err.msg);
	return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	cbd_hostkeys_free(*state);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A request as the module sends it: signed headers cut into values. */
struct signed_req {
	struct dt_reqsign_headers h;
	struct cbd_signed_request r;
	char method[16], path[128];
};

static const char *value(const char *line)
{
	return strchr(line, ':') + 2;
}

static void sign_as(struct signed_req *s, const char *id, const char *secret, const char *method,
		    const char *p, const char *body, int64_t ts)
{
	struct dt_host_key key = {0};
	struct dt_err err = {0};

	snprintf(key.id, sizeof(key.id), "%s", id);
	assert_int_equal(dt_reqsign_secret_decode(secret, key.secret), 0);
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->path, sizeof(s->path), "%s", p);
	assert_int_equal(
	    dt_reqsign_headers(&key, method, p, body, body ? strlen(body) : 0, ts, &s->h, &err), 0);
	memset(&s->r, 0, sizeof(s->r));
	s->r.method = s->method;
	s->r.path = s->path;
	s->r.key_id = value(s->h.key);
	s->r.timestamp = value(s->h.time);
	s->r.nonce = value(s->h.nonce);
	s->r.signature = value(s->h.mac);
	s->r.body = body;
	s->r.body_len = body ? strlen(body) : 0;
}

static void sign(struct signed_req *s, int64_t ts)
{
	sign_as(s, "web-01.k1", SECRET_A, "POST", "/v1/sessions?x=1", BODY, ts);
}

static enum cbd_verify_rc check(void **state, struct signed_req *s, struct nonces *ns,
				struct cbd_hostkey *out)
{
	return cbd_verify(*state, &s->r, NOW_MS, SKEW, once, ns, out);
}

static void test_a_signed_request_passes_once(void **state)
{
	struct signed_req s;
	struct nonces ns = {0};
	struct cbd_hostkey key;

	sign(&s, NOW_S);
	assert_int_equal(check(state, &s, &ns, &key), CBD_VERIFY_OK);
	assert_string_equal(key.id, "web-01.k1");
	assert_string_equal(key.host, "web-01");
	assert_int_equal(ns.calls, 1);
	assert_string_equal(ns.key_id, "web-01.k1");
	assert_int_equal(ns.ttl, 2 * SKEW + 1);
	/* The same request again, here or at another replica sharing the
	 * nonce store. */
	assert_int_equal(check(state, &s, &ns, &key), CBD_VERIFY_REPLAY);
	assert_string_equal(key.host, "");
	/* Another key of the fleet. */
	sign_as(&s, "db-01.k1", SECRET_B, "GET", "/v1/sessions/abc/wait?timeout=25", NULL, NOW_S);
	assert_int_equal(check(state, &s, &ns, &key), CBD_VERIFY_OK);
	assert_string_equal(key.host, "db-01");
	assert_int_equal(cbd_hostkeys_count(*state), 2);
}

/* Both ends from their files: the host's key file (as host-key new
 * prints it) loaded by dt_host_key_load, the request signed with it, the
 * service's file checking it. */
static void test_the_host_key_file_signs_what_the_service_accepts(void **state)
{
	char host_file[96];
	struct dt_host_key hk;
	struct dt_reqsign_headers h;
	struct dt_err err = {0};
	struct cbd_signed_request r = {.method = "POST", .path = "/v1/sessions", .body = BODY};
	struct nonces ns = {0};
	struct cbd_hostkey key;
	FILE *f;

	snprintf(host_file, sizeof(host_file), "%s/pam_dingtalk.hostkey", dir);
	f = fopen(host_file, "w");
	assert_non_null(f);
	fputs("web-01.k1 " SECRET_A "\n# On web-01: these lines are its key file\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(host_file, 0600), 0);
	assert_int_equal(dt_host_key_load(host_file, &hk, &err), 0);
	assert_int_equal(
	    dt_reqsign_headers(&hk, "POST", "/v1/sessions", BODY, strlen(BODY), NOW_S, &h, &err),
	    0);
	dt_host_key_wipe(&hk);
	r.body_len = strlen(BODY);
	r.key_id = value(h.key);
	r.timestamp = value(h.time);
	r.nonce = value(h.nonce);
	r.signature = value(h.mac);
	assert_int_equal(cbd_verify(*state, &r, NOW_MS, SKEW, once, &ns, &key), CBD_VERIFY_OK);
	assert_string_equal(key.host, "web-01");
}

static void test_each_missing_header(void **state)
{
	struct signed_req s;
	struct nonces ns = {0};
	const char **fields[] = {&s.r.key_id, &s.r.timestamp, &s.r.nonce, &s.r.signature};
	size_t i;

	for (i = 0; i < 4; i++) {
		sign(&s, NOW_S);
		*fields[i] = NULL;
		assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_MISSING);
	}
	assert_int_equal(ns.calls, 0);
}

static void expect_malformed(void **state, size_t off, const char *bad)
{
	struct signed_req s;
	struct nonces ns = {0};

	sign(&s, NOW_S);
	*(const char **)((char *)&s.r + off) = bad;
	if (check(state, &s, &ns, NULL) != CBD_VERIFY_MALFORMED)
		fail_msg("'%s' was not malformed", bad);
	assert_int_equal(ns.calls, 0);
}

static void test_malformed_values(void **state)
{
	expect_malformed(state, offsetof(struct cbd_signed_request, key_id), "web 01");
	expect_malformed(state, offsetof(struct cbd_signed_request, key_id), "");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp), "");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp), "-1764900000");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp), "1764900000.5");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp), " 1764900000");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp),
			 "9999999999999999999");
	expect_malformed(state, offsetof(struct cbd_signed_request, timestamp), "01764900000");
	expect_malformed(state, offsetof(struct cbd_signed_request, nonce), "short");
	expect_malformed(state, offsetof(struct cbd_signed_request, nonce),
			 "AAECAwQFBgcICQoLDA0OD+");
	expect_malformed(state, offsetof(struct cbd_signed_request, signature),
			 "BB75ACA651180B6E757407913845FFC986048A19A534E8F4080C9CD1764F91EE");
	expect_malformed(state, offsetof(struct cbd_signed_request, signature), "bb75aca6");
	expect_malformed(state, offsetof(struct cbd_signed_request, method), "post");
	expect_malformed(state, offsetof(struct cbd_signed_request, method), "");
	expect_malformed(state, offsetof(struct cbd_signed_request, path), "v1/sessions");
	expect_malformed(state, offsetof(struct cbd_signed_request, path), "/v1/sessions\n1");
	expect_malformed(state, offsetof(struct cbd_signed_request, path), NULL);
	{
		/* A body length without a body. */
		struct signed_req s;
		struct nonces ns = {0};
		sign(&s, NOW_S);
		s.r.body = NULL;
		assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_MALFORMED);
	}
}

static void test_unknown_key(void **state)
{
	struct signed_req s;
	struct nonces ns = {0};

	sign_as(&s, "web-02.k1", SECRET_A, "POST", "/v1/sessions", BODY, NOW_S);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_UNKNOWN_KEY);
	assert_int_equal(ns.calls, 0);
	{
		/* Asked directly: an id longer than any key's, or none. */
		struct cbd_hostkey k;
		char id[DT_SIGN_KEY_ID_MAX + 2];
		memset(id, 'a', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		assert_int_equal(cbd_hostkeys_find(*state, id, NOW_MS, &k), -1);
		assert_int_equal(cbd_hostkeys_find(*state, NULL, NOW_MS, &k), -1);
		assert_string_equal(k.id, "");
	}
}

static void test_the_skew_window(void **state)
{
	struct signed_req s;
	struct nonces ns = {0};

	sign(&s, NOW_S - SKEW - 1);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_STALE);
	sign(&s, NOW_S + SKEW + 1);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_STALE);
	assert_int_equal(ns.calls, 0);
	/* The edges are inside. */
	sign(&s, NOW_S - SKEW);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_OK);
	sign(&s, NOW_S + SKEW);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_OK);
	/* A stale request is refused before its signature is looked at. */
	sign(&s, NOW_S - 3600);
	s.r.signature = "0000000000000000000000000000000000000000000000000000000000000000";
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_STALE);
}

static void test_changed_requests_fail_the_signature(void **state)
{
	struct signed_req s;
	struct nonces ns = {0};
	char sig[DT_SIGN_MAC_HEX + 1];

	sign(&s, NOW_S);
	snprintf(sig, sizeof(sig), "%s", s.r.signature);
	sig[0] = sig[0] == '0' ? '1' : '0';
	s.r.signature = sig;
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);

	sign(&s, NOW_S); /* the body changed after signing */
	s.r.body = "{\"host\":\"db-01\",\"client\":\"ssh\"}";
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* the body dropped */
	s.r.body = NULL;
	s.r.body_len = 0;
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* the query changed */
	strcpy(s.path, "/v1/sessions?x=2");
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* the path changed */
	strcpy(s.path, "/v1/sessions/abc/cancel");
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* the method changed */
	strcpy(s.method, "PUT");
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* the timestamp changed, still inside the window */
	s.r.timestamp = "1764900001";
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	sign(&s, NOW_S); /* another nonce */
	s.r.nonce = "AAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	/* Signed with one host's secret, sent under another host's key id. */
	sign_as(&s, "db-01.k1", SECRET_A, "POST", "/v1/sessions", BODY, NOW_S);
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	/* ... or the key id swapped after signing. */
	sign(&s, NOW_S);
	s.r.key_id = "db-01.k1";
	assert_int_equal(check(state, &s, &ns, NULL), CBD_VERIFY_BAD_SIGNATURE);
	/* None of them reached the nonce store. */
	assert_int_equal(ns.calls, 0);
}

static void test_nonce_store_down(void **state)
{
	struct signed_req s;
	struct nonces ns = {.down = 1};
	struct cbd_hostkey key;

	sign(&s, NOW_S);
	assert_int_equal(check(state, &s, &ns, &key), CBD_VERIFY_STORE_DOWN);
	assert_string_equal(key.id, "");
	assert_int_equal(cbd_verify(*state, &s.r, NOW_MS, SKEW, NULL, NULL, &key),
			 CBD_VERIFY_STORE_DOWN);
}

static void test_reasons_are_distinct_sentences(void **state)
{
	enum cbd_verify_rc rc, other;

	(void)state;
	for (rc = CBD_VERIFY_OK; rc <= CBD_VERIFY_STORE_DOWN; rc++) {
		assert_true(strlen(cbd_verify_reason(rc)) > 20);
		for (other = CBD_VERIFY_OK; other < rc; other++)
			assert_string_not_equal(cbd_verify_reason(rc), cbd_verify_reason(other));
	}
	assert_non_null(strstr(cbd_verify_reason(CBD_VERIFY_STALE), "NTP"));
	assert_non_null(strstr(cbd_verify_reason(CBD_VERIFY_UNKNOWN_KEY), "host_keys"));
}

static void test_error_codes_and_statuses(void **state)
{
	static const struct {
		enum cbd_verify_rc rc;
		const char *code;
		unsigned status;
	} want[] = {{CBD_VERIFY_MISSING, "missing", 401},
		    {CBD_VERIFY_MALFORMED, "malformed", 401},
		    {CBD_VERIFY_UNKNOWN_KEY, "unknown_key", 401},
		    {CBD_VERIFY_STALE, "stale", 401},
		    {CBD_VERIFY_BAD_SIGNATURE, "bad_signature", 401},
		    {CBD_VERIFY_REPLAY, "replay", 401},
		    {CBD_VERIFY_STORE_DOWN, "store_down", 503}};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(cbd_verify_error_code(want[i].rc), want[i].code);
		assert_int_equal(cbd_verify_http_status(want[i].rc), want[i].status);
	}
	assert_null(cbd_verify_error_code(CBD_VERIFY_OK));
	assert_int_equal(cbd_verify_http_status(CBD_VERIFY_OK), 0);
}

/* Reloading. */
static enum cbd_verify_rc check_at(void **state, const char *id, const char *secret, int64_t now_ms)
{
	struct signed_req s;
	struct nonces ns = {0};

	sign_as(&s, id, secret, "POST", "/v1/sessions", BODY, now_ms / 1000);
	return cbd_verify(*state, &s.r, now_ms, SKEW, once, &ns, NULL);
}

static void test_a_new_key_appears_and_a_removed_one_goes(void **state)
{
	struct cbd_hostkey key;

	assert_int_equal(cbd_hostkeys_find(*state, "web-01.k1", NOW_MS, &key), 0);
	write_keys("web-01.k2 web-01 " SECRET_B "\n", 0600);
	/* Looked at no more than once a second. */
	assert_int_equal(cbd_hostkeys_find(*state, "web-01.k1", NOW_MS + 999, &key), 0);
	assert_int_equal(check_at(state, "web-01.k1", SECRET_A, NOW_MS + 1000),
			 CBD_VERIFY_UNKNOWN_KEY);
	assert_int_equal(check_at(state, "web-01.k2", SECRET_B, NOW_MS + 1000), CBD_VERIFY_OK);
	assert_int_equal(cbd_hostkeys_count(*state), 1);
	assert_non_null(strstr(last_log, "1 keys"));
	assert_int_equal(errors_logged, 0);
}

static void test_a_broken_file_keeps_the_old_keys(void **state)
{
	struct cbd_hostkey key;
	char want[128];

	assert_int_equal(cbd_hostkeys_find(*state, "web-01.k1", NOW_MS, &key), 0);
	write_keys("web-01.k1 web-01 " SECRET_A "\nweb-01.k1 web-01 " SECRET_B "\n", 0600);
	assert_int_equal(check_at(state, "web-01.k1", SECRET_A, NOW_MS + 1000), CBD_VERIFY_OK);
	assert_int_equal(check_at(state, "db-01.k1", SECRET_B, NOW_MS + 1000), CBD_VERIFY_OK);
	assert_int_equal(errors_logged, 1);
	snprintf(want, sizeof(want), "%s:2: key id 'web-01.k1' is also on line 1", path);
	if (strstr(last_log, want) == NULL)
		fail_msg("'%s' lacks '%s'", last_log, want);
	assert_non_null(strstr(last_log, "keeping the 2 keys"));
	assert_null(strstr(last_log, SECRET_A));
	/* Said once per change, not at every look. */
	assert_int_equal(check_at(state, "web-01.k1", SECRET_A, NOW_MS + 5000), CBD_VERIFY_OK);
	assert_int_equal(errors_logged, 1);
	/* A file made readable by others is refused the same way. */
	write_keys(keys_text, 0644);
	assert_int_equal(check_at(state, "web-01.k1", SECRET_A, NOW_MS + 6000), CBD_VERIFY_OK);
	assert_int_equal(errors_logged, 2);
	assert_non_null(strstr(last_log, "too open"));
	/* The chmod that repairs it is noticed (the change time). */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cbd_hostkeys_find(*state, "db-01.k1", NOW_MS + 7000, &key), 0);
	assert_int_equal(errors_logged, 2);
	assert_non_null(strstr(last_log, "read again: 2 keys"));
	/* A removed file keeps the keys too. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cbd_hostkeys_find(*state, "db-01.k1", NOW_MS + 8000, &key), 0);
	assert_int_equal(errors_logged, 3);
	assert_non_null(strstr(last_log, path));
}

/* Lookups from several threads while the file is replaced under them:
 * each copy is one whole key of one version of the file (its id, host and
 * secret belong together), never a mix. */
struct reader {
	struct cbd_hostkeys *keys;
	int64_t start_ms;
	int torn, found;
};

static void *read_keys(void *arg)
{
	struct reader *r = arg;
	unsigned char a[DT_SIGN_SECRET_BYTES], b[DT_SIGN_SECRET_BYTES];
	struct cbd_hostkey k;
	int i;

	dt_reqsign_secret_decode(SECRET_A, a);
	dt_reqsign_secret_decode(SECRET_B, b);
	for (i = 0; i < 20000; i++) {
		/* Each call a little later: the file is looked at often. */
		if (cbd_hostkeys_find(r->keys, "web-01.k1", r->start_ms + i * 10, &k) != 0)
			continue;
		r->found++;
		if (strcmp(k.id, "web-01.k1") != 0 ||
		    !((strcmp(k.host, "web-01") == 0 && memcmp(k.secret, a, sizeof(a)) == 0) ||
		      (strcmp(k.host, "web-01b") == 0 && memcmp(k.secret, b, sizeof(b)) == 0)))
			r->torn++;
	}
	return NULL;
}

static void test_lookups_race_a_changing_file(void **state)
{
	struct reader r[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		r[i] = (struct reader){.keys = *state, .start_ms = NOW_MS + i};
		assert_int_equal(pthread_create(&t[i], NULL, read_keys, &r[i]), 0);
	}
	for (i = 0; i < 40; i++)
		write_keys(i % 2 ? "web-01.k1 web-01 " SECRET_A "\n"
				 : "web-01.k1 web-01b " SECRET_B "\ndb-01.k1 db-01 " SECRET_A "\n",
			   0600);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(r[i].torn, 0);
		assert_true(r[i].found > 0);
	}
	assert_int_equal(errors_logged, 0);
}

static void test_open_refuses_a_bad_file(void **state)
{
	struct dt_err err = {0};
	char want[128];

	(void)state;
	write_keys("# fleet\nweb-01.k1 web-01\n", 0600);
	assert_null(cbd_hostkeys_open(path, &log_sink, &err));
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:2: key 'web-01.k1' has no secret", path);
	assert_non_null(strstr(err.msg, want));
	unlink(path);
	assert_null(cbd_hostkeys_open(path, &log_sink, &err));
	assert_non_null(strstr(err.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_signed_request_passes_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_the_host_key_file_signs_what_the_service_accepts,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_each_missing_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_the_skew_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed_requests_fail_the_signature, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_store_down, setup, teardown),
	    cmocka_unit_test(test_reasons_are_distinct_sentences),
	    cmocka_unit_test(test_error_codes_and_statuses),
	    cmocka_unit_test_setup_teardown(test_a_new_key_appears_and_a_removed_one_goes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_broken_file_keeps_the_old_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookups_race_a_changing_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refuses_a_bad_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
