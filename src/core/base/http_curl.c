/* The libcurl side of dt_http (http_backend.h): DingTalk and a fleet's
 * callback service over TCP, TLS 1.2+ verified, keep-alive and TLS
 * sessions reused across one handle's requests. Linked into programs;
 * the PAM module loads it from pam_dingtalk_net.so. It uses nothing of
 * libdtcore's but errors and the clock, which that library carries too. */
#include "config.h"

#include "base/http_backend.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

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

static pthread_once_t warm_once = PTHREAD_ONCE_INIT;
static CURLcode warm_rc = CURLE_FAILED_INIT;

static void warm_up(void)
{
	warm_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Once per process, never undone: libcurl's global set-up (OpenSSL's
 * with it) is not safe against other threads' curl calls, and the
 * library stays loaded until the process ends. */
static int curl_warm(struct dt_err *err)
{
	pthread_once(&warm_once, warm_up);
	if (warm_rc != CURLE_OK)
		return dt_err_set(err, DT_ERR_INTERNAL, "libcurl's global set-up failed: %s",
				  curl_easy_strerror(warm_rc));
	return 0;
}

static int curl_init(struct dt_http *h, struct dt_err *err)
{
	h->curl = curl_easy_init();
	if (h->curl == NULL)
		return dt_err_set(err, DT_ERR_NOMEM, "cannot create an HTTP handle");
	return 0;
}

static void curl_cleanup(struct dt_http *h)
{
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
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
	if (sink->too_large)
		h->transient = 0;
}

static int describe_failure(struct dt_http *h, CURLcode rc, const struct sink *sink,
			    const char *url_for_log, struct dt_err *err)
{
	const char *detail = h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(rc);

	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return dt_err_set(err, DT_ERR_INTERRUPTED,
				  "interrupted at the terminal while "
				  "waiting for the %s",
				  h->opts.peer_name);
	if (sink->too_large)
		return dt_err_set(err, DT_ERR_UNAVAIL,
				  "%s %s: answer larger than %d bytes, refused", h->opts.peer_name,
				  url_for_log, DT_HTTP_MAX_BODY);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return dt_err_set(err, DT_ERR_UNAVAIL, "%s %s: no answer in time: %s",
				  h->opts.peer_name, url_for_log, detail);
	return dt_err_set(err, DT_ERR_UNAVAIL, "%s %s: %s", h->opts.peer_name, url_for_log, detail);
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

static int curl_request(struct dt_http *h, const char *method, const char *url,
			const char *const *headers, const char *body, int64_t deadline_ms,
			struct dt_http_response *resp, struct dt_err *err)
{
	int64_t remaining = deadline_ms - dt_now_ms();
	struct sink sink = {resp, 0, 0};
	struct curl_slist *list;
	CURLcode rc;

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
		classify_failure(h, rc, &sink);
		h->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		return describe_failure(h, rc, &sink, h->shown, err);
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->date_s = date_header(h->curl);
	return 0;
}

const struct dt_http_backend dt_http_curl_backend = {
    .abi = DT_HTTP_BACKEND_ABI,
    .version = PACKAGE_VERSION,
    .http_size = sizeof(struct dt_http),
    .opts_size = sizeof(struct dt_http_opts),
    .response_size = sizeof(struct dt_http_response),
    .err_size = sizeof(struct dt_err),
    .warm = curl_warm,
    .init = curl_init,
    .cleanup = curl_cleanup,
    .request = curl_request,
};
