#include "config.h"

#include "base/http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/peer.h"
#include "base/util.h"

struct sink {
	struct dt_http_response *resp;
	size_t cap;
	int too_large;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	char *grown;

	if (s->resp->len + n > DT_HTTP_MAX_BODY) {
		s->too_large = 1;
		return 0; /* makes curl abort the transfer */
	}
	if (s->resp->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		while (cap < s->resp->len + n + 1)
			cap *= 2;
		grown = realloc(s->resp->body, cap);
		if (grown == NULL)
			return 0;
		s->resp->body = grown;
		s->cap = cap;
	}
	memcpy(s->resp->body + s->resp->len, data, n);
	s->resp->len += n;
	s->resp->body[s->resp->len] = '\0';
	return n;
}

/* curl calls this about once a second even while idle, which lets a long
 * wait notice Ctrl-C without a signal handler of ours. */
static int check_interrupt(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			   curl_off_t ulnow)
{
	const struct dt_http *h = clientp;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return h->opts.interrupted() ? 1 : 0;
}

/* curl creates the socket of every new connection through here (before
 * connecting); a reused connection keeps its socket. So the last socket
 * seen is the one check_peer is asked about. (CURLINFO_ACTIVESOCKET does
 * not name it yet while PREREQFUNCTION runs.) */
static int note_socket(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	struct dt_http *h = clientp;

	(void)purpose;
	h->peer_fd = (int)fd;
	return CURL_SOCKOPT_OK;
}

/* Runs once a connection is made or reused, before the request is sent:
 * the last moment to refuse a Unix socket peer that is not the helper. */
static int check_peer(void *clientp, char *primary_ip, char *local_ip, int primary_port,
		      int local_port)
{
	struct dt_http *h = clientp;
	uid_t uid;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	h->peer_seen = -1;
	if (dt_peer_uid(h->peer_fd, &uid) == 0) {
		if (dt_peer_trusted(uid) || (h->peer_uid_set && uid == h->peer_uid))
			return CURL_PREREQFUNC_OK;
		h->peer_seen = (long)uid;
	}
	h->peer_refused = 1;
	return CURL_PREREQFUNC_ABORT;
}

int dt_http_init(struct dt_http *h, const struct dt_http_opts *opts, struct dt_err *err)
{
	memset(h, 0, sizeof(*h));
	h->opts = *opts;
	h->peer_fd = -1;
	if (opts->unix_socket != NULL && opts->peer_user != NULL) {
		if (dt_peer_user_uid("helper_user", opts->peer_user, &h->peer_uid, err) < 0)
			return -1;
		h->peer_uid_set = 1;
	}
	if (h->opts.peer_name == NULL)
		h->opts.peer_name = "server";
	if (h->opts.connect_timeout_ms <= 0)
		h->opts.connect_timeout_ms = 5000;
	h->curl = curl_easy_init();
	if (h->curl == NULL)
		return dt_err_set(err, DT_ERR_NOMEM, "cannot create an HTTP handle");
	return 0;
}

void dt_http_cleanup(struct dt_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void dt_http_response_free(struct dt_http_response *resp)
{
	if (resp->body != NULL) {
		OPENSSL_cleanse(resp->body, resp->len);
		free(resp->body);
	}
	memset(resp, 0, sizeof(*resp));
}

static int set_options(struct dt_http *h, const char *method, const char *url, const char *body,
		       struct curl_slist *headers, long timeout_ms, struct sink *sink)
{
	CURL *c = h->curl;
	long connect_ms =
	    h->opts.connect_timeout_ms < timeout_ms ? h->opts.connect_timeout_ms : timeout_ms;
	CURLcode rc = CURLE_OK;

	curl_easy_reset(c);
	rc |= curl_easy_setopt(c, CURLOPT_URL, url);
	rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* sshd is not ours to signal */
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* curl's defaults, restated: there is no switch to turn these off. */
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	rc |= curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
	rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "pam_dingtalk/" PACKAGE_VERSION);
	rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	/* An empty proxy string turns off the proxy environment variables;
	 * leaving it unset lets curl read http_proxy, https_proxy, no_proxy. */
	if (h->opts.proxy != NULL || !h->proxy_env)
		rc |=
		    curl_easy_setopt(c, CURLOPT_PROXY, h->opts.proxy != NULL ? h->opts.proxy : "");
	/* A CA file given is the only trust: libcurl would otherwise still
	 * search its built-in CA directory (Debian's is /etc/ssl/certs), and
	 * any public CA there could vouch for the helper's name. */
	if (h->opts.ca_file != NULL) {
		rc |= curl_easy_setopt(c, CURLOPT_CAINFO, h->opts.ca_file);
		rc |= curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (h->fresh_connection) {
		rc |= curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		rc |= curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
	if (h->opts.unix_socket != NULL) {
		rc |= curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->opts.unix_socket);
		rc |= curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, note_socket);
		rc |= curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, h);
		rc |= curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, check_peer);
		rc |= curl_easy_setopt(c, CURLOPT_PREREQDATA, h);
	}
	if (h->opts.interrupted != NULL) {
		rc |= curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		rc |= curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, check_interrupt);
		rc |= curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	}
	if (body != NULL)
		rc |= curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	rc |= curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	return rc == CURLE_OK ? 0 : -1;
}

static struct curl_slist *build_headers(const char *const *extra, const char *body)
{
	struct curl_slist *list = NULL, *next;

	/* curl's default "Expect: 100-continue" costs a round trip. */
	list = curl_slist_append(list, "Expect:");
	if (list != NULL && body != NULL) {
		next = curl_slist_append(list, "Content-Type: application/json");
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	for (; list != NULL && extra != NULL && *extra != NULL; extra++) {
		next = curl_slist_append(list, *extra);
		if (next == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void classify_failure(struct dt_http *h, CURLcode rc, const struct sink *sink)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		h->unsent = 1;
		h->transient = 1;
		break;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		h->transient = 1;
		break;
	default:
		/* Certificates, protocols, sizes: trying again gives the same. */
		break;
	}
	if (sink->too_large || h->peer_refused)
		h->transient = 0;
}

static int describe_refused_peer(const struct dt_http *h, struct dt_err *err)
{
	char seen[64] = "an unknown uid (its credentials could not be read)";
	char trusted[48] = "root";

	if (h->peer_seen >= 0)
		snprintf(seen, sizeof(seen), "uid %ld", h->peer_seen);
	if (geteuid() != 0)
		snprintf(trusted, sizeof(trusted), "root or uid %u (this process)",
			 (unsigned)geteuid());
	/* A refusal, not an outage: a local user who takes over the socket
	 * path must not get failmode's PAM_IGNORE or a recovery prompt. */
	return dt_err_set(err, DT_ERR_DENIED,
			  "the %s on unix:%s runs as %s, not as %s%s: refused before sending "
			  "anything. If dingtalk-callbackd runs as its own user, set helper_user "
			  "to it; otherwise another program holds the socket path",
			  h->opts.peer_name, h->opts.unix_socket, seen, trusted,
			  h->peer_uid_set ? " or helper_user" : "");
}

static int describe_failure(struct dt_http *h, CURLcode rc, const struct sink *sink,
			    const char *url_for_log, struct dt_err *err)
{
	const char *detail = h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(rc);

	if (h->peer_refused)
		return describe_refused_peer(h, err);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return dt_err_set(err, DT_ERR_INTERRUPTED,
				  "interrupted at the terminal while "
				  "waiting for the %s",
				  h->opts.peer_name);
	if (sink->too_large)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "%s %s: answer larger than %d bytes, refused", h->opts.peer_name,
				  url_for_log, DT_HTTP_MAX_BODY);
	if (h->opts.unix_socket != NULL)
		return dt_err_set(err, DT_ERR_UNAVAIL, "cannot reach the %s on unix:%s: %s%s",
				  h->opts.peer_name, h->opts.unix_socket, detail,
				  rc == CURLE_COULDNT_CONNECT ? " (is dingtalk-callbackd running?)"
							      : "");
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return dt_err_set(err, DT_ERR_UNAVAIL, "%s %s: no answer in time: %s",
				  h->opts.peer_name, url_for_log, detail);
	return dt_err_set(err, DT_ERR_UNAVAIL, "%s %s: %s", h->opts.peer_name, url_for_log, detail);
}

/* The URL without its query, which may carry tokens. */
static void url_without_query(const char *url, char *out, size_t size)
{
	size_t n = strcspn(url, "?#");

	if (n >= size)
		n = size - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

/* The last answer's Date header (RFC 7231), 0 if absent or unreadable. */
static int64_t date_header(CURL *c)
{
	struct curl_header *hdr = NULL;
	time_t t;

	if (curl_easy_header(c, "Date", 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK || hdr == NULL)
		return 0;
	t = curl_getdate(hdr->value, NULL);
	return t > 0 ? (int64_t)t : 0;
}

int dt_http_request(struct dt_http *h, const char *method, const char *url,
		    const char *const *headers, const char *body, int64_t deadline_ms,
		    struct dt_http_response *resp, struct dt_err *err)
{
	int64_t remaining = deadline_ms - dt_now_ms();
	struct sink sink = {resp, 0, 0};
	struct curl_slist *list;
	char shown[256];
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	h->transient = 0;
	h->unsent = 0;
	h->timed_out = 0;
	h->peer_refused = 0;
	url_without_query(url, shown, sizeof(shown));
	if (remaining <= 0)
		return dt_err_set(err, DT_ERR_TIMEOUT, "%s %s: the login's deadline has passed",
				  h->opts.peer_name, shown);
	list = build_headers(headers, body);
	if (list == NULL)
		return dt_err_oom(err);
	h->errbuf[0] = '\0';
	if (h->request_timeout_ms > 0 && h->request_timeout_ms < remaining)
		remaining = h->request_timeout_ms;
	if (set_options(h, method, url, body, list, (long)remaining, &sink) < 0) {
		curl_slist_free_all(list);
		return dt_err_set(err, DT_ERR_INTERNAL, "%s: cannot set up the HTTP request",
				  h->opts.peer_name);
	}
	rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	if (rc != CURLE_OK) {
		dt_http_response_free(resp);
		classify_failure(h, rc, &sink);
		h->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		describe_failure(h, rc, &sink, shown, err);
		if (dt_now_ms() >= deadline_ms && rc != CURLE_ABORTED_BY_CALLBACK)
			err->kind = DT_ERR_TIMEOUT;
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->date_s = date_header(h->curl);
	if (resp->body == NULL) {
		resp->body = calloc(1, 1);
		if (resp->body == NULL)
			return dt_err_oom(err);
	}
	return 0;
}
