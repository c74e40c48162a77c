/* The public listener's answers shared by its routes (public_flow.h):
 * a page in the person's language, the errors, and the redirect to the
 * clean URL with the browser's cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public_flow.h"
#include "base/util.h"

enum cbd_lang cbd_flow_lang(struct MHD_Connection *conn)
{
	return cbd_lang_pick(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
}

enum MHD_Result cbd_reply_page(struct MHD_Connection *conn, unsigned status, enum cbd_page page)
{
	return cbd_page_send(conn, status, cbd_page_message(page, cbd_flow_lang(conn)));
}

enum MHD_Result cbd_reply_405(struct MHD_Connection *conn, const char *allow)
{
	return cbd_page_send_405(conn, cbd_page_message(CBD_PAGE_NOT_ALLOWED, cbd_flow_lang(conn)),
				 allow);
}

enum MHD_Result cbd_reply_500(struct MHD_Connection *conn)
{
	return cbd_page_send(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
}

/* The store is down: nothing was decided, the phone is told to reload.
 * The page's own URL is safe to load again: a callback is single-use
 * when it is recorded, and nothing was; DingTalk's code is spent only at
 * the module's exchange. */
enum MHD_Result cbd_reply_unavailable(struct MHD_Connection *conn)
{
	return cbd_reply_page(conn, MHD_HTTP_SERVICE_UNAVAILABLE, CBD_PAGE_UNAVAILABLE);
}

/* A login that ended, for someone without the browser's proof (the link,
 * a repeated callback, the old form): a timeout is said as such, anything
 * else only as "ended". */
enum MHD_Result cbd_reply_ended(const struct cbd_flow *f, struct MHD_Connection *conn,
				const char *id, enum cbd_page otherwise)
{
	struct cbd_page_state ps;

	if (cbd_store_page(f->store, id, NULL, &ps) == CBD_OK && ps.status == CBD_EXPIRED)
		return cbd_reply_page(conn, MHD_HTTP_GONE, CBD_PAGE_EXPIRED);
	return cbd_reply_page(conn, MHD_HTTP_GONE, otherwise);
}

/* The browser's proof for `id` (its cookie), or NULL. */
const char *cbd_flow_proof(struct MHD_Connection *conn, const char *id)
{
	char name[sizeof(CBD_COOKIE_NAME) + CBD_ID_LEN];
	const char *v;

	snprintf(name, sizeof(name), "%s%s", CBD_COOKIE_NAME, id);
	v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, name);
	return v != NULL && dt_is_token(v, CBD_TOKEN_LEN, CBD_TOKEN_LEN) ? v : NULL;
}

/* A 303 to the clean URL, relative to where the browser is (`to`: "c/"
 * from /callback, "" from /c/<id> itself), so that a prefix a proxy
 * strips stays in the browser's address. With `token`, the cookie that
 * proves it is the same browser. */
enum MHD_Result cbd_reply_to_page(const struct cbd_flow *f, struct MHD_Connection *conn,
				  const char *to, const char *id, const char *token,
				  const char *why)
{
	char *location, *cookie = NULL;
	enum MHD_Result ret;

	location = dt_asprintf("%s%s%s%s", to, id, why != NULL ? "?why=" : "", why ? why : "");
	if (token != NULL)
		cookie = dt_asprintf("%s%s=%s%s", CBD_COOKIE_NAME, id, token, f->cookie_attrs);
	if (location == NULL || (token != NULL && cookie == NULL)) {
		free(location);
		dt_free_secret(cookie);
		return cbd_reply_500(conn);
	}
	ret = cbd_redirect_see_other(conn, location, cookie);
	free(location);
	dt_free_secret(cookie);
	return ret;
}
