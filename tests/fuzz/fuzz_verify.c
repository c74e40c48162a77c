/* libFuzzer target: the signed-request check (cbd_verify) as the service
 * runs it, against a fixed key file, a fixed clock and a nonce store that
 * remembers. The input is a request written as text:
 *   METHOD\n PATH\n then "Name: value" header lines\n, an empty line, the body
 * (the X-DT-* headers are found by name, any case; others are ignored).
 * An input whose method line is KEYFILE is instead a service key file for
 * proto/hostkey_file's parser.
 * What must hold: a request passes only with the right HMAC for its exact
 * method, path, timestamp, nonce and body, within the window, and only
 * once; a refusal hands out no key; the nonce store is asked only about
 * correctly signed requests; a parsed key file holds only valid keys. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostkeys.h"
#include "proto/hostkey_file.h"
#include "proto/reqsign.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY_ID	  "web-01.k1"
#define HOST	  "web-01"
#define SECRET	  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define NOW_MS	  ((int64_t)1764900000 * 1000 + 500)
#define SKEW_S	  60
#define FIELD_MAX 4096

static char dir[] = "/tmp/dt-fuzz-verify.XXXXXX";
static char path[64];
static struct cbd_hostkeys *keys;

static void cleanup(void)
{
	cbd_hostkeys_free(keys);
	unlink(path);
	rmdir(dir);
}

/* The key file, written once per process. */
static struct cbd_hostkeys *key_set(void)
{
	struct dt_err err = {0};
	FILE *f;

	if (keys != NULL)
		return keys;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/host-keys", dir);
	f = fopen(path, "w");
	if (f == NULL || fputs(KEY_ID " " HOST " " SECRET "\n", f) < 0 || fclose(f) != 0 ||
	    chmod(path, 0600) != 0)
		abort();
	keys = cbd_hostkeys_open(path, NULL, &err);
	if (keys == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	atexit(cleanup);
	return keys;
}

/* The nonce store: remembers every nonce of one input; a nonce starting
 * with "down" finds it unavailable. */
struct nonces {
	char seen[4][DT_SIGN_NONCE_MAX + 1];
	int n, calls;
};

static int once(void *ctx, const char *key_id, const char *nonce, unsigned ttl_s)
{
	struct nonces *ns = ctx;
	int i;

	ns->calls++;
	if (strcmp(key_id, KEY_ID) != 0 || ttl_s < 2 * SKEW_S || strlen(nonce) > DT_SIGN_NONCE_MAX)
		__builtin_trap();
	if (strncmp(nonce, "down", 4) == 0)
		return -1;
	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->seen[i], nonce) == 0)
			return 1;
	if (ns->n < 4)
		snprintf(ns->seen[ns->n++], sizeof(ns->seen[0]), "%s", nonce);
	return 0;
}

struct text_req {
	char method[FIELD_MAX], path[FIELD_MAX];
	char key_id[FIELD_MAX], timestamp[FIELD_MAX], nonce[FIELD_MAX], signature[FIELD_MAX];
	struct cbd_signed_request r;
};

/* One line from *p (without its '\n'), NUL-terminated into out. */
static int next_line(const char **p, const char *end, char *out, size_t size)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl != NULL ? (size_t)(nl - *p) : (size_t)(end - *p);

	if (*p >= end)
		return -1;
	if (n >= size)
		n = size - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return 0;
}

static void header(struct text_req *t, const char *line)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {{DT_SIGN_HEADER_KEY, offsetof(struct text_req, key_id)},
		     {DT_SIGN_HEADER_TIME, offsetof(struct text_req, timestamp)},
		     {DT_SIGN_HEADER_NONCE, offsetof(struct text_req, nonce)},
		     {DT_SIGN_HEADER_MAC, offsetof(struct text_req, signature)}};
	const char **fields[] = {&t->r.key_id, &t->r.timestamp, &t->r.nonce, &t->r.signature};
	size_t i, n;

	for (i = 0; i < 4; i++) {
		n = strlen(known[i].name);
		if (strncasecmp(line, known[i].name, n) == 0 && strncmp(line + n, ": ", 2) == 0) {
			char *value = (char *)t + known[i].off;
			snprintf(value, FIELD_MAX, "%s", line + n + 2);
			*fields[i] = value;
		}
	}
}

static void parse(struct text_req *t, const char *data, size_t size)
{
	const char *p = data, *end = data + size;
	char line[FIELD_MAX];

	memset(&t->r, 0, sizeof(t->r));
	if (next_line(&p, end, t->method, sizeof(t->method)) == 0)
		t->r.method = t->method;
	if (next_line(&p, end, t->path, sizeof(t->path)) == 0)
		t->r.path = t->path;
	while (next_line(&p, end, line, sizeof(line)) == 0 && line[0] != '\0')
		header(t, line);
	t->r.body = p < end ? p : NULL;
	t->r.body_len = (size_t)(end - p);
}

/* What an accepted request must be: signed with the one key over exactly
 * what was received, within the window. */
static void check_accepted(const struct cbd_signed_request *r, const struct cbd_hostkey *k)
{
	unsigned char secret[DT_SIGN_SECRET_BYTES];
	struct dt_reqsign_in in = {.key_id = r->key_id,
				   .method = r->method,
				   .path = r->path,
				   .nonce = r->nonce,
				   .body = r->body,
				   .body_len = r->body_len};
	char mac[DT_SIGN_MAC_HEX + 1];
	char *end;
	long long ts = strtoll(r->timestamp, &end, 10);

	if (strcmp(k->id, KEY_ID) != 0 || strcmp(k->host, HOST) != 0 || *end != '\0' ||
	    ts < NOW_MS / 1000 - SKEW_S || ts > NOW_MS / 1000 + SKEW_S)
		__builtin_trap();
	in.timestamp = ts;
	if (dt_reqsign_secret_decode(SECRET, secret) != 0 ||
	    memcmp(secret, k->secret, sizeof(secret)) != 0 ||
	    dt_reqsign_mac(secret, sizeof(secret), &in, mac, NULL) != 0 ||
	    strcmp(mac, r->signature) != 0)
		__builtin_trap();
}

static void fuzz_request(const char *data, size_t size)
{
	static struct text_req t;
	struct nonces ns = {0};
	struct cbd_hostkey k;
	enum cbd_verify_rc rc;
	const char *reason;

	parse(&t, data, size);
	rc = cbd_verify(key_set(), &t.r, NOW_MS, SKEW_S, once, &ns, &k);
	reason = cbd_verify_reason(rc);
	if (reason == NULL || reason[0] == '\0')
		__builtin_trap();
	/* The nonce store hears only of requests that were signed right. */
	if ((ns.calls != 0) !=
	    (rc == CBD_VERIFY_OK || rc == CBD_VERIFY_REPLAY || rc == CBD_VERIFY_STORE_DOWN))
		__builtin_trap();
	if (rc != CBD_VERIFY_OK) {
		if (k.id[0] != '\0' || k.host[0] != '\0')
			__builtin_trap();
		return;
	}
	check_accepted(&t.r, &k);
	/* ... once. */
	if (cbd_verify(key_set(), &t.r, NOW_MS, SKEW_S, once, &ns, &k) != CBD_VERIFY_REPLAY)
		__builtin_trap();
}

static void fuzz_key_file(const char *data, size_t size)
{
	struct dt_hostkey_entry *e = NULL;
	struct dt_err err = {0};
	char line[DT_HOSTKEY_LINE_MAX];
	size_t n = 0, i;

	if (dt_hostkey_file_parse(data, size, "keys", &e, &n, &err) != 0) {
		if (e != NULL || n != 0 || err.msg[0] == '\0' || strstr(err.msg, "keys") == NULL)
			__builtin_trap();
		return;
	}
	for (i = 0; i < n; i++) {
		if (!dt_reqsign_key_id_ok(e[i].id) || e[i].offset + e[i].len > size ||
		    (e[i].created[0] != '\0' && !dt_hostkey_date_ok(e[i].created)) ||
		    dt_hostkey_format_line(e[i].id, e[i].host, e[i].secret, e[i].created, line,
					   sizeof(line)) != 0)
			__builtin_trap();
		if (i > 0 && e[i].lineno <= e[i - 1].lineno)
			__builtin_trap();
	}
	dt_hostkey_entries_free(e, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char mode[] = "KEYFILE\n";

	if (size >= sizeof(mode) - 1 && memcmp(data, mode, sizeof(mode) - 1) == 0)
		fuzz_key_file((const char *)data + sizeof(mode) - 1, size - (sizeof(mode) - 1));
	else
		fuzz_request((const char *)data, size);
	return 0;
}
