/* The phone's steps on the public listener, as public.c's router calls
 * them: the short link and the callback (public_callback.c), the clean
 * URL's page and forms (public_page.c), and the answers they share
 * (public_reply.c). Every function queues one answer on `conn`. */
#ifndef CBD_PUBLIC_FLOW_H
#define CBD_PUBLIC_FLOW_H

#include <microhttpd.h>

#include "base/log.h"
#include "conf.h"
#include "httpd.h"
#include "pages.h"
#include "store.h"

/* The clean URL's cookie: this, then the session id (one per login). */
#define CBD_COOKIE_NAME "dt_"
/* The clean URL's ?why= when a refusal came from flow C's page opened
 * outside DingTalk (the store records both as "denied"). */
#define CBD_WHY_NOT_IN_DINGTALK "not-in-dingtalk"

struct cbd_flow {
	const struct cbd_conf *conf;
	struct cbd_store *store;
	const struct dt_log *log;
	const char *callback_url; /* {public_url}/callback */
	const char *redirect_enc; /* the same, urlencoded */
	const char *cookie_attrs; /* "; Path=<prefix>/; Max-Age=...; HttpOnly; ..." */
	const char *jsapi_url;	  /* {public_url} CBD_JSAPI_PATH: flow C's pinned JSAPI */
};

/* public_callback.c */
enum MHD_Result cbd_flow_link(const struct cbd_flow *f, struct MHD_Connection *conn,
			      const char *id);
enum MHD_Result cbd_flow_callback(const struct cbd_flow *f, struct MHD_Connection *conn);

/* public_page.c: GET or POST /c/<id> (another method: 405); POST
 * /confirm with s, t and n. The body is cleared (wiped) once read. */
enum MHD_Result cbd_flow_page(const struct cbd_flow *f, struct MHD_Connection *conn, const char *id,
			      const char *method, struct cbd_body *body);
enum MHD_Result cbd_flow_old_confirm(const struct cbd_flow *f, struct MHD_Connection *conn,
				     struct cbd_body *body);

/* public_reply.c */
/* The request's language (its Accept-Language). */
enum cbd_lang cbd_flow_lang(struct MHD_Connection *conn);
/* The browser's proof for `id` (its cookie, a well-formed token), or NULL. */
const char *cbd_flow_proof(struct MHD_Connection *conn, const char *id);
enum MHD_Result cbd_reply_page(struct MHD_Connection *conn, unsigned status, enum cbd_page page);
enum MHD_Result cbd_reply_405(struct MHD_Connection *conn, const char *allow);
enum MHD_Result cbd_reply_500(struct MHD_Connection *conn);
/* 503: the store is down, the person is asked to reload. */
enum MHD_Result cbd_reply_unavailable(struct MHD_Connection *conn);
/* 410 for a login that ended, to someone without the browser's proof: a
 * timeout is said as such, anything else as `otherwise`. */
enum MHD_Result cbd_reply_ended(const struct cbd_flow *f, struct MHD_Connection *conn,
				const char *id, enum cbd_page otherwise);
/* A 303 to the clean URL, `to` ("c/" from /callback, "" from /c/<id>)
 * followed by the id and, unless NULL, ?why=; with `token`, the cookie. */
enum MHD_Result cbd_reply_to_page(const struct cbd_flow *f, struct MHD_Connection *conn,
				  const char *to, const char *id, const char *token,
				  const char *why);

#endif
