#include "config.h"

#include "fleet_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bench_util.h"

struct fleet_xfer {
	CURL *easy;
	struct curl_slist *headers;
	char *body; /* what came back */
	size_t len;
	double sent_us;
	fleet_done_fn done;
	void *ctx;
	int tag;
	char error[CURL_ERROR_SIZE];
	char set_cookie[256]; /* the first Set-Cookie's name=value */
};

struct fleet_http {
	CURLM *multi;
	unsigned active;
	const char *ca_file;
	int no_reuse;
};

struct fleet_http *fleet_http_new(const char *ca_file, int no_reuse)
{
	struct fleet_http *h = calloc(1, sizeof(*h));

	if (h == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h->multi = curl_multi_init()) == NULL) {
		free(h);
		return NULL;
	}
	/* Long-polls hold their connections: never queue a request behind
	 * one of them. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 512L);
	h->ca_file = ca_file;
	h->no_reuse = no_reuse;
	return h;
}

static void xfer_free(struct fleet_xfer *x)
{
	curl_slist_free_all(x->headers);
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	free(x->body);
	free(x);
}

void fleet_http_free(struct fleet_http *h)
{
	if (h == NULL)
		return;
	curl_multi_cleanup(h->multi);
	curl_global_cleanup();
	free(h);
}

/* Keeps the first Set-Cookie's name=value (up to its first ';'). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct fleet_xfer *x = arg;
	size_t len = size * n, name = strlen("Set-Cookie:"), i;

	if (x->set_cookie[0] != '\0' || len <= name || strncasecmp(data, "Set-Cookie:", name) != 0)
		return len;
	for (data += name, len -= name; len > 0 && *data == ' '; data++, len--)
		;
	for (i = 0; i < len && i + 1 < sizeof(x->set_cookie); i++) {
		if (data[i] == ';' || data[i] == '\r' || data[i] == '\n')
			break;
		x->set_cookie[i] = data[i];
	}
	x->set_cookie[i] = '\0';
	return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fleet_xfer *x = arg;
	size_t add = size * n, keep = add;
	char *grown;

	if (x->len + keep > FLEET_BODY_MAX)
		keep = FLEET_BODY_MAX - x->len;
	grown = realloc(x->body, x->len + keep + 1);
	if (grown == NULL)
		return 0;
	x->body = grown;
	memcpy(x->body + x->len, data, keep);
	x->len += keep;
	x->body[x->len] = '\0';
	return add;
}

/* The signature headers, then Content-Type. */
static int add_headers(struct fleet_xfer *x, const struct fleet_call *call)
{
	struct dt_reqsign_headers sig;
	struct dt_err err = {0};
	char line[128];
	struct curl_slist *next;
	int i;

	if (call->key != NULL) {
		if (dt_reqsign_headers(call->key, call->method, call->path, call->body,
				       call->body != NULL ? strlen(call->body) : 0, time(NULL),
				       &sig, &err) != 0) {
			fprintf(stderr, "bench_fleet: signing failed: %s\n", err.msg);
			return -1;
		}
		for (i = 0; sig.lines[i] != NULL; i++) {
			next = curl_slist_append(x->headers, sig.lines[i]);
			if (next == NULL)
				return -1;
			x->headers = next;
		}
	}
	if (call->cookie != NULL) {
		snprintf(line, sizeof(line), "Cookie: %s", call->cookie);
		next = curl_slist_append(x->headers, line);
		if (next == NULL)
			return -1;
		x->headers = next;
	}
	if (call->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", call->content_type);
		next = curl_slist_append(x->headers, line);
		if (next == NULL)
			return -1;
		x->headers = next;
	}
	/* libcurl would wait for "100 Continue" on larger bodies. */
	next = curl_slist_append(x->headers, "Expect:");
	if (next == NULL)
		return -1;
	x->headers = next;
	return 0;
}

static int set_target(CURL *e, const struct fleet_call *call)
{
	char url[512];

	if (strncmp(call->base, "unix:", 5) == 0) {
		curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, call->base + 5);
		snprintf(url, sizeof(url), "http://localhost%s", call->path);
	} else {
		snprintf(url, sizeof(url), "%s%s", call->base, call->path);
	}
	return curl_easy_setopt(e, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
}

int fleet_http_send(struct fleet_http *h, const struct fleet_call *call, fleet_done_fn done,
		    void *ctx, int tag)
{
	struct fleet_xfer *x = calloc(1, sizeof(*x));
	CURL *e;

	if (x == NULL || (x->easy = curl_easy_init()) == NULL)
		goto fail;
	e = x->easy;
	if (set_target(e, call) != 0 || add_headers(x, call) != 0)
		goto fail;
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
	if (call->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(call->body));
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, call->body);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, call->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	if (h->no_reuse) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	if (h->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	x->done = done;
	x->ctx = ctx;
	x->tag = tag;
	x->sent_us = bench_now_us();
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		goto fail;
	h->active++;
	return 0;
fail:
	fprintf(stderr, "bench_fleet: cannot start %s %s\n", call->method, call->path);
	if (x != NULL)
		xfer_free(x);
	return -1;
}

static void finish(struct fleet_http *h, CURLMsg *msg)
{
	struct fleet_xfer *x = NULL;
	struct fleet_resp resp = {0};

	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
	resp.done_us = bench_now_us();
	resp.sent_us = x->sent_us;
	if (msg->data.result == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	} else {
		resp.error = x->error[0] != '\0' ? x->error : curl_easy_strerror(msg->data.result);
	}
	resp.body = x->body != NULL ? x->body : "";
	resp.set_cookie = x->set_cookie;
	resp.len = x->len;
	curl_multi_remove_handle(h->multi, x->easy);
	h->active--;
	/* The callback may start new requests; this one is freed after. */
	x->done(x->ctx, x->tag, &resp);
	xfer_free(x);
}

void fleet_http_step(struct fleet_http *h, int wait_ms)
{
	CURLMsg *msg;
	int running, left;

	curl_multi_perform(h->multi, &running);
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			finish(h, msg);
	if (wait_ms > 0)
		curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
}

unsigned fleet_http_active(const struct fleet_http *h)
{
	return h->active;
}
