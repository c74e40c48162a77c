/* The public listener: what a phone (through a reverse proxy) reaches.
 * Everything arriving here is hostile until checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "form.h"
#include "httpd.h"
#include "proto/control_api.h"
#include "net.h"
#include "inapp.h"
#include "jsapi.h"
#include "pages.h"
#include "public.h"
#include "base/util.h"

#define FORM_MAX    1024
#define LINK_PREFIX "/l/"

#define PAGE_PREFIX "/c/"
#define COOKIE_NAME "dt_" /* then the session id: one cookie per login */
/* The clean URL's page says a refusal came from flow C's page opened
 * outside DingTalk (the store records both as "denied"). */
#define WHY_NOT_IN_DINGTALK "not-in-dingtalk"

struct cbd_public {
	struct MHD_Daemon *mhd;
	struct cbd_deadlines *deadlines; /* request_timeout, against slowloris */
	int fd;
	const struct cbd_conf *conf;
	struct cbd_store *store;
	const struct dt_log *log;
	char *callback_url; /* {public_url}/callback */
	char *redirect_enc; /* the same, urlencoded */
	char *jsapi_url;    /* {public_url} CBD_JSAPI_PATH, for flow C's page */
	char *cookie_attrs; /* "; Path=<prefix>/; Max-Age=...; HttpOnly; ..." */
};

struct preq {
	struct cbd_body body;
};

static int is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0;
}

static int is_post(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_POST) == 0;
}

static enum cbd_lang lang_of(struct MHD_Connection *conn)
{
	return cbd_lang_pick(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
}

static enum MHD_Result message(struct MHD_Connection *conn, unsigned status, enum cbd_page page)
{
	return cbd_page_send(conn, status, cbd_page_message(page, lang_of(conn)));
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *conn, const char *allow)
{
	return cbd_page_send_405(conn, cbd_page_message(CBD_PAGE_NOT_ALLOWED, lang_of(conn)),
				 allow);
}

static enum MHD_Result internal_error(struct MHD_Connection *conn)
{
	return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
}

/* ---- GET /healthz ---- */

/* 503 when the store cannot serve, so a load balancer drains this
 * replica. The page names the cause only in general terms (it is public);
 * the log names the address and the error. */
static enum MHD_Result healthz(struct cbd_public *pub, struct MHD_Connection *conn)
{
	static char ok[] = "ok\n";
	static char down[] = "unavailable: the session store (Redis) cannot be reached\n";
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char why[300];
	int up = cbd_store_health(pub->store, why, sizeof(why)) == 0;

	if (!up)
		dt_logf(pub->log, LOG_DEBUG, "healthz: store down (%s)", why);
	resp = up ? MHD_create_response_from_buffer(sizeof(ok) - 1, ok, MHD_RESPMEM_PERSISTENT)
		  : MHD_create_response_from_buffer(sizeof(down) - 1, down, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8") != MHD_YES ||
	    cbd_add_security_headers(resp) != 0) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, up ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The store is down: nothing was decided, the phone is told to reload.
 * The page's own URL is safe to load again: a callback is single-use
 * when it is recorded, and nothing was; DingTalk's code is spent only at
 * the module's exchange. */
static enum MHD_Result unavailable(struct MHD_Connection *conn)
{
	return message(conn, MHD_HTTP_SERVICE_UNAVAILABLE, CBD_PAGE_UNAVAILABLE);
}

/* A login that ended, for someone without the browser's proof (the link,
 * a repeated callback, the old form): a timeout is said as such, anything
 * else only as "ended". */
static enum MHD_Result ended(struct cbd_public *pub, struct MHD_Connection *conn, const char *id,
			     enum cbd_page otherwise)
{
	struct cbd_page_state ps;

	if (cbd_store_page(pub->store, id, NULL, &ps) == CBD_OK && ps.status == CBD_EXPIRED)
		return message(conn, MHD_HTTP_GONE, CBD_PAGE_EXPIRED);
	return message(conn, MHD_HTTP_GONE, otherwise);
}

/* ---- GET /l/<id> ---- */

static enum MHD_Result redirect(struct cbd_public *pub, struct MHD_Connection *conn, const char *id,
				const char *url)
{
	const char *sep = strchr(url, '?') != NULL ? "&" : "?";
	struct cbd_inapp inapp;
	char *location;
	enum MHD_Result ret;

	if (cbd_inapp_parse(url, &inapp) == 0) {
		struct cbd_inapp_page page = {
		    .in = &inapp,
		    .callback_url = pub->callback_url,
		    .jsapi_url = pub->jsapi_url,
		    .accept_language =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"),
		};

		dt_logf(pub->log, LOG_INFO, "link followed id=%s (in-DingTalk page)", id);
		ret = cbd_inapp_send(conn, &page);
		OPENSSL_cleanse(&inapp, sizeof(inapp));
		return ret;
	}
	location = dt_asprintf("%s%sredirect_uri=%s", url, sep, pub->redirect_enc);
	if (location == NULL)
		return internal_error(conn);
	dt_logf(pub->log, LOG_INFO, "link followed id=%s", id);
	ret = cbd_redirect_send(conn, location);
	free(location);
	return ret;
}

static enum MHD_Result link_page(struct cbd_public *pub, struct MHD_Connection *conn,
				 const char *id)
{
	char *url = NULL;
	enum MHD_Result ret;

	if (!dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN))
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	switch (cbd_store_follow_link(pub->store, id, &url)) {
	case CBD_OK:
		ret = redirect(pub, conn, id, url);
		free(url);
		return ret;
	case CBD_E_UNKNOWN:
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_USED:
		dt_logf(pub->log, LOG_NOTICE, "link id=%s followed again; refused", id);
		return message(conn, MHD_HTTP_GONE, CBD_PAGE_LINK_USED);
	case CBD_E_ENDED:
		return ended(pub, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return internal_error(conn);
	}
}

/* ---- the clean URL: <prefix>/c/<id>, and the browser's cookie ---- */

/* The browser's proof for `id` (its cookie), or NULL. */
static const char *proof_of(struct MHD_Connection *conn, const char *id)
{
	char name[sizeof(COOKIE_NAME) + CBD_ID_LEN];
	const char *v;

	snprintf(name, sizeof(name), "%s%s", COOKIE_NAME, id);
	v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, name);
	return v != NULL && dt_is_token(v, CBD_TOKEN_LEN, CBD_TOKEN_LEN) ? v : NULL;
}

/* A 303 to the clean URL, relative to where the browser is (`to`: "c/"
 * from /callback, "" from /c/<id> itself), so that a prefix a proxy
 * strips stays in the browser's address. With `token`, the cookie that
 * proves it is the same browser. */
static enum MHD_Result to_clean_url(struct cbd_public *pub, struct MHD_Connection *conn,
				    const char *to, const char *id, const char *token,
				    const char *why)
{
	char *location, *cookie = NULL;
	enum MHD_Result ret;

	location = dt_asprintf("%s%s%s%s", to, id, why != NULL ? "?why=" : "", why ? why : "");
	if (token != NULL)
		cookie = dt_asprintf("%s%s=%s%s", COOKIE_NAME, id, token, pub->cookie_attrs);
	if (location == NULL || (token != NULL && cookie == NULL)) {
		free(location);
		dt_free_secret(cookie);
		return internal_error(conn);
	}
	ret = cbd_redirect_see_other(conn, location, cookie);
	free(location);
	dt_free_secret(cookie);
	return ret;
}

/* What ended the login, in the page that says so. */
static enum cbd_page outcome_page(const struct cbd_page_state *ps, const char *why)
{
	if (ps->status == CBD_APPROVED)
		return CBD_PAGE_APPROVED;
	if (ps->status == CBD_EXPIRED)
		return CBD_PAGE_EXPIRED;
	switch (ps->reason) {
	case CBD_REASON_DENIED:
		return why != NULL && strcmp(why, WHY_NOT_IN_DINGTALK) == 0
			   ? CBD_PAGE_NOT_IN_DINGTALK
			   : CBD_PAGE_DENIED;
	case CBD_REASON_WRONG_NUMBER:
		return CBD_PAGE_WRONG_NUMBER;
	case CBD_REASON_NOT_ME:
		return CBD_PAGE_NOT_ME;
	case CBD_REASON_CANCELLED:
		return CBD_PAGE_CANCELLED;
	case CBD_REASON_NONE:
		break;
	}
	return CBD_PAGE_ENDED;
}

static enum MHD_Result show_form(struct cbd_public *pub, struct MHD_Connection *conn,
				 struct cbd_page_state *ps, const char *proof)
{
	struct cbd_confirm_page page = {
	    .view = &ps->view,
	    .lang = lang_of(conn),
	    .mode = pub->conf->confirm == CBD_CONFIRM_PICK ? CBD_CONFIRM_PICK : CBD_CONFIRM_TYPE,
	    .ms_left = ps->ms_left,
	    .now = time(NULL),
	    .action = ps->view.id, /* relative: this very address */
	};
	enum MHD_Result ret;

	/* The proof is this session's form token: the cookie and the form
	 * carry the same secret, which the page already showed once. */
	memcpy(ps->view.token, proof, CBD_TOKEN_LEN + 1);
	ret = cbd_page_send(conn, MHD_HTTP_OK, cbd_page_confirm(&page));
	cbd_view_wipe(&ps->view);
	return ret;
}

/* GET: the form while the number is awaited (as often as it is loaded),
 * what happened once the login ended. */
static enum MHD_Result clean_page(struct cbd_public *pub, struct MHD_Connection *conn,
				  const char *id)
{
	const char *proof = proof_of(conn, id);
	const char *why = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "why");
	struct cbd_page_state ps;

	if (proof == NULL)
		return message(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_OTHER_BROWSER);
	switch (cbd_store_page(pub->store, id, proof, &ps)) {
	case CBD_OK:
		break;
	case CBD_E_UNKNOWN:
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_TOKEN:
		return message(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_OTHER_BROWSER);
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return internal_error(conn);
	}
	if (ps.status == CBD_PENDING && ps.awaiting_number)
		return show_form(pub, conn, &ps, proof);
	if (ps.status == CBD_PENDING)
		return message(conn, MHD_HTTP_CONFLICT, CBD_PAGE_ANSWERED);
	return message(conn, MHD_HTTP_OK, outcome_page(&ps, why));
}

/* ---- GET /callback ---- */

/* DingTalk's codes are short tokens; anything else is refused, which also
 * keeps the code safe to put in JSON without escaping. */
static int code_ok(const char *code)
{
	size_t n = strlen(code), i;

	if (n == 0 || n > DT_CONTROL_CODE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=",
			   code[i]) == NULL)
			return 0;
	return 1;
}

/* The callback again (reload, Back): the browser that holds the proof is
 * sent to the clean URL, which says where the login stands. */
static enum MHD_Result callback_failed(struct cbd_public *pub, struct MHD_Connection *conn,
				       enum cbd_rc rc, const char *id)
{
	int known = dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN);

	if ((rc == CBD_E_USED || rc == CBD_E_ENDED) && known && proof_of(conn, id) != NULL)
		return to_clean_url(pub, conn, "c/", id, NULL, NULL);
	switch (rc) {
	case CBD_E_UNKNOWN:
		dt_logf(pub->log, LOG_NOTICE, "callback with an unknown state");
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_USED:
		dt_logf(pub->log, LOG_NOTICE, "callback id=%s repeated; refused", id);
		return message(conn, MHD_HTTP_GONE, CBD_PAGE_ANSWERED);
	case CBD_E_ENDED:
		return ended(pub, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return internal_error(conn);
	}
}

static void log_callback(struct cbd_public *pub, enum cbd_outcome outcome, const char *id,
			 int not_in_dingtalk)
{
	switch (outcome) {
	case CBD_NEED_CONFIRM:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: waiting for the number", id);
		return;
	case CBD_DONE_APPROVED:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: approved", id);
		return;
	case CBD_DONE_REFUSED:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: refused %s", id,
			not_in_dingtalk ? "(the page was not opened in DingTalk)" : "on the phone");
		return;
	}
}

static enum MHD_Result callback(struct cbd_public *pub, struct MHD_Connection *conn)
{
	const char *state = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state");
	const char *error = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "error");
	const char *code = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "authCode");
	struct cbd_view view;
	enum cbd_outcome outcome = CBD_DONE_REFUSED;
	enum cbd_rc rc;
	enum MHD_Result ret;
	int not_in_dingtalk;

	if (code == NULL)
		code = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "code");
	if (state == NULL || !dt_is_token(state, CBD_STATE_MIN, CBD_STATE_MAX))
		return message(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_INCOMPLETE);
	if (error != NULL)
		code = NULL;
	else if (code == NULL || !code_ok(code))
		return message(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_INCOMPLETE);
	/* flow C's page (inapp.c) says so when DingTalk's JSAPI is missing */
	not_in_dingtalk = error != NULL && strcmp(error, "not_in_dingtalk") == 0;
	rc = cbd_store_callback(pub->store, state, code, pub->conf->confirm != CBD_CONFIRM_OFF,
				&outcome, &view);
	if (rc != CBD_OK)
		return callback_failed(pub, conn, rc, view.id);
	log_callback(pub, outcome, view.id, not_in_dingtalk);
	ret = to_clean_url(pub, conn, "c/", view.id, view.token,
			   not_in_dingtalk ? WHY_NOT_IN_DINGTALK : NULL);
	cbd_view_wipe(&view);
	return ret;
}

/* ---- POST /c/<id> (and /confirm, the form of earlier versions) ---- */

/* Any small number is taken: one that was not offered is simply wrong. */
static int parse_number(const char *s, unsigned *out)
{
	size_t i, n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* What the store said of a form that failed: its page. */
static enum MHD_Result form_failed(struct cbd_public *pub, struct MHD_Connection *conn,
				   enum cbd_rc rc, const char *id)
{
	switch (rc) {
	case CBD_E_TOKEN:
		dt_logf(pub->log, LOG_WARNING, "confirm id=%s with a bad token; ignored", id);
		return message(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_FORM_INVALID);
	case CBD_E_UNKNOWN:
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_ENDED:
		return ended(pub, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return internal_error(conn);
	}
}

static void log_confirmed(struct cbd_public *pub, enum cbd_outcome outcome, const char *id)
{
	if (outcome == CBD_DONE_APPROVED)
		dt_logf(pub->log, LOG_INFO, "confirmed id=%s", id);
	else
		dt_logf(pub->log, LOG_NOTICE, "refused id=%s reason=wrong_number", id);
}

/* The form of earlier versions (s, t, n), so that a page served before an
 * upgrade still answers: the result is the page itself. */
static enum MHD_Result old_confirm(struct cbd_public *pub, struct MHD_Connection *conn,
				   struct preq *req)
{
	char s[CBD_ID_LEN + 1] = "", t[CBD_TOKEN_LEN + 1] = "", n[4] = "";
	struct cbd_form_field fields[] = {
	    {.name = "s", .value = s, .size = sizeof(s), .seen = 0},
	    {.name = "t", .value = t, .size = sizeof(t), .seen = 0},
	    {.name = "n", .value = n, .size = sizeof(n), .seen = 0},
	};
	enum cbd_outcome outcome = CBD_DONE_REFUSED;
	enum cbd_rc rc;
	unsigned number;
	int ok;

	if (!cbd_content_type_is(conn, "application/x-www-form-urlencoded"))
		return message(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, CBD_PAGE_FORM_INVALID);
	ok = req->body.data != NULL &&
	     cbd_form_parse(req->body.data, req->body.len, fields, 3) == 0 &&
	     dt_is_token(s, CBD_ID_LEN, CBD_ID_LEN) &&
	     dt_is_token(t, CBD_TOKEN_LEN, CBD_TOKEN_LEN) && parse_number(n, &number) == 0;
	cbd_body_clear(&req->body);
	if (!ok) {
		OPENSSL_cleanse(t, sizeof(t));
		return message(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_FORM_INVALID);
	}
	rc = cbd_store_confirm(pub->store, s, t, number, &outcome);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc != CBD_OK)
		return form_failed(pub, conn, rc, s);
	log_confirmed(pub, outcome, s);
	return message(conn, MHD_HTTP_OK,
		       outcome == CBD_DONE_APPROVED ? CBD_PAGE_APPROVED : CBD_PAGE_WRONG_NUMBER);
}

/* "Not me": refused at once, and a line that stands out in the log (the
 * person did not start it: someone else knew the password, or started
 * the login). Names the session and where, never the token. */
static enum MHD_Result not_me(struct cbd_public *pub, struct MHD_Connection *conn, const char *id,
			      const char *token)
{
	struct cbd_view who;
	enum cbd_rc rc = cbd_store_not_me(pub->store, id, token, &who);

	if (rc == CBD_E_ENDED)
		return to_clean_url(pub, conn, "", id, NULL, NULL);
	if (rc != CBD_OK)
		return form_failed(pub, conn, rc, id);
	dt_logf(pub->log, LOG_WARNING,
		"refused id=%s reason=not_me: the DingTalk user tapped \"Not me\" "
		"(user=%s host=%s rhost=%s service=%s)",
		id, who.user, who.host, who.rhost[0] != '\0' ? who.rhost : "-", who.service);
	return to_clean_url(pub, conn, "", id, NULL, NULL);
}

/* The clean URL's forms: t (the token) and either n (the number) or
 * a=not_me. The answer is a 303 back to the page (Post/Redirect/Get), so
 * that reload and Back show where the login stands, never resend. */
static enum MHD_Result clean_post(struct cbd_public *pub, struct MHD_Connection *conn,
				  const char *id, struct preq *req)
{
	char t[CBD_TOKEN_LEN + 1] = "", n[4] = "", a[8] = "";
	struct cbd_form_field fields[] = {
	    {.name = "t", .value = t, .size = sizeof(t), .seen = 0},
	    {.name = "n", .value = n, .size = sizeof(n), .seen = 0},
	    {.name = "a", .value = a, .size = sizeof(a), .seen = 0},
	};
	enum cbd_outcome outcome = CBD_DONE_REFUSED;
	enum MHD_Result ret;
	enum cbd_rc rc;
	unsigned number = 0;
	int ok, refuse;

	if (!cbd_content_type_is(conn, "application/x-www-form-urlencoded"))
		return message(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, CBD_PAGE_FORM_INVALID);
	ok = req->body.data != NULL &&
	     cbd_form_parse(req->body.data, req->body.len, fields, 3) == 0 &&
	     dt_is_token(t, CBD_TOKEN_LEN, CBD_TOKEN_LEN);
	cbd_body_clear(&req->body);
	refuse = ok && strcmp(a, "not_me") == 0;
	ok = ok && (refuse ||
		    ((a[0] == '\0' || strcmp(a, "confirm") == 0) && parse_number(n, &number) == 0));
	if (!ok) {
		OPENSSL_cleanse(t, sizeof(t));
		return message(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_FORM_INVALID);
	}
	if (refuse) {
		ret = not_me(pub, conn, id, t);
		OPENSSL_cleanse(t, sizeof(t));
		return ret;
	}
	rc = cbd_store_confirm(pub->store, id, t, number, &outcome);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc == CBD_OK)
		log_confirmed(pub, outcome, id);
	/* Sent again after the end (Back, then the button): the page says
	 * what happened. */
	if (rc == CBD_OK || rc == CBD_E_ENDED)
		return to_clean_url(pub, conn, "", id, NULL, NULL);
	return form_failed(pub, conn, rc, id);
}

static enum MHD_Result clean_url(struct cbd_public *pub, struct MHD_Connection *conn,
				 const char *id, const char *method, struct preq *req)
{
	if (!is_get(method) && !is_post(method))
		return method_not_allowed(conn, "GET, POST");
	if (!dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN))
		return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	return is_get(method) ? clean_page(pub, conn, id) : clean_post(pub, conn, id, req);
}

/* ---- routing ---- */

static enum MHD_Result route(struct cbd_public *pub, struct MHD_Connection *conn, const char *url,
			     const char *method, struct preq *req)
{
	if (strcmp(url, "/healthz") == 0)
		return is_get(method) || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
			   ? healthz(pub, conn)
			   : method_not_allowed(conn, "GET, HEAD");
	if (strncmp(url, LINK_PREFIX, strlen(LINK_PREFIX)) == 0)
		return is_get(method) ? link_page(pub, conn, url + strlen(LINK_PREFIX))
				      : method_not_allowed(conn, "GET");
	if (strncmp(url, PAGE_PREFIX, strlen(PAGE_PREFIX)) == 0)
		return clean_url(pub, conn, url + strlen(PAGE_PREFIX), method, req);
	if (strcmp(url, CBD_JSAPI_PATH) == 0)
		return is_get(method) ? cbd_jsapi_send(conn) : method_not_allowed(conn, "GET");
	if (strcmp(url, "/callback") == 0)
		return is_get(method) ? callback(pub, conn) : method_not_allowed(conn, "GET");
	if (strcmp(url, "/confirm") == 0)
		return is_post(method) ? old_confirm(pub, conn, req)
				       : method_not_allowed(conn, "POST");
	return message(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_NOT_FOUND);
}

static enum MHD_Result begin(struct MHD_Connection *conn, void **con_cls)
{
	struct preq *req;

	if (cbd_body_too_long(conn, FORM_MAX))
		return message(conn, MHD_HTTP_CONTENT_TOO_LARGE, CBD_PAGE_TOO_LARGE);
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return MHD_NO;
	req->body.limit = FORM_MAX;
	*con_cls = req;
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct cbd_public *pub = cls;
	struct preq *req = *con_cls;

	(void)version;
	if (req == NULL)
		return begin(conn, con_cls);
	if (*upload_size != 0) {
		if (cbd_body_append(&req->body, upload, *upload_size) != 0)
			return MHD_NO; /* over 1 KiB without a Content-Length */
		*upload_size = 0;
		return MHD_YES;
	}
	return route(pub, conn, url, method, req);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct preq *req = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (req == NULL)
		return;
	cbd_body_clear(&req->body);
	free(req);
	*con_cls = NULL;
}

static int start_server(struct cbd_public *pub, struct dt_err *err)
{
	struct cbd_mhd_params p = {
	    .listen_fd = pub->fd,
	    .extra_flags = 0,
	    .connection_limit = pub->conf->max_connections,
	    .per_ip_limit = pub->conf->max_connections_per_ip,
	    .timeout_s = pub->conf->request_timeout,
	    .deadlines = NULL,
	    .memory_limit = 32 * 1024,
	    .handler = handle,
	    .completed = completed,
	    .cls = pub,
	    .log = pub->log,
	    .name = "public",
	};

	pub->deadlines = cbd_deadlines_new("public", pub->conf->request_timeout,
					   pub->conf->max_connections, pub->log, err);
	if (pub->deadlines == NULL)
		return -1;
	p.deadlines = pub->deadlines;
	pub->mhd = cbd_mhd_start(&p, err);
	if (pub->mhd != NULL)
		return 0;
	cbd_deadlines_free(pub->deadlines);
	pub->deadlines = NULL;
	return -1;
}

/* The path part of public_url ("" when it has none): where a proxy
 * serves the helper, and so the cookie's Path. */
static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;

	return slash != NULL ? slash : "";
}

/* The cookie lives as long as a login may (session_ttl) and its outcome
 * is kept (linger): never longer than the page can use it. Secure when
 * phones reach the helper over https. */
static int make_redirect(struct cbd_public *pub, struct dt_err *err)
{
	const struct cbd_conf *c = pub->conf;
	const char *path = url_path(c->public_url);

	pub->callback_url = dt_asprintf("%s/callback", c->public_url);
	if (pub->callback_url != NULL)
		pub->redirect_enc = dt_urlencode(pub->callback_url);
	/* A ';' would end the attribute: such a path gets the whole site. */
	if (strchr(path, ';') != NULL)
		path = "";
	pub->cookie_attrs = dt_asprintf(
	    "; Path=%s/; Max-Age=%u; HttpOnly; SameSite=Lax%s", path, c->session_ttl + c->linger,
	    strncmp(c->public_url, "https://", 8) == 0 ? "; Secure" : "");
	pub->jsapi_url = dt_asprintf("%s" CBD_JSAPI_PATH, c->public_url);
	if (pub->redirect_enc == NULL || pub->cookie_attrs == NULL || pub->jsapi_url == NULL)
		return dt_err_oom(err);
	return 0;
}

struct cbd_public *cbd_public_start(const struct cbd_conf *conf, struct cbd_store *store,
				    const struct dt_log *log, struct dt_err *err)
{
	struct cbd_public *pub = calloc(1, sizeof(*pub));

	if (pub == NULL) {
		dt_err_oom(err);
		return NULL;
	}
	pub->conf = conf;
	pub->store = store;
	pub->log = log;
	pub->fd = -1;
	if (make_redirect(pub, err) != 0 || (pub->fd = cbd_listen_tcp(conf->listen, err)) < 0 ||
	    start_server(pub, err) != 0) {
		if (pub->fd >= 0)
			close(pub->fd);
		free(pub->callback_url);
		free(pub->redirect_enc);
		free(pub->jsapi_url);
		free(pub->cookie_attrs);
		free(pub);
		return NULL;
	}
	return pub;
}

void cbd_public_stop(struct cbd_public *pub)
{
	if (pub == NULL)
		return;
	MHD_stop_daemon(pub->mhd); /* closes the listening socket too */
	cbd_deadlines_free(pub->deadlines);
	free(pub->callback_url);
	free(pub->redirect_enc);
	free(pub->jsapi_url);
	free(pub->cookie_attrs);
	free(pub);
}
