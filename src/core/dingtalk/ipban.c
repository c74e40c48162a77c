#include "config.h"

#include "dingtalk/ipban.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"

/* A process talks to a few origins at most (api, oapi, a proxy's view of
 * them); one slot each is plenty. */
#define SLOTS	   4
#define ORIGIN_MAX 200

struct ban {
	char origin[ORIGIN_MAX];
	int64_t until_ms; /* 0: free */
};

static struct ban bans[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* scheme://host[:port] of url; 0, or -1 if it does not fit. */
static int origin_of(const char *url, char *out, size_t size)
{
	const char *host = strstr(url, "://");
	size_t n;

	if (host == NULL)
		return -1;
	host += 3;
	n = (size_t)(host - url) + strcspn(host, "/?#");
	if (n >= size)
		return -1;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

void dt_ipban_duration(int64_t ms, char *out, size_t size)
{
	int64_t s = (ms + 999) / 1000;

	if (s >= 60 && s % 60 == 0)
		snprintf(out, size, "%lld minute%s", (long long)(s / 60), s == 60 ? "" : "s");
	else
		snprintf(out, size, "%lld s", (long long)s);
}

void dt_ipban_note(const char *url, int64_t ban_ms)
{
	char origin[ORIGIN_MAX];
	int64_t until;
	int i, pick = 0;

	if (ban_ms <= 0 || origin_of(url, origin, sizeof(origin)) < 0)
		return;
	until = dt_now_ms() + ban_ms;
	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++) {
		if (strcmp(bans[i].origin, origin) == 0) {
			pick = i;
			break;
		}
		if (bans[i].until_ms < bans[pick].until_ms)
			pick = i;
	}
	snprintf(bans[pick].origin, sizeof(bans[pick].origin), "%s", origin);
	bans[pick].until_ms = until;
	pthread_mutex_unlock(&lock);
}

int64_t dt_ipban_remaining_ms(const char *url)
{
	char origin[ORIGIN_MAX];
	int64_t now = dt_now_ms(), remaining = 0;
	int i;

	if (origin_of(url, origin, sizeof(origin)) < 0)
		return 0;
	pthread_mutex_lock(&lock);
	for (i = 0; i < SLOTS; i++)
		if (bans[i].until_ms > now && strcmp(bans[i].origin, origin) == 0)
			remaining = bans[i].until_ms - now;
	pthread_mutex_unlock(&lock);
	return remaining;
}

int dt_ipban_check(const char *api, const char *url, struct dt_err *err)
{
	int64_t remaining = dt_ipban_remaining_ms(url);
	char left[32];

	if (remaining <= 0)
		return 0;
	dt_ipban_duration(remaining, left, sizeof(left));
	dt_err_set(err, DT_ERR_UNAVAIL,
		   "DingTalk %s: not called: DingTalk banned this host's IP (status 1111) and the "
		   "ban lasts %s more; logins through DingTalk fail until then: find what calls "
		   "DingTalk so often from this IP (over 10,000 calls in 20 s)",
		   api, left);
	return 1;
}

void dt_ipban_forget(void)
{
	pthread_mutex_lock(&lock);
	memset(bans, 0, sizeof(bans));
	pthread_mutex_unlock(&lock);
}
