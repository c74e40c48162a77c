/* Many consecutive logins in one process, for valgrind and the sanitizers:
 * every outcome the module has (success, each refusal, each unavailable,
 * each configuration error, a failed conversation, a timeout) in turn,
 * through pam_wrapper against the real helper and the DingTalk mock.
 *
 * The phone is a thread of this process speaking HTTP with libcurl (the
 * flow of tests/mock/phone.py: short link, authorize, callback, confirm),
 * so a login costs milliseconds instead of a Python start. Stage: see
 * run_pam_soak.sh. Usage: test_pam_soak [LOGINS] (default 26, two rounds
 * of every kind but the timeout, which comes at every 100th login).
 * Prints TAP: one line per kind, with its count. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

enum kind {
	K_SUCCESS,
	K_OTHER_PERSON,
	K_UNMAPPED,
	K_WRONG_NUMBER,
	K_REFUSED,
	K_CONV_FAILS,
	K_NO_HELPER,
	K_API_DOWN,
	K_API_HTTP500,
	K_API_NONJSON,
	K_NO_USER,
	K_UNSAFE_CONF,
	K_UNKNOWN_KEY,
	K_COUNT,
	K_TIMEOUT = K_COUNT, /* not in the rotation: 10 s each */
	K_ALL
};

struct plan {
	const char *name, *service, *user;
	const char *person;   /* who scans; NULL: nobody */
	const char *decision; /* approve | refuse */
	int wrong_number, conv_fails;
	const char *fault; /* mock fault mode on userAccessToken, or NULL */
	int want;
	/* Only as root: the module takes a caller that is not root for su's or
	 * sudo's invoking user, and refuses such a caller an outage
	 * (PAM_AUTH_ERR, never PAM_AUTHINFO_UNAVAIL). */
	int root_caller;
};

static const struct plan plans[K_ALL] = {
    [K_SUCCESS] = {"success", "dingtalk", "alice", "alice", "approve", 0, 0, NULL, PAM_SUCCESS, 0},
    [K_OTHER_PERSON] = {"person bound to another user", "dingtalk", "alice", "bob", "approve", 0, 0,
			NULL, PAM_AUTH_ERR, 0},
    [K_UNMAPPED] = {"unmapped person", "dingtalk", "alice", "mallory", "approve", 0, 0, NULL,
		    PAM_AUTH_ERR, 0},
    [K_WRONG_NUMBER] = {"wrong number", "dingtalk", "alice", "alice", "approve", 1, 0, NULL,
			PAM_AUTH_ERR, 0},
    [K_REFUSED] = {"refused on the phone", "dingtalk", "alice", "alice", "refuse", 0, 0, NULL,
		   PAM_AUTH_ERR, 0},
    [K_CONV_FAILS] = {"conversation fails", "dingtalk", "alice", NULL, NULL, 0, 1, NULL,
		      PAM_CONV_ERR, 0},
    [K_NO_HELPER] = {"helper not running", "dingtalk_nohelper", "alice", NULL, NULL, 0, 0, NULL,
		     PAM_AUTHINFO_UNAVAIL, 0},
    [K_API_DOWN] = {"DingTalk unreachable", "dingtalk_apidown", "alice", "alice", "approve", 0, 0,
		    NULL, PAM_AUTHINFO_UNAVAIL, 1},
    [K_API_HTTP500] = {"DingTalk HTTP 500", "dingtalk", "alice", "alice", "approve", 0, 0,
		       "http500", PAM_AUTHINFO_UNAVAIL, 1},
    [K_API_NONJSON] = {"DingTalk answers HTML", "dingtalk", "alice", "alice", "approve", 0, 0,
		       "nonjson", PAM_AUTHINFO_UNAVAIL, 1},
    [K_NO_USER] = {"unknown local user", "dingtalk", "nosuchuser", NULL, NULL, 0, 0, NULL,
		   PAM_USER_UNKNOWN, 0},
    [K_UNSAFE_CONF] = {"world-readable config", "dingtalk_unsafe", "alice", NULL, NULL, 0, 0, NULL,
		       PAM_SERVICE_ERR, 0},
    [K_UNKNOWN_KEY] = {"unknown config key", "dingtalk_unknownkey", "alice", NULL, NULL, 0, 0, NULL,
		       PAM_SERVICE_ERR, 0},
    [K_TIMEOUT] = {"nobody scans (timeout)", "dingtalk_short", "alice", NULL, NULL, 0, 0, NULL,
		   PAM_AUTH_ERR, 0},
};

struct login {
	const struct plan *plan;
	char text[16384];
	size_t text_len;
	char link[512];
	unsigned number;
	pthread_t phone;
	int phone_started;
	char phone_error[256];
};

/* ---- secrets the phone saw: none may reach a log or a page ---- */

struct secrets {
	char **v;
	size_t n, cap;
	unsigned on_pages; /* secrets found on a page */
};

static struct secrets seen;

static void remember(const char *s, size_t len)
{
	char **v;

	if (len < 8)
		return;
	if (seen.n == seen.cap) {
		v = realloc(seen.v, (seen.cap * 2 + 64) * sizeof(*v));
		if (v == NULL)
			return;
		seen.v = v;
		seen.cap = seen.cap * 2 + 64;
	}
	seen.v[seen.n] = strndup(s, len);
	if (seen.v[seen.n] != NULL)
		seen.n++;
}

/* Remembers the value of `name=` in a URL's query. */
static void remember_param(const char *url, const char *name)
{
	char needle[32];
	const char *p;

	snprintf(needle, sizeof(needle), "%s=", name);
	for (p = strstr(url, needle); p != NULL; p = strstr(p + 1, needle))
		if (p > url && (p[-1] == '?' || p[-1] == '&')) {
			p += strlen(needle);
			remember(p, strcspn(p, "&#"));
			return;
		}
}

/* A page may show the confirmation token (its form needs it), never the
 * state or the code: the last `from` secrets are this login's. */
static void check_page(const char *page, size_t from, const char *token)
{
	size_t i;

	for (i = from; i < seen.n; i++)
		if ((token == NULL || strcmp(seen.v[i], token) != 0) &&
		    strstr(page, seen.v[i]) != NULL)
			seen.on_pages++;
}

/* Counts the secrets found in the file at `path`. */
static unsigned secrets_in_file(const char *path, size_t *bytes)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long len;
	unsigned found = 0;
	size_t i;

	if (f == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = calloc(1, (size_t)len + 1)) != NULL) {
		if (fread(text, 1, (size_t)len, f) == (size_t)len) {
			*bytes += (size_t)len;
			for (i = 0; i < seen.n; i++)
				if (strstr(text, seen.v[i]) != NULL) {
					fprintf(stderr, "soak: a secret (%zu bytes) is in %s\n",
						strlen(seen.v[i]), path);
					found++;
				}
		}
		free(text);
	}
	fclose(f);
	return found;
}

/* The module's log (stderr, through pam_wrapper), the helper's and the
 * mock's. */
static int secrets_in_logs(size_t *bytes)
{
	static const char *const logs[] = {"test.err", "callbackd.log", "mock.log", "mock.out"};
	const char *work = getenv("DT_WORK");
	char path[1024];
	unsigned found = 0;
	size_t i;

	fflush(stderr);
	if (work == NULL)
		return -1;
	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", work, logs[i]);
		found += secrets_in_file(path, bytes);
	}
	return (int)found;
}

/* ---- the phone: HTTP with libcurl ---- */

struct buf {
	char data[65536];
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	if (b->len + len >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, ptr, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* A handle with the cookie engine on, for the helper's cookie from its
 * callback to its confirmation page. It is never reset (http below):
 * libcurl 7.88 loses, and leaks, a CURLOPT_COOKIEFILE set before a
 * reset, and the cookies must carry from one request to the next. */
static CURL *cookie_handle(void)
{
	CURL *c = curl_easy_init();

	if (c != NULL)
		curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
	return c;
}

/* One request without following redirects; copies Location (if any).
 * Every option a request uses is set on each call (the handle is never
 * reset). */
static long http(CURL *c, const char *url, const char *post, char *location, size_t loc_size,
		 struct buf *body)
{
	char *redirect = NULL;
	long status = 0;

	body->len = 0;
	body->data[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		return -1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (location != NULL) {
		location[0] = '\0';
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK &&
		    redirect != NULL)
			snprintf(location, loc_size, "%s", redirect);
	}
	return status;
}

/* The value of <input ... name="NAME" value="..."> on the page. */
static int hidden_value(const char *page, const char *name, char *out, size_t size)
{
	char needle[64];
	const char *p, *v, *end;

	snprintf(needle, sizeof(needle), "name=\"%s\" value=\"", name);
	p = strstr(page, needle);
	if (p == NULL)
		return -1;
	v = p + strlen(needle);
	end = strchr(v, '"');
	if (end == NULL || (size_t)(end - v) >= size)
		return -1;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
	return 0;
}

static void *phone(void *arg)
{
	struct login *l = arg;
	const struct plan *p = l->plan;
	static struct buf body; /* one phone at a time */
	char authorize[4096], url[4200], callback[4096], page[4200], s[64], t[64], form[256];
	CURL *c = cookie_handle();
	unsigned number = p->wrong_number ? (l->number % 89) + 11 : l->number;
	size_t first = seen.n;

	if (c == NULL) {
		snprintf(l->phone_error, sizeof(l->phone_error), "curl_easy_init failed");
		return NULL;
	}
	if (http(c, l->link, NULL, authorize, sizeof(authorize), &body) != 302) {
		snprintf(l->phone_error, sizeof(l->phone_error), "the short link did not redirect");
		goto done;
	}
	remember_param(authorize, "state");
	snprintf(url, sizeof(url), "%s&mock_person=%s&mock_decision=%s", authorize, p->person,
		 p->decision);
	if (http(c, url, NULL, callback, sizeof(callback), &body) != 302) {
		snprintf(l->phone_error, sizeof(l->phone_error), "authorize did not redirect");
		goto done;
	}
	remember_param(callback, "authCode");
	/* The callback answers a redirect to the page's clean URL. */
	if (http(c, callback, NULL, page, sizeof(page), &body) != 303 ||
	    http(c, page, NULL, NULL, 0, &body) != 200) {
		snprintf(l->phone_error, sizeof(l->phone_error), "the callback failed");
		goto done;
	}
	check_page(body.data, first, NULL);
	if (strcmp(p->decision, "approve") != 0)
		goto done;
	if (hidden_value(body.data, "s", s, sizeof(s)) != 0 ||
	    hidden_value(body.data, "t", t, sizeof(t)) != 0) {
		snprintf(l->phone_error, sizeof(l->phone_error), "no confirmation form");
		goto done;
	}
	remember(t, strlen(t));
	snprintf(form, sizeof(form), "s=%s&t=%s&n=%u", s, t, number);
	*strstr(callback, "/callback") = '\0';
	snprintf(url, sizeof(url), "%s/confirm", callback);
	if (http(c, url, form, NULL, 0, &body) != 200)
		snprintf(l->phone_error, sizeof(l->phone_error), "confirm failed");
	check_page(body.data, first, NULL);
done:
	curl_easy_cleanup(c);
	return NULL;
}

/* ---- the terminal ---- */

static void read_terminal(struct login *l)
{
	const char *p = strstr(l->text, "/l/"), *start, *num;
	size_t n;

	if (p != NULL && l->link[0] == '\0') {
		for (start = p; start > l->text && start[-1] != ' ' && start[-1] != '\n'; start--)
			;
		n = strcspn(start, " \n");
		if (n < sizeof(l->link)) {
			memcpy(l->link, start, n);
			l->link[n] = '\0';
		}
	}
	num = strstr(l->text, "choose the number ");
	if (num != NULL)
		l->number = (unsigned)atoi(num + strlen("choose the number "));
}

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			void *data)
{
	struct login *l = data;
	struct pam_response *r;
	int i;

	if (l->plan->conv_fails)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		size_t len = strlen(msg[i]->msg);
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup("");
		if (l->text_len + len + 2 < sizeof(l->text)) {
			memcpy(l->text + l->text_len, msg[i]->msg, len);
			l->text_len += len;
			l->text[l->text_len++] = '\n';
			l->text[l->text_len] = '\0';
		}
	}
	read_terminal(l);
	if (l->plan->person != NULL && !l->phone_started && l->link[0] != '\0' && l->number != 0)
		l->phone_started = pthread_create(&l->phone, NULL, phone, l) == 0;
	*resp = r;
	return PAM_SUCCESS;
}

/* ---- the mock's fault switch ---- */

static int mock_fault(CURL *c, const char *mode)
{
	static struct buf body;
	char url[512], json[256];
	const char *base = getenv("DT_MOCK_URL");

	snprintf(url, sizeof(url), "%s/_mock/fault", base != NULL ? base : "");
	snprintf(json, sizeof(json), "{\"endpoint\": \"userAccessToken\", \"mode\": \"%s\"}",
		 mode != NULL ? mode : "none");
	return http(c, url, json, NULL, 0, &body) == 200 ? 0 : -1;
}

static int login_once(CURL *admin, enum kind k, int *got)
{
	struct pam_testcase tests[] = {pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS)};
	struct login *l = calloc(1, sizeof(*l));
	int ok;

	if (l == NULL)
		return -1;
	l->plan = &plans[k];
	if (l->plan->fault != NULL && mock_fault(admin, l->plan->fault) != 0) {
		free(l);
		return -1;
	}
	(void)_pamtest_conv(l->plan->service, l->plan->user, conversation, l, tests, 1, NULL);
	*got = tests[0].op_rv;
	if (l->phone_started)
		pthread_join(l->phone, NULL);
	if (l->plan->fault != NULL)
		mock_fault(admin, NULL);
	ok = *got == l->plan->want;
	if (!ok)
		fprintf(stderr, "soak: %s: PAM %d (%s), wanted %d; phone: %s\n", l->plan->name,
			*got, pam_strerror(NULL, *got), l->plan->want,
			l->phone_error[0] != '\0' ? l->phone_error : "-");
	free(l);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned logins = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 26;
	unsigned runs[K_ALL] = {0}, fails[K_ALL] = {0}, i;
	CURL *admin;
	int got, failed = 0, leaked;
	size_t bytes = 0;
	enum kind k;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (admin = curl_easy_init()) == NULL)
		return 1;
	for (i = 0; i < logins; i++) {
		k = i % 100 == 99 ? K_TIMEOUT : (enum kind)(i % K_COUNT);
		if (plans[k].root_caller && geteuid() != 0)
			continue;
		runs[k]++;
		if (login_once(admin, k, &got) != 0)
			fails[k]++;
	}
	curl_easy_cleanup(admin);
	curl_global_cleanup();
	remember("mock-secret-0123456789", strlen("mock-secret-0123456789"));
	leaked = secrets_in_logs(&bytes);
	printf("1..%d\n", (int)K_ALL + 1);
	for (k = 0; k < K_ALL; k++) {
		if (fails[k] != 0)
			failed = 1;
		if (plans[k].root_caller && geteuid() != 0)
			printf("ok %d # SKIP %s: as root only (a caller that is not root gets no "
			       "PAM_AUTHINFO_UNAVAIL)\n",
			       (int)k + 1, plans[k].name);
		else
			printf("%s %d - %s: %u logins, %u unexpected\n", fails[k] ? "not ok" : "ok",
			       (int)k + 1, plans[k].name, runs[k], fails[k]);
	}
	printf("%s %d - no state, code, token or AppSecret in any log (%zu secrets, %zu bytes of "
	       "logs), no state or code on any page (%u found)\n",
	       leaked == 0 && seen.on_pages == 0 ? "ok" : "not ok", (int)K_ALL + 1, seen.n, bytes,
	       seen.on_pages);
	printf("# %u logins in one process\n", logins);
	for (i = 0; i < seen.n; i++)
		free(seen.v[i]);
	free(seen.v);
	return failed || leaked != 0 || seen.on_pages != 0;
}
