/* The phone's way in: the short link (to DingTalk, or flow C's page) and
 * DingTalk's redirect back, which is taken once and answered with a 303
 * to the clean URL (public_page.c). */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "inapp.h"
#include "proto/control_api.h"
#include "public_flow.h"
#include "base/util.h"

static enum MHD_Result redirect(const struct cbd_flow *f, struct MHD_Connection *conn,
				const char *id, const char *url)
{
	const char *sep = strchr(url, '?') != NULL ? "&" : "?";
	struct cbd_inapp inapp;
	char *location;
	enum MHD_Result ret;

	if (cbd_inapp_parse(url, &inapp) == 0) {
		struct cbd_inapp_page page = {
		    .in = &inapp,
		    .callback_url = f->callback_url,
		    .jsapi_url = f->jsapi_url,
		    .accept_language =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"),
		};

		dt_logf(f->log, LOG_INFO, "link followed id=%s (in-DingTalk page)", id);
		ret = cbd_inapp_send(conn, &page);
		OPENSSL_cleanse(&inapp, sizeof(inapp));
		return ret;
	}
	location = dt_asprintf("%s%sredirect_uri=%s", url, sep, f->redirect_enc);
	if (location == NULL)
		return cbd_reply_500(conn);
	dt_logf(f->log, LOG_INFO, "link followed id=%s", id);
	ret = cbd_redirect_send(conn, location);
	free(location);
	return ret;
}

enum MHD_Result cbd_flow_link(const struct cbd_flow *f, struct MHD_Connection *conn, const char *id)
{
	char *url = NULL;
	enum MHD_Result ret;

	if (!dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN))
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	switch (cbd_store_follow_link(f->store, id, &url)) {
	case CBD_OK:
		ret = redirect(f, conn, id, url);
		free(url);
		return ret;
	case CBD_E_UNKNOWN:
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_USED:
		dt_logf(f->log, LOG_NOTICE, "link id=%s followed again; refused", id);
		return cbd_reply_page(conn, MHD_HTTP_GONE, CBD_PAGE_LINK_USED);
	case CBD_E_ENDED:
		return cbd_reply_ended(f, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return cbd_reply_unavailable(conn);
	default:
		return cbd_reply_500(conn);
	}
}

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
static enum MHD_Result callback_failed(const struct cbd_flow *f, struct MHD_Connection *conn,
				       enum cbd_rc rc, const char *id)
{
	int known = dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN);

	if ((rc == CBD_E_USED || rc == CBD_E_ENDED) && known && cbd_flow_proof(conn, id) != NULL)
		return cbd_reply_to_page(f, conn, "c/", id, NULL, NULL);
	switch (rc) {
	case CBD_E_UNKNOWN:
		dt_logf(f->log, LOG_NOTICE, "callback with an unknown state");
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_USED:
		dt_logf(f->log, LOG_NOTICE, "callback id=%s repeated; refused", id);
		return cbd_reply_page(conn, MHD_HTTP_GONE, CBD_PAGE_ANSWERED);
	case CBD_E_ENDED:
		return cbd_reply_ended(f, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return cbd_reply_unavailable(conn);
	default:
		return cbd_reply_500(conn);
	}
}

static void log_callback(const struct cbd_flow *f, enum cbd_outcome outcome, const char *id,
			 int not_in_dingtalk)
{
	switch (outcome) {
	case CBD_NEED_CONFIRM:
		dt_logf(f->log, LOG_INFO, "callback id=%s: waiting for the number", id);
		return;
	case CBD_DONE_APPROVED:
		dt_logf(f->log, LOG_INFO, "callback id=%s: approved", id);
		return;
	case CBD_DONE_REFUSED:
		dt_logf(f->log, LOG_INFO, "callback id=%s: refused %s", id,
			not_in_dingtalk ? "(the page was not opened in DingTalk)" : "on the phone");
		return;
	}
}

enum MHD_Result cbd_flow_callback(const struct cbd_flow *f, struct MHD_Connection *conn)
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
		return cbd_reply_page(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_INCOMPLETE);
	if (error != NULL)
		code = NULL;
	else if (code == NULL || !code_ok(code))
		return cbd_reply_page(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_INCOMPLETE);
	/* flow C's page (inapp.c) says so when DingTalk's JSAPI is missing */
	not_in_dingtalk = error != NULL && strcmp(error, "not_in_dingtalk") == 0;
	rc = cbd_store_callback(f->store, state, code, f->conf->confirm != CBD_CONFIRM_OFF,
				&outcome, &view);
	if (rc != CBD_OK)
		return callback_failed(f, conn, rc, view.id);
	log_callback(f, outcome, view.id, not_in_dingtalk);
	ret = cbd_reply_to_page(f, conn, "c/", view.id, view.token,
				not_in_dingtalk ? CBD_WHY_NOT_IN_DINGTALK : NULL);
	cbd_view_wipe(&view);
	return ret;
}
