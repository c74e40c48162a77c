/* proto/reqsign.h and proto/hostkey_file.h: the string a host signs (a
 * known-answer vector pins the wire format), the headers, the secret's
 * spelling, and the two key files' grammars with their messages. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/hostkey_file.h"
#include "proto/reqsign.h"

/* The known answer, computed apart from this code with Python 3:
 *
 *   import hmac, hashlib
 *   secret = bytes(range(32))
 *   body = b'{"host":"web-01"}'
 *   s = "\n".join(["DT1-HMAC-SHA256", "web-01.k1", "POST",
 *                  "/v1/sessions?x=1", "1764900000",
 *                  "AAECAwQFBgcICQoLDA0ODw",
 *                  hashlib.sha256(body).hexdigest()])
 *   hmac.new(secret, s.encode(), hashlib.sha256).hexdigest()
 *
 * and the same for GET "/v1/sessions/abc/wait?timeout=25" without a body
 * (the SHA-256 of ""). The secret 00 01 .. 1f is, in base64url,
 * SECRET_TEXT. */
#define SECRET_TEXT "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define NONCE	    "AAECAwQFBgcICQoLDA0ODw"
#define BODY	    "{\"host\":\"web-01\"}"
#define MAC_POST    "bb75aca651180b6e757407913845ffc986048a19a534e8f4080c9cd1764f91ee"
#define MAC_GET	    "3d463c73891f056d0718db0d46735e4aec0eec1b948c03d6a7d2615194716fae"

static unsigned char secret[DT_SIGN_SECRET_BYTES];

static int fill_secret(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)i;
	return 0;
}

static void test_known_answer_with_a_body(void **state)
{
	struct dt_reqsign_in in = {.key_id = "web-01.k1",
				   .method = "POST",
				   .path = "/v1/sessions?x=1",
				   .timestamp = 1764900000,
				   .nonce = NONCE,
				   .body = BODY,
				   .body_len = strlen(BODY)};
	char mac[DT_SIGN_MAC_HEX + 1];
	struct dt_err err = {0};

	(void)state;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, &err), 0);
	assert_string_equal(mac, MAC_POST);
}

static void test_known_answer_without_a_body(void **state)
{
	struct dt_reqsign_in in = {.key_id = "web-01.k1",
				   .method = "GET",
				   .path = "/v1/sessions/abc/wait?timeout=25",
				   .timestamp = 1764900000,
				   .nonce = NONCE};
	char mac[DT_SIGN_MAC_HEX + 1];

	(void)state;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, NULL), 0);
	assert_string_equal(mac, MAC_GET);
	/* An empty body signs as no body. */
	in.body = "";
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, NULL), 0);
	assert_string_equal(mac, MAC_GET);
}

static void test_a_newline_in_a_field_is_refused(void **state)
{
	struct dt_reqsign_in in = {.key_id = "web-01.k1",
				   .method = "GET",
				   .path = "/v1/x\n1764900000",
				   .timestamp = 1,
				   .nonce = NONCE};
	char mac[DT_SIGN_MAC_HEX + 1];
	struct dt_err err = {0};

	(void)state;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, &err), -1);
	assert_string_equal(mac, "");
	assert_non_null(strstr(err.msg, "newline"));
	in.path = "/v1/x";
	in.nonce = NULL;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, &err), -1);
	/* A length without a body, and no secret at all. */
	in.nonce = NONCE;
	in.body_len = 3;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, &err), -1);
	in.body_len = 0;
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, &err), 0);
	assert_int_equal(dt_reqsign_mac(secret, 0, &in, mac, &err), -1);
	assert_string_equal(mac, "");
}

static const char *header(const struct dt_reqsign_headers *h, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; h->lines[i] != NULL; i++)
		if (strncmp(h->lines[i], name, n) == 0 && strncmp(h->lines[i] + n, ": ", 2) == 0)
			return h->lines[i] + n + 2;
	return NULL;
}

static void test_headers_carry_a_fresh_nonce_and_the_mac(void **state)
{
	struct dt_host_key key = {.id = "web-01.k1"};
	struct dt_reqsign_headers h, h2;
	struct dt_err err = {0};
	char mac[DT_SIGN_MAC_HEX + 1];
	const char *nonce;

	(void)state;
	memcpy(key.secret, secret, sizeof(secret));
	assert_int_equal(dt_reqsign_headers(&key, "POST", "/v1/sessions", BODY, strlen(BODY),
					    1764900000, &h, &err),
			 0);
	assert_null(h.lines[4]);
	assert_string_equal(header(&h, "X-DT-Key-Id"), "web-01.k1");
	assert_string_equal(header(&h, "X-DT-Timestamp"), "1764900000");
	nonce = header(&h, "X-DT-Nonce");
	assert_non_null(nonce);
	assert_int_equal(strlen(nonce), 22); /* 16 random bytes */
	assert_int_equal(
	    strspn(nonce, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
	struct dt_reqsign_in in = {.key_id = "web-01.k1",
				   .method = "POST",
				   .path = "/v1/sessions",
				   .timestamp = 1764900000,
				   .nonce = nonce,
				   .body = BODY,
				   .body_len = strlen(BODY)};
	assert_int_equal(dt_reqsign_mac(secret, sizeof(secret), &in, mac, NULL), 0);
	assert_string_equal(header(&h, "X-DT-Signature"), mac);
	assert_int_equal(dt_reqsign_headers(&key, "POST", "/v1/sessions", BODY, strlen(BODY),
					    1764900000, &h2, &err),
			 0);
	assert_string_not_equal(header(&h2, "X-DT-Nonce"), nonce);
	/* A bad key id is refused before anything is signed. */
	strcpy(key.id, "bad id");
	assert_int_equal(dt_reqsign_headers(&key, "GET", "/v1/x", NULL, 0, 1764900000, &h, &err),
			 -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
}

static void test_key_id_syntax(void **state)
{
	char long_id[DT_SIGN_KEY_ID_MAX + 2];

	(void)state;
	assert_true(dt_reqsign_key_id_ok("web-01.example.com_2"));
	assert_false(dt_reqsign_key_id_ok(""));
	assert_false(dt_reqsign_key_id_ok(NULL));
	assert_false(dt_reqsign_key_id_ok("a b"));
	assert_false(dt_reqsign_key_id_ok("a/b"));
	assert_false(dt_reqsign_key_id_ok("a\n"));
	memset(long_id, 'a', sizeof(long_id));
	long_id[DT_SIGN_KEY_ID_MAX] = '\0';
	assert_true(dt_reqsign_key_id_ok(long_id));
	long_id[DT_SIGN_KEY_ID_MAX] = 'a';
	long_id[DT_SIGN_KEY_ID_MAX + 1] = '\0';
	assert_false(dt_reqsign_key_id_ok(long_id));
}

static void test_secret_spelling(void **state)
{
	unsigned char out[DT_SIGN_SECRET_BYTES];
	char text[44];

	(void)state;
	assert_int_equal(dt_reqsign_secret_decode(SECRET_TEXT, out), 0);
	assert_memory_equal(out, secret, sizeof(secret));
	dt_reqsign_secret_encode(secret, text);
	assert_string_equal(text, SECRET_TEXT);
	/* Too short, too long, padded, outside the alphabet, and a last
	 * character with its unused bits set (a second spelling). */
	assert_int_equal(
	    dt_reqsign_secret_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", out), -1);
	assert_int_equal(dt_reqsign_secret_decode(SECRET_TEXT "A", out), -1);
	assert_int_equal(
	    dt_reqsign_secret_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", out), -1);
	assert_int_equal(
	    dt_reqsign_secret_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", out), -1);
	assert_int_equal(
	    dt_reqsign_secret_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", out), -1);
	assert_int_equal(dt_reqsign_secret_decode(NULL, out), -1);
}

/* The host's key file. */
static char dir[] = "/tmp/dt-reqsign.XXXXXX";
static char path[64];

static int setup(void **state)
{
	fill_secret(state);
	snprintf(dir, sizeof(dir), "/tmp/dt-reqsign.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/hostkey", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_host_key_loads(void **state)
{
	struct dt_host_key key;
	struct dt_err err = {0};

	(void)state;
	put("# the host's key\n\n  web-01.k1\t" SECRET_TEXT "  \r\n", 0600);
	assert_int_equal(dt_host_key_load(path, &key, &err), 0);
	assert_string_equal(key.id, "web-01.k1");
	assert_memory_equal(key.secret, secret, sizeof(secret));
	dt_host_key_wipe(&key);
	assert_string_equal(key.id, "");
}

static void expect_load_error(const char *text, mode_t mode, const char *want)
{
	struct dt_host_key key;
	struct dt_err err = {0};

	put(text, mode);
	assert_int_equal(dt_host_key_load(path, &key, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' lacks '%s'", err.msg, want);
	assert_null(strstr(err.msg, SECRET_TEXT));
	assert_string_equal(key.id, "");
}

static void test_host_key_errors_name_the_file_and_line(void **state)
{
	char want[128];

	(void)state;
	snprintf(want, sizeof(want), "%s:2: the key id is not valid", path);
	expect_load_error("# c\nweb/01 " SECRET_TEXT "\n", 0600, want);
	snprintf(want, sizeof(want), "%s:1: key 'web-01.k1' has no secret", path);
	expect_load_error("web-01.k1\n", 0600, want);
	snprintf(want, sizeof(want), "%s:1: key 'web-01.k1': unexpected text after the secret",
		 path);
	expect_load_error("web-01.k1 " SECRET_TEXT " more\n", 0600, want);
	snprintf(want, sizeof(want), "%s:1: key 'web-01.k1': the secret is not 43 characters",
		 path);
	expect_load_error("web-01.k1 " SECRET_TEXT "A\n", 0600, want);
	snprintf(want, sizeof(want), "%s:3: a second key (line 1 holds the first", path);
	expect_load_error("a " SECRET_TEXT "\n\nb " SECRET_TEXT "\n", 0600, want);
	snprintf(want, sizeof(want), "%s: holds no key", path);
	expect_load_error("# nothing\n\n", 0600, want);
	{
		/* A NUL byte: refused, not cut short. */
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite("a " SECRET_TEXT "\n\0", 1, 47, f), 47);
		assert_int_equal(fclose(f), 0);
		struct dt_host_key key;
		struct dt_err err = {0};
		assert_int_equal(dt_host_key_load(path, &key, &err), -1);
		assert_non_null(strstr(err.msg, "NUL"));
	}
	/* A secret file: group or other access refuses it. */
	expect_load_error("web-01.k1 " SECRET_TEXT "\n", 0640, "too open");
}

static void test_host_key_missing_file(void **state)
{
	struct dt_host_key key;
	struct dt_err err = {0};

	(void)state;
	assert_int_equal(dt_host_key_load(path, &key, &err), -1);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	assert_non_null(strstr(err.msg, path));
}

/* The service's key file grammar. */
static void parse_ok(const char *text, struct dt_hostkey_entry **e, size_t *n)
{
	struct dt_err err = {0};

	if (dt_hostkey_file_parse(text, strlen(text), "keys", e, n, &err) != 0)
		fail_msg("%s", err.msg);
}

static void test_service_key_file_parses(void **state)
{
	const char *text = "# fleet\n"
			   "web-01.k1 web-01 " SECRET_TEXT " created=2026-12-05\n"
			   "\n"
			   "  web-01.k2\tweb-01\t" SECRET_TEXT "\n"
			   "db.k1 db.example.com " SECRET_TEXT;
	struct dt_hostkey_entry *e;
	size_t n;

	(void)state;
	parse_ok(text, &e, &n);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].id, "web-01.k1");
	assert_string_equal(e[0].host, "web-01");
	assert_string_equal(e[0].created, "2026-12-05");
	assert_memory_equal(e[0].secret, secret, sizeof(secret));
	assert_int_equal(e[0].lineno, 2);
	assert_int_equal(e[0].offset, 8);
	assert_string_equal(e[1].created, "");
	assert_int_equal(e[1].lineno, 4);
	assert_string_equal(e[2].host, "db.example.com");
	assert_int_equal(e[2].offset + e[2].len, strlen(text));
	dt_hostkey_entries_free(e, n);
	parse_ok("# only comments\n", &e, &n);
	assert_int_equal(n, 0);
	assert_null(e);
}

static void expect_parse_error(const char *text, const char *want)
{
	struct dt_hostkey_entry *e = (void *)1;
	struct dt_err err = {0};
	size_t n = 9;

	assert_int_equal(dt_hostkey_file_parse(text, strlen(text), "keys", &e, &n, &err), -1);
	assert_null(e);
	assert_int_equal(n, 0);
	assert_int_equal(err.kind, DT_ERR_CONFIG);
	if (strstr(err.msg, want) == NULL)
		fail_msg("'%s' lacks '%s'", err.msg, want);
	assert_null(strstr(err.msg, SECRET_TEXT));
	/* Each message says what to do. */
	assert_true(strstr(err.msg, "want 'KEY_ID HOST SECRET") != NULL ||
		    strstr(err.msg, "give the new key its own id") != NULL);
}

static void test_service_key_file_errors(void **state)
{
	char host[300];
	char line[400];

	(void)state;
	expect_parse_error("a h " SECRET_TEXT "\n\na h2 " SECRET_TEXT "\n",
			   "keys:3: key id 'a' is also on line 1");
	expect_parse_error("a/b h " SECRET_TEXT "\n", "keys:1: the key id (first field) is not");
	expect_parse_error("# c\na\n", "keys:2: key 'a' has no host");
	expect_parse_error("a h\n", "keys:1: key 'a' has no secret");
	expect_parse_error("a h " SECRET_TEXT "x\n", "keys:1: key 'a': the secret is not 43");
	expect_parse_error("a h " SECRET_TEXT " created=2026-13-01\n",
			   "keys:1: key 'a': the fourth field is not 'created=YYYY-MM-DD'");
	expect_parse_error("a h " SECRET_TEXT " " SECRET_TEXT "\n",
			   "keys:1: key 'a': the fourth field is not");
	expect_parse_error("a h " SECRET_TEXT " created=2026-12-05 x\n",
			   "keys:1: key 'a': unknown field after 'created='");
	expect_parse_error("a h\x01 " SECRET_TEXT "\n",
			   "keys:1: key 'a': the host is not 1 to 256");
	{
		char big[700];
		memset(big, ' ', sizeof(big));
		memcpy(big, "a h " SECRET_TEXT, 4 + 43);
		big[sizeof(big) - 1] = '\0';
		expect_parse_error(big, "keys:1: line longer than 511 bytes");
		/* A long comment is fine. */
		big[0] = '#';
		struct dt_hostkey_entry *e;
		size_t n;
		parse_ok(big, &e, &n);
		assert_int_equal(n, 0);
	}
	memset(host, 'h', 257);
	host[257] = '\0';
	snprintf(line, sizeof(line), "a %s %s\n", host, SECRET_TEXT);
	expect_parse_error(line, "keys:1: key 'a': the host is not 1 to 256");
	host[256] = '\0';
	snprintf(line, sizeof(line), "a %s %s\n", host, SECRET_TEXT);
	{
		struct dt_hostkey_entry *e;
		size_t n;
		parse_ok(line, &e, &n);
		assert_int_equal(strlen(e[0].host), 256);
		dt_hostkey_entries_free(e, n);
	}
	{
		struct dt_hostkey_entry *e;
		struct dt_err err = {0};
		size_t n;
		assert_int_equal(dt_hostkey_file_parse("a h\0x", 6, "keys", &e, &n, &err), -1);
		assert_non_null(strstr(err.msg, "NUL"));
	}
}

static void test_service_key_line_round_trips(void **state)
{
	char line[DT_HOSTKEY_LINE_MAX];
	struct dt_hostkey_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(
	    dt_hostkey_format_line("web-01.k1", "web-01", secret, "2026-12-05", line, sizeof(line)),
	    0);
	assert_string_equal(line, "web-01.k1 web-01 " SECRET_TEXT " created=2026-12-05\n");
	parse_ok(line, &e, &n);
	assert_int_equal(n, 1);
	assert_memory_equal(e[0].secret, secret, sizeof(secret));
	dt_hostkey_entries_free(e, n);
	assert_int_equal(
	    dt_hostkey_format_line("web 01", "web-01", secret, NULL, line, sizeof(line)), -1);
	assert_int_equal(dt_hostkey_format_line("a", "web 01", secret, NULL, line, sizeof(line)),
			 -1);
	assert_int_equal(dt_hostkey_format_line("a", "h", secret, "2026-1-1", line, sizeof(line)),
			 -1);
	assert_int_equal(dt_hostkey_format_line("a", "h", secret, NULL, line, 20), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_known_answer_with_a_body, fill_secret),
	    cmocka_unit_test_setup(test_known_answer_without_a_body, fill_secret),
	    cmocka_unit_test_setup(test_a_newline_in_a_field_is_refused, fill_secret),
	    cmocka_unit_test_setup(test_headers_carry_a_fresh_nonce_and_the_mac, fill_secret),
	    cmocka_unit_test(test_key_id_syntax),
	    cmocka_unit_test_setup(test_secret_spelling, fill_secret),
	    cmocka_unit_test_setup_teardown(test_host_key_loads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_key_errors_name_the_file_and_line, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_host_key_missing_file, setup, teardown),
	    cmocka_unit_test_setup(test_service_key_file_parses, fill_secret),
	    cmocka_unit_test(test_service_key_file_errors),
	    cmocka_unit_test_setup(test_service_key_line_round_trips, fill_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
