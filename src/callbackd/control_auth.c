/* Who may talk to the control API: see control_auth.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/peer.h"
#include "control_auth.h"
#include "net.h"
#include "proto/control_api.h"
#include "proto/reqsign.h"

int cbd_auth_unix_peer(const struct dt_log *log, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	uid_t uid;
	pid_t pid;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL || cbd_peer_cred(ci->connect_fd, &uid, &pid) != 0) {
		dt_logf(log, LOG_WARNING, "control: cannot identify a client; refused");
		return 0;
	}
	if (dt_peer_trusted(uid))
		return 1;
	dt_logf(log, LOG_WARNING,
		"control: refused a client with uid %u (pid %d): only root may use the "
		"control socket",
		(unsigned)uid, (int)pid);
	return 0;
}

/* ---- the signed check ---- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* The store's nonce_once in verify.h's terms. */
static int nonce_once(void *ctx, const char *key_id, const char *nonce, unsigned ttl_s)
{
	switch (cbd_store_nonce_once(ctx, key_id, nonce, ttl_s)) {
	case CBD_OK:
		return 0;
	case CBD_E_USED:
		return 1;
	default:
		return -1;
	}
}

enum cbd_verify_rc cbd_auth_check(struct cbd_auth_signed *a, struct MHD_Connection *conn,
				  const char *method, struct cbd_creq *req, int64_t now_ms)
{
	struct cbd_signed_request sr = {
	    .method = method,
	    .path = req->target,
	    .key_id = header(conn, DT_SIGN_HEADER_KEY),
	    .timestamp = header(conn, DT_SIGN_HEADER_TIME),
	    .nonce = header(conn, DT_SIGN_HEADER_NONCE),
	    .signature = header(conn, DT_SIGN_HEADER_MAC),
	    .body = req->body.data,
	    .body_len = req->body.len,
	};
	enum cbd_verify_rc rc;

	rc = cbd_verify(a->keys, &sr, now_ms, a->skew_s, nonce_once, a->store, &req->key);
	req->signed_by_key = rc == CBD_VERIFY_OK;
	return rc;
}

/* The client's address as text ("?" when unknown): behind a proxy it is
 * the proxy's. */
static void client_text(struct MHD_Connection *conn, char *out, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(out, size, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)size);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)size);
}

/* The sentence of a refusal, with the clock's figures when it is stale:
 * the administrator of the host then sees which way its clock is off. */
static void reason_text(const struct cbd_auth_signed *a, struct MHD_Connection *conn,
			enum cbd_verify_rc rc, int64_t now_ms, char *out, size_t size)
{
	const char *ts = header(conn, DT_SIGN_HEADER_TIME);
	long long sent, off;
	char *end;

	if (rc == CBD_VERIFY_STALE && ts != NULL) {
		sent = strtoll(ts, &end, 10);
		off = sent - now_ms / 1000;
		snprintf(out, size,
			 "%s (the request's timestamp is %lld s %s the service's clock; "
			 "control_skew is %u s)",
			 cbd_verify_reason(rc), off < 0 ? -off : off,
			 off < 0 ? "behind" : "ahead of", a->skew_s);
		return;
	}
	snprintf(out, size, "%s", cbd_verify_reason(rc));
}

enum MHD_Result cbd_auth_refuse(struct cbd_auth_signed *a, struct cbd_control *ctl,
				struct MHD_Connection *conn, enum cbd_verify_rc rc, int64_t now_ms)
{
	const char *key_id = header(conn, DT_SIGN_HEADER_KEY);
	const char *code = cbd_verify_error_code(rc);
	char reason[400], client[INET6_ADDRSTRLEN], burst_key[DT_SIGN_KEY_ID_MAX + 64], prev[120];
	struct cbd_burst_note note;

	/* Only a key id of the right syntax is named: anything else is text
	 * the client chose. */
	if (key_id == NULL || !dt_reqsign_key_id_ok(key_id))
		key_id = NULL;
	reason_text(a, conn, rc, now_ms, reason, sizeof(reason));
	client_text(conn, client, sizeof(client));
	snprintf(burst_key, sizeof(burst_key), "%s %s", code, key_id != NULL ? key_id : client);
	if (cbd_burst_hit(&a->refused, dt_now_ms(), burst_key, &note)) {
		cbd_burst_note_text(&note, prev, sizeof(prev));
		dt_logf(a->log, LOG_WARNING,
			"control: refused a request from %s, key %s: %s: %s (at most %d keys named "
			"per 60 s window, the rest counted%s)",
			client, key_id != NULL ? key_id : "(none)", code, reason, CBD_BURST_NAMED,
			prev);
	}
	return cbd_control_send_refusal(ctl, conn, cbd_verify_http_status(rc), code, reason);
}
