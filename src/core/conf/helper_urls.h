/* The `helper` key: where the module finds the callback service. Either
 * one Unix socket (`unix:/path`, the single-host default) or a fleet: one
 * to DT_HELPER_URLS_MAX HTTPS replicas of one service sharing one store,
 * separated by commas or whitespace, tried in the order written. */
#ifndef DT_HELPER_URLS_H
#define DT_HELPER_URLS_H

#include "base/err.h"

#define DT_HELPER_URLS_MAX 8
/* "https://" + a host name (253) or a bracketed IPv6 address + ":65535" */
#define DT_HELPER_URL_MAX 280

struct dt_helper_urls {
	/* `helper = unix:/path`: the path (inside `text` of the parse); NULL
	 * for a fleet. */
	const char *socket;
	/* A fleet: each replica as "https://HOST[:PORT]", without a path, a
	 * query or user information; requests append their path to it. */
	unsigned n;
	char url[DT_HELPER_URLS_MAX][DT_HELPER_URL_MAX + 1];
};

/* Parses `text` (the key's value, which must outlive out->socket). Plain
 * http is refused: the fleet's requests travel between machines and TLS
 * is always verified. 0, or -1 with DT_ERR_CONFIG naming the key and the
 * URL at fault. */
int dt_helper_urls_parse(const char *text, struct dt_helper_urls *out, struct dt_err *err);

#endif
