/* What the DingTalk mock counted (GET /_mock/traffic, tests/mock/
 * dingtalk_mock.py): TCP connections accepted, TLS handshakes completed
 * and calls per endpoint, since its last POST /_mock/reset. bench_cold
 * resets the mock before each login and reads it twice: when the phone is
 * done with the mock (its authorize page) and when the client has exited;
 * the difference is the module's own traffic to "DingTalk". The mock
 * leaves these admin requests' own connections out. */
#ifndef BENCH_COLD_TRAFFIC_H
#define BENCH_COLD_TRAFFIC_H

#include <curl/curl.h>

#define COLD_ENDPOINTS	   16
#define COLD_ENDPOINT_NAME 40

struct cold_traffic {
	long connections, tls_handshakes, requests;
	unsigned endpoints;
	char name[COLD_ENDPOINTS][COLD_ENDPOINT_NAME];
	long calls[COLD_ENDPOINTS];
};

/* The mock at `base` (http:// or https://, `ca_file` trusted for it, or
 * NULL). Each returns 0, or -1 with the failing step on stderr. */
int cold_traffic_reset(CURL *curl, const char *base, const char *ca_file);
int cold_traffic_read(CURL *curl, const char *base, const char *ca_file, struct cold_traffic *out);

/* sum += b - a, endpoint by endpoint (new names are added; past
 * COLD_ENDPOINTS they are only in `requests`). */
void cold_traffic_add_diff(struct cold_traffic *sum, const struct cold_traffic *b,
			   const struct cold_traffic *a);

/* The calls to endpoint `name` in `t` (0 when it has none). */
long cold_traffic_calls(const struct cold_traffic *t, const char *name);

/* The app access token requests in `t`: the mock's `accessToken`
 * (POST /v1.0/oauth2/accessToken, token_api = v1) and `gettoken`
 * (GET /gettoken, token_api = gettoken). A module whose token_cache works
 * makes none once one login has filled it. */
long cold_traffic_app_token_requests(const struct cold_traffic *t);

#endif
