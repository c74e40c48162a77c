/* The public listener: what a phone (through a reverse proxy) reaches.
 * Everything arriving here is hostile until checked. This file owns the
 * server, the routing and /healthz; the phone's steps are in
 * public_callback.c and public_page.c (public_flow.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "jsapi.h"
#include "net.h"
#include "public.h"
#include "public_flow.h"
#include "base/util.h"

#define FORM_MAX    1024
#define LINK_PREFIX "/l/"
#define PAGE_PREFIX "/c/"

struct cbd_public {
	struct MHD_Daemon *mhd;
	struct cbd_deadlines *deadlines; /* request_timeout, against slowloris */
	int fd;
	const struct cbd_conf *conf;
	const struct dt_log *log;
	struct cbd_flow flow; /* what the phone's steps share */
	char *callback_url;   /* {public_url}/callback */
	char *redirect_enc;   /* the same, urlencoded */
	char *cookie_attrs;   /* "; Path=<prefix>/; Max-Age=...; HttpOnly; ..." */
	char *jsapi_url;      /* {public_url} CBD_JSAPI_PATH, for flow C's page */
};

struct preq {
	struct cbd_body body;
};

static int is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0;
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
	int up = cbd_store_health(pub->flow.store, why, sizeof(why)) == 0;

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

/* ---- routing ---- */

static enum MHD_Result route(struct cbd_public *pub, struct MHD_Connection *conn, const char *url,
			     const char *method, struct preq *req)
{
	if (strcmp(url, "/healthz") == 0)
		return is_get(method) || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0
			   ? healthz(pub, conn)
			   : cbd_reply_405(conn, "GET, HEAD");
	if (strncmp(url, LINK_PREFIX, strlen(LINK_PREFIX)) == 0)
		return is_get(method) ? cbd_flow_link(&pub->flow, conn, url + strlen(LINK_PREFIX))
				      : cbd_reply_405(conn, "GET");
	if (strncmp(url, PAGE_PREFIX, strlen(PAGE_PREFIX)) == 0)
		return cbd_flow_page(&pub->flow, conn, url + strlen(PAGE_PREFIX), method,
				     &req->body);
	if (strcmp(url, CBD_JSAPI_PATH) == 0)
		return is_get(method) ? cbd_jsapi_send(conn) : cbd_reply_405(conn, "GET");
	if (strcmp(url, "/callback") == 0)
		return is_get(method) ? cbd_flow_callback(&pub->flow, conn)
				      : cbd_reply_405(conn, "GET");
	if (strcmp(url, "/confirm") == 0)
		return strcmp(method, MHD_HTTP_METHOD_POST) == 0
			   ? cbd_flow_old_confirm(&pub->flow, conn, &req->body)
			   : cbd_reply_405(conn, "POST");
	return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_NOT_FOUND);
}

static enum MHD_Result begin(struct MHD_Connection *conn, void **con_cls)
{
	struct preq *req;

	if (cbd_body_too_long(conn, FORM_MAX))
		return cbd_reply_page(conn, MHD_HTTP_CONTENT_TOO_LARGE, CBD_PAGE_TOO_LARGE);
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
	pub->flow.callback_url = pub->callback_url;
	pub->flow.jsapi_url = pub->jsapi_url;
	pub->flow.redirect_enc = pub->redirect_enc;
	pub->flow.cookie_attrs = pub->cookie_attrs;
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
	pub->log = log;
	pub->flow.conf = conf;
	pub->flow.store = store;
	pub->flow.log = log;
	pub->fd = -1;
	if (make_redirect(pub, err) != 0 || (pub->fd = cbd_listen_tcp(conf->listen, err)) < 0 ||
	    start_server(pub, err) != 0) {
		if (pub->fd >= 0)
			close(pub->fd);
		free(pub->callback_url);
		free(pub->redirect_enc);
		free(pub->cookie_attrs);
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
	free(pub->cookie_attrs);
	free(pub->jsapi_url);
	free(pub);
}
