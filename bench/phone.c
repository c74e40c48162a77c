#include "config.h"

#include "phone.h"

#include <stdio.h>
#include <string.h>

static size_t collect(char *ptr, size_t size, size_t n, void *ud);

int bench_phone_init(struct bench_phone *p, const char *ca_file)
{
	memset(p, 0, sizeof(*p));
	p->ca_file = ca_file;
	p->curl = curl_easy_init();
	if (p->curl == NULL)
		return -1;
	/* Set once: curl_easy_reset with the cookie file set again after it
	 * leaks the cookie file's list entry in libcurl 7.88, one per
	 * request (LeakSanitizer in check-sanitizers). */
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	if (p->ca_file != NULL)
		curl_easy_setopt(p->curl, CURLOPT_CAINFO, p->ca_file);
	/* the helper's cookie, from its callback to its confirmation page */
	curl_easy_setopt(p->curl, CURLOPT_COOKIEFILE, "");
	return 0;
}

void bench_phone_cleanup(struct bench_phone *p)
{
	if (p->curl != NULL)
		curl_easy_cleanup(p->curl);
	p->curl = NULL;
}

static size_t collect(char *ptr, size_t size, size_t n, void *ud)
{
	struct bench_phone *p = ud;
	size_t len = size * n;

	if (p->body_len + len >= sizeof(p->body))
		return 0;
	memcpy(p->body + p->body_len, ptr, len);
	p->body_len += len;
	p->body[p->body_len] = '\0';
	return len;
}

/* One request, redirects not followed; `location` gets Location if asked. */
static long request(struct bench_phone *p, const char *url, const char *post, char *location,
		    size_t loc_size)
{
	char *redirect = NULL;
	long status = 0;

	p->body_len = 0;
	p->body[0] = '\0';
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	if (post != NULL)
		curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, post);
	else
		curl_easy_setopt(p->curl, CURLOPT_HTTPGET, 1L);
	if (curl_easy_perform(p->curl) != CURLE_OK)
		return -1;
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	if (location != NULL) {
		location[0] = '\0';
		if (curl_easy_getinfo(p->curl, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK &&
		    redirect != NULL)
			snprintf(location, loc_size, "%s", redirect);
	}
	return status;
}

/* The value of the confirmation form's hidden field `name`. */
static int hidden(const char *page, const char *name, char *out, size_t size)
{
	char needle[64];
	const char *v, *end;

	snprintf(needle, sizeof(needle), "name=\"%s\" value=\"", name);
	v = strstr(page, needle);
	if (v == NULL)
		return -1;
	v += strlen(needle);
	end = strchr(v, '"');
	if (end == NULL || (size_t)(end - v) >= size)
		return -1;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
	return 0;
}

/* From the callback (the helper's) to the confirmation. */
static const char *confirm(struct bench_phone *p, char *callback, unsigned number)
{
	char url[4200], page[4200], s[64], t[64], form[256], *cut;

	/* The callback answers a redirect to the page's clean URL. */
	if (request(p, callback, NULL, page, sizeof(page)) != 303)
		return "the callback did not redirect to the page";
	if (request(p, page, NULL, NULL, 0) != 200)
		return "the confirmation page did not load";
	if (hidden(p->body, "s", s, sizeof(s)) != 0 || hidden(p->body, "t", t, sizeof(t)) != 0)
		return "no confirmation form";
	snprintf(form, sizeof(form), "s=%s&t=%s&n=%u", s, t, number);
	cut = strstr(callback, "/callback");
	if (cut == NULL)
		return "the callback URL has no /callback";
	*cut = '\0';
	snprintf(url, sizeof(url), "%s/confirm", callback);
	if (request(p, url, form, NULL, 0) != 200)
		return "the confirmation failed";
	return NULL;
}

const char *bench_phone_approve(struct bench_phone *p, const char *link, unsigned number,
				const char *person)
{
	char authorize[4096], url[4200], callback[4096];

	/* A person logs in a few times a day: each login's cookie is gone
	 * (its Max-Age) before the next. Hundreds kept here would outgrow
	 * the request headers the helper accepts. */
	curl_easy_setopt(p->curl, CURLOPT_COOKIELIST, "ALL");
	if (request(p, link, NULL, authorize, sizeof(authorize)) != 302)
		return "the short link did not redirect";
	snprintf(url, sizeof(url), "%s&mock_person=%s&mock_decision=approve", authorize, person);
	if (request(p, url, NULL, callback, sizeof(callback)) != 302)
		return "the mock's authorize page did not redirect";
	if (p->after_authorize != NULL)
		p->after_authorize(p->ctx);
	return confirm(p, callback, number);
}
