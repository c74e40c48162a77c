/* Connections to the Redis primary: where it is (an address, a Unix
 * socket, or whatever the sentinels name), how to log in (AUTH, SELECT),
 * and a small pool shared by libmicrohttpd's threads.
 *
 * Failing fast is the contract: connecting (sentinel discovery included)
 * and taking a pooled connection are bounded by timeout_ms together, and
 * each command by timeout_ms again. Nothing here sleeps or retries in a
 * loop: a call that cannot reach the primary returns -1 at once with a
 * reason, and the next call tries again (after a failover: the new
 * primary). Passwords never appear in a reason or a log line. */
#ifndef CBD_REDIS_CONN_H
#define CBD_REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "base/err.h"
#include "base/log.h"

struct cbd_redis_target {
	const char *addr;      /* host:port, [v6]:port, unix:/path; NULL with sentinels */
	const char *sentinels; /* host:port ..., separated by spaces or commas */
	const char *master;    /* the name the sentinels monitor */
	const char *user;      /* NULL: AUTH with the password alone */
	const char *password;  /* NULL: no AUTH */
	unsigned db;
	unsigned timeout_ms;
};

/* A deep copy (every string strdup'd; -1 when out of memory, the copy then
 * partly made: free it anyway), and its release, which wipes the password. */
int cbd_redis_target_copy(struct cbd_redis_target *dst, const struct cbd_redis_target *src);
void cbd_redis_target_free(struct cbd_redis_target *t);

/* One connection to the primary, logged in and on the right database, or
 * NULL with why (the address, the step and the error). With sentinels,
 * each is asked in turn for the primary's address, and the server must say
 * it is a master (ROLE). Bounded by deadline_ms (dt_now_ms time). */
redisContext *cbd_redis_connect(const struct cbd_redis_target *t, int64_t deadline_ms, char *why,
				size_t why_size);

/* Why a connection failed, for a log line: hiredis's text, a timeout said
 * as such. */
const char *cbd_redis_error(const redisContext *c);

/* An error reply that says this server cannot take writes now (READONLY: a
 * replica, MASTERDOWN, LOADING): the connection must be dropped and the
 * primary found again. */
int cbd_redis_reply_moved(const redisReply *reply);

struct cbd_redis;

/* A pool of at most `size` connections, made on demand. Copies `t`. */
struct cbd_redis *cbd_redis_pool_new(const struct cbd_redis_target *t, unsigned size,
				     struct dt_err *err);

/* Runs one command on a pooled connection. 0 with *reply (which may be an
 * error reply; free it with freeReplyObject), or -1 with why when Redis
 * cannot be reached in time. A connection that fails, or answers READONLY,
 * MASTERDOWN or LOADING, is closed, and so is every idle one (they led to
 * the same server): the next call connects anew. */
int cbd_redis_run(struct cbd_redis *r, int argc, const char **argv, const size_t *lens,
		  redisReply **reply, char *why, size_t why_size);

void cbd_redis_pool_free(struct cbd_redis *r);

#endif
