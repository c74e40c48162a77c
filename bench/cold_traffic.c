#include "config.h"

#include "cold_traffic.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

struct text {
	char data[8192];
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct text *t = ud;
	size_t len = size * n;

	if (t->len + len >= sizeof(t->data))
		return 0;
	memcpy(t->data + t->len, ptr, len);
	t->len += len;
	t->data[t->len] = '\0';
	return len;
}

static int admin(CURL *curl, const char *base, const char *ca_file, const char *path,
		 const char *post, struct text *t)
{
	char url[512];
	long status = 0;

	t->len = 0;
	t->data[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* A new connection each time: the mock leaves a connection out of its
	 * counts only when its first request is an admin one. */
	curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
	if (ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	if (post != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(curl) != CURLE_OK ||
	    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
		fprintf(stderr, "bench_cold: the mock's %s did not answer 200 (%ld)\n", path,
			status);
		return -1;
	}
	return 0;
}

int cold_traffic_reset(CURL *curl, const char *base, const char *ca_file)
{
	struct text t;

	return admin(curl, base, ca_file, "/_mock/reset", "{}", &t);
}

static int read_counts(json_object *root, struct cold_traffic *out)
{
	json_object *c, *h, *r;

	if (!json_object_object_get_ex(root, "connections", &c) ||
	    !json_object_object_get_ex(root, "tls_handshakes", &h) ||
	    !json_object_object_get_ex(root, "requests", &r) ||
	    !json_object_is_type(r, json_type_object))
		return -1;
	out->connections = json_object_get_int64(c);
	out->tls_handshakes = json_object_get_int64(h);
	json_object_object_foreach(r, name, calls)
	{
		out->requests += json_object_get_int64(calls);
		if (out->endpoints < COLD_ENDPOINTS) {
			snprintf(out->name[out->endpoints], COLD_ENDPOINT_NAME, "%s", name);
			out->calls[out->endpoints++] = json_object_get_int64(calls);
		}
	}
	return 0;
}

int cold_traffic_read(CURL *curl, const char *base, const char *ca_file, struct cold_traffic *out)
{
	struct text t;
	json_object *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (admin(curl, base, ca_file, "/_mock/traffic", NULL, &t) != 0)
		return -1;
	root = json_tokener_parse(t.data);
	rc = root != NULL ? read_counts(root, out) : -1;
	json_object_put(root);
	if (rc != 0)
		fprintf(stderr, "bench_cold: the mock's /_mock/traffic is not as expected\n");
	return rc;
}

long cold_traffic_calls(const struct cold_traffic *t, const char *name)
{
	unsigned i;

	for (i = 0; i < t->endpoints; i++)
		if (strcmp(t->name[i], name) == 0)
			return t->calls[i];
	return 0;
}

void cold_traffic_add_diff(struct cold_traffic *sum, const struct cold_traffic *b,
			   const struct cold_traffic *a)
{
	unsigned i, j;

	sum->connections += b->connections - a->connections;
	sum->tls_handshakes += b->tls_handshakes - a->tls_handshakes;
	sum->requests += b->requests - a->requests;
	for (i = 0; i < b->endpoints; i++) {
		long d = b->calls[i] - cold_traffic_calls(a, b->name[i]);

		if (d == 0)
			continue;
		for (j = 0; j < sum->endpoints && strcmp(sum->name[j], b->name[i]) != 0; j++)
			;
		if (j == sum->endpoints) {
			if (j == COLD_ENDPOINTS)
				continue;
			snprintf(sum->name[j], COLD_ENDPOINT_NAME, "%s", b->name[i]);
			sum->calls[j] = 0;
			sum->endpoints++;
		}
		sum->calls[j] += d;
	}
}

long cold_traffic_app_token_requests(const struct cold_traffic *t)
{
	return cold_traffic_calls(t, "accessToken") + cold_traffic_calls(t, "gettoken");
}
