/* The public listener: what a phone (through a reverse proxy) reaches.
 * Everything arriving here is hostile until checked. */
#include <stdlib.h>
#include <string.h>
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
};

struct preq {
	struct cbd_body body;
};

static int is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0;
}

static enum MHD_Result invalid(struct MHD_Connection *conn, unsigned status, const char *why)
{
	return cbd_page_send(conn, status, cbd_page_invalid(why));
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *conn)
{
	return invalid(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "This address does not accept that.");
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

/* The store is down: the phone is told to try again, nothing more. */
static enum MHD_Result unavailable(struct MHD_Connection *conn)
{
	return cbd_page_send(conn, MHD_HTTP_SERVICE_UNAVAILABLE, cbd_page_unavailable());
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
		return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
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
		return invalid(conn, MHD_HTTP_NOT_FOUND, "This link is unknown.");
	switch (cbd_store_follow_link(pub->store, id, &url)) {
	case CBD_OK:
		ret = redirect(pub, conn, id, url);
		free(url);
		return ret;
	case CBD_E_UNKNOWN:
		return invalid(conn, MHD_HTTP_NOT_FOUND,
			       "This link is unknown or has expired. Start a new login in "
			       "your terminal.");
	case CBD_E_USED:
		dt_logf(pub->log, LOG_NOTICE, "link id=%s followed again; refused", id);
		return invalid(conn, MHD_HTTP_GONE,
			       "This link was already used. Start a new login in your terminal.");
	case CBD_E_ENDED:
		return invalid(conn, MHD_HTTP_GONE, "This login has already ended.");
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
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

static enum MHD_Result callback_failed(struct cbd_public *pub, struct MHD_Connection *conn,
				       enum cbd_rc rc, const char *id)
{
	switch (rc) {
	case CBD_E_UNKNOWN:
		dt_logf(pub->log, LOG_NOTICE, "callback with an unknown state");
		return invalid(conn, MHD_HTTP_NOT_FOUND,
			       "This login is unknown or has expired. Start a new login in "
			       "your terminal.");
	case CBD_E_USED:
		dt_logf(pub->log, LOG_NOTICE, "callback id=%s repeated; refused", id);
		return invalid(conn, MHD_HTTP_GONE, "This login was already answered.");
	case CBD_E_ENDED:
		return invalid(conn, MHD_HTTP_GONE, "This login has already ended.");
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
}

static enum MHD_Result callback_outcome(struct cbd_public *pub, struct MHD_Connection *conn,
					enum cbd_outcome outcome, struct cbd_view *view)
{
	enum MHD_Result ret;

	switch (outcome) {
	case CBD_NEED_CONFIRM:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: waiting for the number", view->id);
		ret = cbd_page_send(conn, MHD_HTTP_OK, cbd_page_confirm(view));
		cbd_view_wipe(view);
		return ret;
	case CBD_DONE_APPROVED:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: approved", view->id);
		return cbd_page_send(conn, MHD_HTTP_OK, cbd_page_approved());
	case CBD_DONE_REFUSED:
		dt_logf(pub->log, LOG_INFO, "callback id=%s: refused on the phone", view->id);
		return cbd_page_send(conn, MHD_HTTP_OK,
				     cbd_page_refused("You refused this login in DingTalk."));
	}
	return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
}

static enum MHD_Result callback(struct cbd_public *pub, struct MHD_Connection *conn)
{
	const char *state = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state");
	const char *error = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "error");
	const char *code = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "authCode");
	struct cbd_view view;
	enum cbd_outcome outcome = CBD_DONE_REFUSED;
	enum cbd_rc rc;

	if (code == NULL)
		code = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "code");
	if (state == NULL || !dt_is_token(state, CBD_STATE_MIN, CBD_STATE_MAX))
		return invalid(conn, MHD_HTTP_BAD_REQUEST, "The login answer is incomplete.");
	if (error != NULL)
		code = NULL;
	else if (code == NULL || !code_ok(code))
		return invalid(conn, MHD_HTTP_BAD_REQUEST, "The login answer is incomplete.");
	rc = cbd_store_callback(pub->store, state, code, pub->conf->confirm, &outcome, &view);
	if (rc != CBD_OK)
		return callback_failed(pub, conn, rc, view.id);
	return callback_outcome(pub, conn, outcome, &view);
}

/* ---- POST /confirm ---- */

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

static enum MHD_Result confirm_result(struct cbd_public *pub, struct MHD_Connection *conn,
				      enum cbd_rc rc, enum cbd_outcome outcome, const char *id)
{
	switch (rc) {
	case CBD_OK:
		break;
	case CBD_E_TOKEN:
		dt_logf(pub->log, LOG_WARNING, "confirm id=%s with a bad token; ignored", id);
		return invalid(conn, MHD_HTTP_FORBIDDEN, "This form is not valid.");
	case CBD_E_UNKNOWN:
		return invalid(conn, MHD_HTTP_NOT_FOUND, "This login is unknown or has expired.");
	case CBD_E_ENDED:
		return invalid(conn, MHD_HTTP_GONE, "This login has already ended.");
	case CBD_E_DOWN:
		return unavailable(conn);
	default:
		return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
	}
	if (outcome == CBD_DONE_APPROVED) {
		dt_logf(pub->log, LOG_INFO, "confirmed id=%s", id);
		return cbd_page_send(conn, MHD_HTTP_OK, cbd_page_approved());
	}
	dt_logf(pub->log, LOG_NOTICE, "refused id=%s reason=wrong_number", id);
	return cbd_page_send(conn, MHD_HTTP_OK,
			     cbd_page_refused("That was not the number shown in your terminal, "
					      "so the login was refused. Start again in your "
					      "terminal."));
}

static enum MHD_Result confirm(struct cbd_public *pub, struct MHD_Connection *conn,
			       struct preq *req)
{
	char s[CBD_ID_LEN + 1] = "", t[CBD_TOKEN_LEN + 1] = "", n[4] = "";
	struct cbd_form_field fields[] = {
	    {"s", s, sizeof(s), 0},
	    {"t", t, sizeof(t), 0},
	    {"n", n, sizeof(n), 0},
	};
	enum cbd_outcome outcome = CBD_DONE_REFUSED;
	enum cbd_rc rc;
	unsigned number;
	int ok;

	if (!cbd_content_type_is(conn, "application/x-www-form-urlencoded"))
		return invalid(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "This form is not valid.");
	ok = req->body.data != NULL &&
	     cbd_form_parse(req->body.data, req->body.len, fields, 3) == 0 &&
	     dt_is_token(s, CBD_ID_LEN, CBD_ID_LEN) &&
	     dt_is_token(t, CBD_TOKEN_LEN, CBD_TOKEN_LEN) && parse_number(n, &number) == 0;
	cbd_body_clear(&req->body);
	if (!ok) {
		OPENSSL_cleanse(t, sizeof(t));
		return invalid(conn, MHD_HTTP_BAD_REQUEST, "This form is not valid.");
	}
	rc = cbd_store_confirm(pub->store, s, t, number, &outcome);
	OPENSSL_cleanse(t, sizeof(t));
	return confirm_result(pub, conn, rc, outcome, s);
}

/* ---- routing ---- */

static enum MHD_Result route(struct cbd_public *pub, struct MHD_Connection *conn, const char *url,
			     const char *method, struct preq *req)
{
	if (strcmp(url, "/healthz") == 0)
		return is_get(method) || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
			   ? healthz(pub, conn)
			   : method_not_allowed(conn);
	if (strncmp(url, LINK_PREFIX, strlen(LINK_PREFIX)) == 0)
		return is_get(method) ? link_page(pub, conn, url + strlen(LINK_PREFIX))
				      : method_not_allowed(conn);
	if (strcmp(url, CBD_JSAPI_PATH) == 0)
		return is_get(method) ? cbd_jsapi_send(conn) : method_not_allowed(conn);
	if (strcmp(url, "/callback") == 0)
		return is_get(method) ? callback(pub, conn) : method_not_allowed(conn);
	if (strcmp(url, "/confirm") == 0)
		return strcmp(method, MHD_HTTP_METHOD_POST) == 0 ? confirm(pub, conn, req)
								 : method_not_allowed(conn);
	return cbd_page_send(conn, MHD_HTTP_NOT_FOUND, cbd_page_not_found());
}

static enum MHD_Result begin(struct MHD_Connection *conn, void **con_cls)
{
	struct preq *req;

	if (cbd_body_too_long(conn, FORM_MAX))
		return invalid(conn, MHD_HTTP_CONTENT_TOO_LARGE, "The request is too large.");
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

static int make_redirect(struct cbd_public *pub, struct dt_err *err)
{
	pub->callback_url = dt_asprintf("%s/callback", pub->conf->public_url);
	if (pub->callback_url != NULL)
		pub->redirect_enc = dt_urlencode(pub->callback_url);
	pub->jsapi_url = dt_asprintf("%s" CBD_JSAPI_PATH, pub->conf->public_url);
	if (pub->redirect_enc == NULL || pub->jsapi_url == NULL)
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
	free(pub);
}
