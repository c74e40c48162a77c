/* The Redis store's Lua scripts: every decision about a session is one
 * script, which Redis runs atomically, so two replicas can never both win
 * a transition (follow the link, take the callback, confirm, release the
 * code, cancel, expire).
 *
 * Calling convention, for every script: no KEYS (the keys are built from
 * the prefix inside the script: a single Redis, not a Redis Cluster);
 * ARGV[1] the key prefix, ARGV[2] a fresh random instance id, used only if
 * `PREFIX instance` is gone (Redis lost its data); then the script's own
 * arguments, listed below. Every reply is an array that begins
 * {instance, result, changed}: `changed` is 0, 1 (a session changed status
 * and its id was published on `PREFIX wake`) or 2 (the same, and it was
 * this call that found the session expired). Time is Redis's own (TIME),
 * in milliseconds: replicas' clocks do not matter. */
#ifndef CBD_STORE_REDIS_SCRIPTS_H
#define CBD_STORE_REDIS_SCRIPTS_H

enum cbd_script {
	/* (): {.., 'ok'}; makes the instance if it is missing */
	CBD_SCRIPT_INSTANCE,
	/* (id, state_hash, number, user, service, host, rhost, created,
	 *  choices, authorize_url, requester, address, owner, ttl_ms,
	 *  linger_ms, max_pending, max_per_requester, max_per_address,
	 *  max_per_host, command): 'ok' | 'dup' | 'id_taken' | 'requester_full' |
	 *  'address_full' | 'host_full' (owner not "") | 'full' */
	CBD_SCRIPT_ADD,
	/* (id, linger_ms): 'ok', url | 'unknown' | 'ended' | 'used' */
	CBD_SCRIPT_FOLLOW,
	/* (state_hash, code, has_code, confirm, token_hash, linger_ms):
	 *  'unknown', '' | 'ended' | 'used' | 'refused' | 'approved', id |
	 *  'confirm', id, user, service, host, rhost, created, choices, command */
	CBD_SCRIPT_CALLBACK,
	/* (id, token_hash, number, linger_ms):
	 *  'unknown' | 'ended' | 'token' | 'approved' | 'refused' */
	CBD_SCRIPT_CONFIRM,
	/* (id, check_owner, owner, linger_ms): 'unknown' |
	 *  'ok', status, reason, ms_left (pending) |
	 *  'ok', 'a', 'none', 0, code (approved: the session is deleted) */
	CBD_SCRIPT_POLL,
	/* (id, check_owner, owner, linger_ms): 'ok' | 'unknown' */
	CBD_SCRIPT_CANCEL,
	CBD_SCRIPT_COUNT,
};

/* The whole text of a script: a shared prelude and its body. */
const char *cbd_script_text(enum cbd_script which);

#endif
