/* DingTalk's ban of this host's public IP ({"status":1111,"wait":N}: more
 * than 10,000 calls in 20 s from one IP; every API refuses it for N
 * minutes, five in the documented example). Nothing done within one
 * login lifts it, so the client gives up at once, and remembers the ban in
 * this process until it ends: later calls to the same origin are not sent
 * at all, which would only feed the ban. */
#ifndef DT_IPBAN_H
#define DT_IPBAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* The ban DingTalk announces when its answer has no usable `wait`. */
#define DT_IPBAN_DEFAULT_MS (5 * 60 * 1000)
/* A longer `wait` is read as this: a garbled answer must not shut
 * DingTalk logins out for days. */
#define DT_IPBAN_MAX_MS (60 * 60 * 1000)

/* Remembers that the origin (scheme://host:port) of `url` is banned for
 * `ban_ms` from now (dt_now_ms clock). Thread-safe; a full table drops
 * the entry that ends first. */
void dt_ipban_note(const char *url, int64_t ban_ms);

/* 1 with err set (DT_ERR_UNAVAIL: how long the ban still lasts, and what
 * to do) when `url`'s origin is under a remembered ban; 0 otherwise. */
int dt_ipban_check(const char *api, const char *url, struct dt_err *err);

/* How long the ban on `url`'s origin still lasts, in ms (0: none). */
int64_t dt_ipban_remaining_ms(const char *url);

/* Forgets every ban (the test suites, between cases). */
void dt_ipban_forget(void);

/* "5 minutes", "1 minute", "40 s": how a ban's length is said. */
void dt_ipban_duration(int64_t ms, char *out, size_t size);

#endif
