/* fuzz_pam: the helper and DingTalk, in process. dt_http_init, _cleanup,
 * _request and _response_free are wrapped (-Wl,--wrap=), so no socket is
 * opened: each request takes one byte of the input that picks the answer
 * (the good one, a variant, an HTTP error, raw bytes from the input, or a
 * transport failure) and the fakes note what they did in fz_seen, which is
 * what the invariants in fuzz_pam.c judge the module's code by. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_pam.h"
#include "base/http.h"

int __wrap_dt_http_init(struct dt_http *h, const struct dt_http_opts *opts, struct dt_err *err);
void __wrap_dt_http_cleanup(struct dt_http *h);
int __wrap_dt_http_request(struct dt_http *h, const char *method, const char *url,
			   const char *const *headers, const char *body, int64_t deadline_ms,
			   struct dt_http_response *resp, struct dt_err *err);
void __wrap_dt_http_response_free(struct dt_http_response *resp);

struct fz_record fz_seen;
const char *fz_person = FZ_UNION_NOBODY; /* whom a good answer names */
const char *fz_stranger = FZ_UNION_DAEMON;

/* What one request gets; the input's byte modulo 16. */
enum answer {
	A_GOOD = 0,	    /* 0..5: the good answer */
	A_VARIANT_1 = 6,    /* pending / another person / another organisation */
	A_VARIANT_2 = 7,    /* refused / a stranger / no organisation */
	A_VARIANT_3 = 8,    /* expired / throttled */
	A_NOT_FOUND = 9,    /* HTTP 404 */
	A_HTML_500 = 10,    /* HTTP 500 with a page */
	A_RAW = 11,	    /* status and body from the input */
	A_UNREACHABLE = 12, /* no connection */
	A_RESET = 13,	    /* sent, then the connection dropped */
	A_TIMEOUT = 14,	    /* silent until the deadline */
	A_INTERRUPT = 15    /* Ctrl-C at the terminal */
};

void fz_fakes_reset(void)
{
	memset(&fz_seen, 0, sizeof(fz_seen));
}

int __wrap_dt_http_init(struct dt_http *h, const struct dt_http_opts *opts, struct dt_err *err)
{
	memset(h, 0, sizeof(*h));
	h->opts = *opts;
	if (h->opts.peer_name == NULL)
		h->opts.peer_name = "server";
	h->curl = h; /* anything but NULL */
	return 0;
	(void)err;
}

void __wrap_dt_http_cleanup(struct dt_http *h)
{
	h->curl = NULL;
}

void __wrap_dt_http_response_free(struct dt_http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static void answer(struct dt_http_response *resp, long status, const char *body, size_t len)
{
	resp->status = status;
	resp->len = len;
	resp->body = malloc(len + 1);
	if (resp->body == NULL)
		abort();
	memcpy(resp->body, body, len);
	resp->body[len] = '\0';
}

static void answer_text(struct dt_http_response *resp, long status, const char *body)
{
	answer(resp, status, body, strlen(body));
}

static void answer_raw(struct dt_http_response *resp)
{
	static const long statuses[] = {200, 201, 204, 400, 401, 403, 404, 429, 500, 503};
	long status = statuses[fz_byte(0) % 10];
	size_t len = 0;
	const uint8_t *body = fz_bytes(fz_byte(0) * 4, &len);

	answer(resp, status, (const char *)body, len);
}

/* A string member of a JSON text, copied into out ("" when absent). */
static void json_member(const char *text, const char *outer, const char *name, char *out,
			size_t size)
{
	json_object *o = text != NULL ? json_tokener_parse(text) : NULL, *in = o, *v;

	out[0] = '\0';
	if (outer != NULL && (in == NULL || !json_object_object_get_ex(o, outer, &in)))
		in = NULL;
	if (in != NULL && json_object_is_type(in, json_type_object) &&
	    json_object_object_get_ex(in, name, &v) && json_object_is_type(v, json_type_string))
		snprintf(out, size, "%s", json_object_get_string(v));
	json_object_put(o);
}

static int body_has_code(const char *body, const char *name)
{
	char code[64];

	json_member(body, NULL, name, code, sizeof(code));
	return strcmp(code, FZ_CODE) == 0;
}

/* A state the module registered must be its own random one. */
static void check_registration(const char *body)
{
	char state[160];
	size_t i, n;

	json_member(body, NULL, "state", state, sizeof(state));
	n = strlen(state);
	for (i = 1; i < n && state[i] == state[0]; i++)
		;
	if (n < 22 || i == n)
		fz_seen.weak_state = 1;
	fz_seen.registered++;
}

static void helper_wait(const char *url, int mode, int64_t deadline_ms,
			struct dt_http_response *resp)
{
	const char *t = strstr(url, "timeout=");
	int64_t poll_ms = t != NULL ? atoll(t + 8) * 1000 : 0;

	switch (mode) {
	case A_VARIANT_1:
		/* A long poll that ran its course: time passes. */
		if (poll_ms > deadline_ms - fz_clock())
			poll_ms = deadline_ms - fz_clock();
		fz_clock_advance(poll_ms);
		answer_text(resp, 200, "{\"status\":\"pending\"}");
		return;
	case A_VARIANT_2:
		fz_seen.denial = fz_seen.denial_sure = 1;
		answer_text(resp, 200,
			    "{\"status\":\"refused\",\"reason\":\"wrong_number\x1b[2J\"}");
		return;
	case A_VARIANT_3:
		fz_seen.denial = fz_seen.denial_sure = 1;
		answer_text(resp, 200, "{\"status\":\"expired\"}");
		return;
	default:
		fz_seen.code_released = 1;
		answer_text(resp, 200, "{\"status\":\"approved\",\"code\":\"" FZ_CODE "\"}");
	}
}

/* 404. To a long-poll, from the instance that registered the session: it
 * ended there and was forgotten, which must end the login as a refusal
 * (the downgrade invariant). Elsewhere: a helper that cannot serve. */
static void helper_not_found(const char *method, struct dt_http_response *resp)
{
	if (strcmp(method, "GET") == 0 && fz_seen.registered > 0)
		fz_seen.denial = fz_seen.denial_sure = 1;
	answer_text(resp, 404, "{\"error\":\"unknown session\",\"instance\":\"" FZ_INSTANCE "\"}");
}

/* Raw bytes may still spell a decision: note it as the good answers do. */
static void helper_raw(struct dt_http_response *resp)
{
	char status[32], code[64];

	answer_raw(resp);
	json_member(resp->body, NULL, "status", status, sizeof(status));
	json_member(resp->body, NULL, "code", code, sizeof(code));
	if (resp->status != 200)
		return;
	if (strcmp(status, "refused") == 0 || strcmp(status, "expired") == 0)
		fz_seen.denial = 1;
	if (strcmp(status, "approved") == 0 && strcmp(code, FZ_CODE) == 0)
		fz_seen.code_released = 1;
}

static void fake_helper(const char *method, const char *url, const char *body, int mode,
			int64_t deadline_ms, struct dt_http_response *resp)
{
	if (strcmp(method, "POST") == 0) {
		check_registration(body);
		answer_text(
		    resp, 201,
		    mode == A_VARIANT_1
			? "{\"id\":\"fzsess01\",\"short_url\":\"javascript:x\",\"expires_in\":60,"
			  "\"instance\":\"" FZ_INSTANCE "\"}"
			: "{\"id\":\"fzsess0000000001\",\"short_url\":"
			  "\"https://fz.example/l/abcd\u00e9\",\"expires_in\":60,"
			  "\"instance\":\"" FZ_INSTANCE "\"}");
	} else if (strcmp(method, "DELETE") == 0) {
		answer_text(resp, 204, "");
	} else {
		helper_wait(url, mode, deadline_ms, resp);
	}
}

/* The person a good or variant answer names. */
static const char *person_for(int mode)
{
	if (mode == A_VARIANT_1)
		return fz_stranger;
	if (mode == A_VARIANT_2)
		return "U-stranger<b>";
	return fz_person;
}

static void note_named(const char *union_id)
{
	snprintf(fz_seen.named, sizeof(fz_seen.named), "%s", union_id);
}

/* POST /v1.0/oauth2/userAccessToken */
static void user_token(const char *body, int mode, struct dt_http_response *resp)
{
	char corp[64];

	if (!body_has_code(body, "code")) {
		answer_text(resp, 400, "{\"code\":\"invalidAuthCode\",\"message\":\"bad code\"}");
		return;
	}
	fz_seen.code_exchanged = 1;
	if (mode == A_VARIANT_3) {
		answer_text(resp, 429, "{\"code\":\"Throttling.Api\",\"message\":\"slow down\"}");
		return;
	}
	if (mode == A_RAW)
		answer_raw(resp);
	else if (mode == A_VARIANT_1)
		answer_text(resp, 200,
			    "{\"accessToken\":\"" FZ_USER_TOKEN "\",\"corpId\":\"dingother\"}");
	else if (mode == A_VARIANT_2)
		answer_text(resp, 200, "{\"accessToken\":\"" FZ_USER_TOKEN "\"}");
	else
		answer_text(resp, 200,
			    "{\"accessToken\":\"" FZ_USER_TOKEN "\",\"expireIn\":7200,"
			    "\"corpId\":\"dingfzcorp\"}");
	json_member(resp->body, NULL, "corpId", corp, sizeof(corp));
	fz_seen.other_corp = strcmp(corp, "dingfzcorp") != 0;
	json_member(resp->body, NULL, "accessToken", corp, sizeof(corp));
	fz_seen.token_issued = resp->status == 200 && strcmp(corp, FZ_USER_TOKEN) == 0;
}

/* GET /v1.0/contact/users/me: only with the token just issued. */
static void users_me(const char *const *headers, int mode, struct dt_http_response *resp)
{
	char text[256];

	if (headers == NULL || headers[0] == NULL || !fz_seen.token_issued ||
	    strstr(headers[0], FZ_USER_TOKEN) == NULL) {
		answer_text(resp, 401, "{\"code\":\"InvalidAuthentication\",\"message\":\"no\"}");
		return;
	}
	if (mode == A_RAW)
		answer_raw(resp);
	else {
		snprintf(text, sizeof(text),
			 "{\"unionId\":\"%s\",\"nick\":\"Fz \\u001b[31m<i>\",\"openId\":\"o1\"}",
			 person_for(mode));
		answer_text(resp, 200, text);
	}
	json_member(resp->body, NULL, "unionId", text, sizeof(text));
	if (resp->status == 200)
		note_named(text);
}

/* POST {oapi}/sns/getuserinfo_bycode and /topapi/v2/user/getuserinfo:
 * the code is exchanged and the person named in one answer. */
static void code_to_person(const char *body, const char *code_key, const char *outer, int mode,
			   struct dt_http_response *resp)
{
	char text[320];

	if (!body_has_code(body, code_key)) {
		answer_text(resp, 200, "{\"errcode\":40078,\"errmsg\":\"bad code\"}");
		return;
	}
	fz_seen.code_exchanged = 1;
	if (mode == A_RAW)
		answer_raw(resp);
	else if (mode == A_VARIANT_3)
		answer_text(resp, 200, "{\"errcode\":88,\"errmsg\":\"throttled\"}");
	else {
		snprintf(text, sizeof(text),
			 "{\"errcode\":0,\"%s\":{\"unionid\":\"%s\",\"nick\":\"n\",\"name\":\"n\","
			 "\"userid\":\"%s\"}}",
			 outer, person_for(mode), FZ_UNION_NOBODY_UID);
		answer_text(resp, 200, text);
	}
	json_member(resp->body, outer, "unionid", text, sizeof(text));
	if (resp->status == 200)
		note_named(text);
}

/* The directory: getbyunionid and v2/user/get. A person other than the
 * one named, or an external contact, must end in a refusal. */
static void directory(const char *url, int mode, struct dt_http_response *resp)
{
	char text[320];
	int get = strstr(url, "/topapi/v2/user/get?") != NULL;

	if (mode == A_RAW)
		answer_raw(resp);
	else if (get)
		snprintf(text, sizeof(text),
			 "{\"errcode\":0,\"result\":{\"userid\":\"%s\",\"unionid\":\"%s\","
			 "\"active\":true,\"dept_id_list\":[1,2],\"email\":\"a@b.c\"}}",
			 FZ_UNION_NOBODY_UID, mode == A_VARIANT_1 ? fz_stranger : fz_seen.named);
	else
		snprintf(text, sizeof(text),
			 "{\"errcode\":0,\"result\":{\"userid\":\"%s\",\"contact_type\":%d}}",
			 FZ_UNION_NOBODY_UID, mode == A_VARIANT_1 ? 1 : 0);
	if (mode != A_RAW)
		answer_text(resp, 200, text);
	json_member(resp->body, "result", "unionid", text, sizeof(text));
	if (get && text[0] != '\0' && strcmp(text, fz_seen.named) != 0)
		fz_seen.directory_refused = 1;
	/* Whether DingTalk said "external" is the module's to read; a raw
	 * answer may say it in ways this fake does not parse: be strict. */
	if (!get &&
	    (mode == A_VARIANT_1 || (mode == A_RAW && strstr(resp->body, "contact") != NULL)))
		fz_seen.directory_refused = 1;
}

static void fake_dingtalk(const char *url, const char *const *headers, const char *body, int mode,
			  struct dt_http_response *resp)
{
	if (mode == A_NOT_FOUND)
		answer_text(resp, 404, "{\"code\":\"NotFound\",\"message\":\"no\"}");
	else if (mode == A_HTML_500)
		answer_text(resp, 500, "<html><body>Bad gateway</body></html>");
	else if (strstr(url, "/v1.0/oauth2/userAccessToken") != NULL)
		user_token(body, mode, resp);
	else if (strstr(url, "/v1.0/contact/users/me") != NULL)
		users_me(headers, mode, resp);
	else if (strstr(url, "/v1.0/oauth2/accessToken") != NULL)
		answer_text(resp, 200,
			    mode == A_RAW ? "{\"accessToken\":\"\"}"
					  : "{\"accessToken\":\"" FZ_APP_TOKEN
					    "\",\"expireIn\":7200}");
	else if (strstr(url, "/sns/getuserinfo_bycode?") != NULL)
		code_to_person(body, "tmp_auth_code", "user_info", mode, resp);
	else if (strstr(url, "/topapi/v2/user/getuserinfo?") != NULL)
		code_to_person(body, "code", "result", mode, resp);
	else
		directory(url, mode, resp);
}

/* A failure of the transport, as http.c reports it. */
static int transport_failure(struct dt_http *h, int mode, int64_t deadline_ms, struct dt_err *err)
{
	if (mode == A_INTERRUPT && h->opts.interrupted != NULL)
		return dt_err_set(err, DT_ERR_INTERRUPTED, "interrupted at the terminal");
	if (mode == A_TIMEOUT) {
		fz_clock_advance(deadline_ms - fz_clock());
		h->transient = 1;
		return dt_err_set(err, DT_ERR_TIMEOUT, "%s: no answer in time", h->opts.peer_name);
	}
	h->transient = 1;
	h->unsent = mode == A_UNREACHABLE;
	return dt_err_set(err, DT_ERR_UNAVAIL, "cannot reach the %s", h->opts.peer_name);
}

static int request(struct dt_http *h, const char *method, const char *url,
		   const char *const *headers, const char *body, int64_t deadline_ms,
		   struct dt_http_response *resp, struct dt_err *err)
{
	int mode = (int)(fz_byte(A_GOOD) % 16);

	memset(resp, 0, sizeof(*resp));
	h->transient = 0;
	h->unsent = 0;
	fz_seen.deadline_ms = deadline_ms;
	if (deadline_ms - fz_clock() <= 0)
		return dt_err_set(err, DT_ERR_TIMEOUT, "the login's deadline has passed");
	if (mode < A_VARIANT_1)
		mode = A_GOOD;
	if (mode >= A_UNREACHABLE)
		return transport_failure(h, mode, deadline_ms, err);
	if (h->opts.unix_socket == NULL)
		fake_dingtalk(url, headers, body, mode, resp);
	else if (mode == A_NOT_FOUND)
		helper_not_found(method, resp);
	else if (mode == A_HTML_500)
		answer_text(resp, 500, "<html>\x1b[31m</html>");
	else if (mode == A_RAW)
		helper_raw(resp);
	else
		fake_helper(method, url, body, mode, deadline_ms, resp);
	return 0;
}

int __wrap_dt_http_request(struct dt_http *h, const char *method, const char *url,
			   const char *const *headers, const char *body, int64_t deadline_ms,
			   struct dt_http_response *resp, struct dt_err *err)
{
	int rc;

	/* The network's own allocations are not the module's to fail. */
	fz_inject_hold(1);
	rc = request(h, method, url, headers, body, deadline_ms, resp, err);
	fz_inject_hold(0);
	return rc;
}
