/* The benchmarks' phone: approves one login the way the DingTalk app and
 * its browser would, over HTTP with libcurl: the short link, the
 * (mock's) authorize page with the person's approval, the helper's
 * callback, its confirmation page, and the confirmation with the number
 * shown at the terminal. Used by bench_login (a thread per login) and
 * bench_cold (the parent of each fresh PAM client). One bench_phone per
 * thread; it keeps its connections from login to login, as a phone would,
 * but not its cookies (phone_steps says why). */
#ifndef BENCH_PHONE_H
#define BENCH_PHONE_H

#include <curl/curl.h>
#include <stddef.h>

#define BENCH_PHONE_BODY_SIZE 65536

struct bench_phone {
	CURL *curl;
	const char *ca_file; /* trusted for the HTTPS mock, or NULL */
	/* Called once the authorize page answered (the phone's requests to
	 * the DingTalk mock are done), or NULL: bench_cold reads the mock's
	 * counts there, to leave the phone's own connection out of the
	 * module's. */
	void (*after_authorize)(void *ctx);
	void *ctx;
	char body[BENCH_PHONE_BODY_SIZE];
	size_t body_len;
};

/* curl_global_init must have run. Returns 0, or -1 (no handle). */
int bench_phone_init(struct bench_phone *p, const char *ca_file);
void bench_phone_cleanup(struct bench_phone *p);

/* Approves the login shown as `link` and `number` as `person`. Returns
 * NULL once the helper answered the confirmation, else the step that
 * failed (a constant string, never a URL: URLs carry the state). */
const char *bench_phone_approve(struct bench_phone *p, const char *link, unsigned number,
				const char *person);

#endif
