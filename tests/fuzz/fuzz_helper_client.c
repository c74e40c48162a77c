/* libFuzzer target: the module's reading of the helper's answers
 * (helper_client.c: register, wait, cancel).
 *
 * The seam: this file defines dt_http_request and dt_http_response_free,
 * so the linker takes them from here instead of libdtcore's http.o (an
 * archive member is pulled only for symbols still undefined). The fake
 * "helper" answers with the fuzz input: the first byte picks the call and
 * the HTTP status, the rest is the body. No source change was needed. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "login/helper_client.h"
#include "base/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *answer;
static size_t answer_len;
static long answer_status;

int dt_http_request(struct dt_http *h, const char *method, const char *url,
		    const char *const *headers, const char *body, int64_t deadline_ms,
		    struct dt_http_response *resp, struct dt_err *err)
{
	(void)h;
	(void)method;
	(void)url;
	(void)headers;
	(void)body;
	(void)deadline_ms;
	(void)err;
	resp->status = answer_status;
	resp->len = answer_len;
	resp->body = malloc(answer_len + 1);
	if (resp->body == NULL)
		abort();
	memcpy(resp->body, answer, answer_len);
	resp->body[answer_len] = '\0';
	return 0;
}

void dt_http_response_free(struct dt_http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}

static void check_shown(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

/* The Unix socket, and one replica of a fleet whose requests are signed
 * (with a key of zeros: the seam ignores the headers). */
static struct dt_helper_link link_unix;
static struct dt_helper_link link_fleet = {.base = "https://fleet.example:8788",
					   .key = &(struct dt_host_key){.id = "fz"},
					   .host = "jump-01"};
static struct dt_helper_link *ln = &link_unix;

static void do_register(void)
{
	struct dt_helper_registration reg = {
	    .state = "0123456789abcdefghijklmnopqrstuvwxyzABCD",
	    .number = 42,
	    .user = "alice",
	    .service = "sshd",
	    .host = "jump-01",
	    .rhost = "10.0.0.5",
	    .authorize_url = "https://login.dingtalk.com/oauth2/auth?client_id=x",
	    .requester = "rhost:10.0.0.5 user:alice",
	    .requester_address = "rhost:10.0.0.5",
	    .command = "/usr/bin/apt upgrade",
	    .ttl = 90,
	};
	struct dt_helper_session s;
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_helper_register(ln, &reg, 0, &s, &err) == 0) {
		if (s.short_url == NULL || s.expires_in > 3600 || strlen(s.id) < 8 ||
		    strlen(s.instance) < 8)
			__builtin_trap();
		check_shown(s.short_url);
	} else {
		check_shown(err.msg);
	}
	dt_helper_session_free(&s);
}

static void do_wait(void)
{
	struct dt_helper_session s = {.id = "AAAAAAAAAAAAAAAA", .instance = "fzinstance000001"};
	struct dt_wait_result w;
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_helper_wait(ln, &s, 25, 0, &w, &err) == 0) {
		if ((w.status == DT_WAIT_APPROVED) != (w.code != NULL))
			__builtin_trap();
		/* "Ended" only from the instance that registered the session. */
		if (w.status == DT_WAIT_GONE &&
		    (answer_status != 404 ||
		     memmem(answer, answer_len, "fzinstance000001", 16) == NULL))
			__builtin_trap();
		check_shown(w.reason);
	} else {
		check_shown(err.msg);
	}
	dt_wait_result_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 201, 204, 400, 404, 409, 500, 503, 401, 403};
	struct dt_err err;

	if (size < 1)
		return 0;
	answer = (const char *)data + 1;
	answer_len = size - 1;
	answer_status = statuses[(data[0] >> 2) % 10];
	ln = data[0] & 0x80 ? &link_fleet : &link_unix;
	switch (data[0] & 3) {
	case 0:
		do_register();
		break;
	case 1:
	case 2:
		do_wait();
		break;
	default:
		dt_err_clear(&err);
		(void)dt_helper_cancel(ln, "AAAAAAAAAAAAAAAA", 0, &err);
		check_shown(err.msg);
		break;
	}
	return 0;
}
