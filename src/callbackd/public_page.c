/* The clean URL, <prefix>/c/<id>: the confirmation page for the browser
 * that holds the login's cookie, as often as it is loaded; its two forms
 * (the number, "Not me"), each answered with a 303 back to it; and what
 * happened once the login ended. Also POST /confirm, the form of earlier
 * versions. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "form.h"
#include "public_flow.h"
#include "base/util.h"

/* What ended the login, in the page that says so. */
static enum cbd_page outcome_page(const struct cbd_page_state *ps, const char *why)
{
	if (ps->status == CBD_APPROVED)
		return CBD_PAGE_APPROVED;
	if (ps->status == CBD_EXPIRED)
		return CBD_PAGE_EXPIRED;
	switch (ps->reason) {
	case CBD_REASON_DENIED:
		return why != NULL && strcmp(why, CBD_WHY_NOT_IN_DINGTALK) == 0
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

static enum MHD_Result show_form(const struct cbd_flow *f, struct MHD_Connection *conn,
				 struct cbd_page_state *ps, const char *proof)
{
	struct cbd_confirm_page page = {
	    .view = &ps->view,
	    .lang = cbd_flow_lang(conn),
	    .mode = f->conf->confirm == CBD_CONFIRM_PICK ? CBD_CONFIRM_PICK : CBD_CONFIRM_TYPE,
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
static enum MHD_Result clean_page(const struct cbd_flow *f, struct MHD_Connection *conn,
				  const char *id)
{
	const char *proof = cbd_flow_proof(conn, id);
	const char *why = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "why");
	struct cbd_page_state ps;

	if (proof == NULL)
		return cbd_reply_page(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_OTHER_BROWSER);
	switch (cbd_store_page(f->store, id, proof, &ps)) {
	case CBD_OK:
		break;
	case CBD_E_UNKNOWN:
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_TOKEN:
		return cbd_reply_page(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_OTHER_BROWSER);
	case CBD_E_DOWN:
		return cbd_reply_unavailable(conn);
	default:
		return cbd_reply_500(conn);
	}
	if (ps.status == CBD_PENDING && ps.awaiting_number)
		return show_form(f, conn, &ps, proof);
	if (ps.status == CBD_PENDING)
		return cbd_reply_page(conn, MHD_HTTP_CONFLICT, CBD_PAGE_ANSWERED);
	return cbd_reply_page(conn, MHD_HTTP_OK, outcome_page(&ps, why));
}

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
static enum MHD_Result form_failed(const struct cbd_flow *f, struct MHD_Connection *conn,
				   enum cbd_rc rc, const char *id)
{
	switch (rc) {
	case CBD_E_TOKEN:
		dt_logf(f->log, LOG_WARNING, "confirm id=%s with a bad token; ignored", id);
		return cbd_reply_page(conn, MHD_HTTP_FORBIDDEN, CBD_PAGE_FORM_INVALID);
	case CBD_E_UNKNOWN:
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	case CBD_E_ENDED:
		return cbd_reply_ended(f, conn, id, CBD_PAGE_ENDED);
	case CBD_E_DOWN:
		return cbd_reply_unavailable(conn);
	default:
		return cbd_reply_500(conn);
	}
}

static void log_confirmed(const struct cbd_flow *f, enum cbd_outcome outcome, const char *id)
{
	if (outcome == CBD_DONE_APPROVED)
		dt_logf(f->log, LOG_INFO, "confirmed id=%s", id);
	else
		dt_logf(f->log, LOG_NOTICE, "refused id=%s reason=wrong_number", id);
}

/* The form of earlier versions (s, t, n), so that a page served before an
 * upgrade still answers: the result is the page itself. */
enum MHD_Result cbd_flow_old_confirm(const struct cbd_flow *f, struct MHD_Connection *conn,
				     struct cbd_body *body)
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
		return cbd_reply_page(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, CBD_PAGE_FORM_INVALID);
	ok = body->data != NULL && cbd_form_parse(body->data, body->len, fields, 3) == 0 &&
	     dt_is_token(s, CBD_ID_LEN, CBD_ID_LEN) &&
	     dt_is_token(t, CBD_TOKEN_LEN, CBD_TOKEN_LEN) && parse_number(n, &number) == 0;
	cbd_body_clear(body);
	if (!ok) {
		OPENSSL_cleanse(t, sizeof(t));
		return cbd_reply_page(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_FORM_INVALID);
	}
	rc = cbd_store_confirm(f->store, s, t, number, &outcome);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc != CBD_OK)
		return form_failed(f, conn, rc, s);
	log_confirmed(f, outcome, s);
	return cbd_reply_page(conn, MHD_HTTP_OK,
			      outcome == CBD_DONE_APPROVED ? CBD_PAGE_APPROVED
							   : CBD_PAGE_WRONG_NUMBER);
}

/* "Not me": refused at once, and a line that stands out in the log (the
 * person did not start it: someone else knew the password, or started
 * the login). Names the session and where, never the token. */
static enum MHD_Result not_me(const struct cbd_flow *f, struct MHD_Connection *conn, const char *id,
			      const char *token)
{
	struct cbd_view who;
	enum cbd_rc rc = cbd_store_not_me(f->store, id, token, &who);

	if (rc == CBD_E_ENDED)
		return cbd_reply_to_page(f, conn, "", id, NULL, NULL);
	if (rc != CBD_OK)
		return form_failed(f, conn, rc, id);
	dt_logf(f->log, LOG_WARNING,
		"refused id=%s reason=not_me: the DingTalk user tapped \"Not me\" "
		"(user=%s host=%s rhost=%s service=%s)",
		id, who.user, who.host, who.rhost[0] != '\0' ? who.rhost : "-", who.service);
	return cbd_reply_to_page(f, conn, "", id, NULL, NULL);
}

/* The clean URL's forms: t (the token) and either n (the number) or
 * a=not_me. The answer is a 303 back to the page (Post/Redirect/Get), so
 * that reload and Back show where the login stands, never resend. */
static enum MHD_Result clean_post(const struct cbd_flow *f, struct MHD_Connection *conn,
				  const char *id, struct cbd_body *body)
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
		return cbd_reply_page(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, CBD_PAGE_FORM_INVALID);
	ok = body->data != NULL && cbd_form_parse(body->data, body->len, fields, 3) == 0 &&
	     dt_is_token(t, CBD_TOKEN_LEN, CBD_TOKEN_LEN);
	cbd_body_clear(body);
	refuse = ok && strcmp(a, "not_me") == 0;
	ok = ok && (refuse ||
		    ((a[0] == '\0' || strcmp(a, "confirm") == 0) && parse_number(n, &number) == 0));
	if (!ok) {
		OPENSSL_cleanse(t, sizeof(t));
		return cbd_reply_page(conn, MHD_HTTP_BAD_REQUEST, CBD_PAGE_FORM_INVALID);
	}
	if (refuse) {
		ret = not_me(f, conn, id, t);
		OPENSSL_cleanse(t, sizeof(t));
		return ret;
	}
	rc = cbd_store_confirm(f->store, id, t, number, &outcome);
	OPENSSL_cleanse(t, sizeof(t));
	if (rc == CBD_OK)
		log_confirmed(f, outcome, id);
	/* Sent again after the end (Back, then the button): the page says
	 * what happened. */
	if (rc == CBD_OK || rc == CBD_E_ENDED)
		return cbd_reply_to_page(f, conn, "", id, NULL, NULL);
	return form_failed(f, conn, rc, id);
}

enum MHD_Result cbd_flow_page(const struct cbd_flow *f, struct MHD_Connection *conn, const char *id,
			      const char *method, struct cbd_body *body)
{
	int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;

	if (!get && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return cbd_reply_405(conn, "GET, POST");
	if (!dt_is_token(id, CBD_ID_LEN, CBD_ID_LEN))
		return cbd_reply_page(conn, MHD_HTTP_NOT_FOUND, CBD_PAGE_UNKNOWN_LINK);
	return get ? clean_page(f, conn, id) : clean_post(f, conn, id, body);
}
