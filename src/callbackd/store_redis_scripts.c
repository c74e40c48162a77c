/* The Lua text of the Redis store's scripts (store_redis_scripts.h).
 *
 * A session is the hash PREFIX s:ID:
 *   status  p (pending), a (approved, code held), r (refused), e (expired)
 *   reason  none | denied | wrong_number | cancelled
 *   exp     when it expires, Redis ms      st    SHA-256 of the state (hex)
 *   num     the matching number            own   the owner ("" or a host)
 *   req     requester   addr  address      link, cb  "1" once used
 *   code    the held code (approved, or awaiting the number)
 *   tok     SHA-256 of the confirmation token (hex)
 *   user service host rhost created choices url: what the pages show
 *   cmd     sudo's command ("" when none), shown on the confirmation page
 * PREFIX st:HASH -> ID finds it from the callback's state. Both keys live
 * ttl + linger ms, and linger ms once the session ends. The sorted sets
 * PREFIX pending, PREFIX pr:REQUESTER, PREFIX pa:ADDRESS and (a fleet
 * host's registrations) PREFIX ph:OWNER hold the pending ids scored by
 * expiry: the limits count them across the fleet,
 * pruned of the expired in the same script. A session leaves them the
 * moment it stops being pending. PREFIX ended holds the ended sessions
 * scored by when they are forgotten, so that registrations can bound
 * them (2 * max_pending sessions in all, like the memory store).
 *
 * Redis 7 replicates a script's effects, not the script, so TIME may be
 * read anywhere in it (Redis documentation, "Scripting with Lua",
 * replicating commands instead of scripts). */
#include "store_redis_scripts.h"

/* Shared by every script: the instance, the clock, loading a session, and
 * the transitions that end one. */
#define PRELUDE                                                                                    \
	"local P = ARGV[1]\n"                                                                      \
	"local inst = redis.call('GET', P .. 'instance')\n"                                        \
	"if not inst then\n"                                                                       \
	"  inst = ARGV[2]\n"                                                                       \
	"  redis.call('SET', P .. 'instance', inst)\n"                                             \
	"end\n"                                                                                    \
	"local t = redis.call('TIME')\n"                                                           \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                  \
	"local changed = 0\n"                                                                      \
	"local function skey(id) return P .. 's:' .. id end\n"                                     \
	"local function unpend(id, s)\n"                                                           \
	"  redis.call('ZREM', P .. 'pending', id)\n"                                               \
	"  redis.call('ZREM', P .. 'pr:' .. s.req, id)\n"                                          \
	"  redis.call('ZREM', P .. 'pa:' .. s.addr, id)\n"                                         \
	"  if s.own and s.own ~= '' then redis.call('ZREM', P .. 'ph:' .. s.own, id) end\n"        \
	"end\n"                                                                                    \
	"local function wake(id)\n"                                                                \
	"  redis.call('PUBLISH', P .. 'wake', id)\n"                                               \
	"  if changed == 0 then changed = 1 end\n"                                                 \
	"end\n"                                                                                    \
	"local function finish(id, s, status, reason, linger)\n"                                   \
	"  redis.call('HSET', skey(id), 'status', status, 'reason', reason)\n"                     \
	"  redis.call('HDEL', skey(id), 'code', 'tok')\n"                                          \
	"  unpend(id, s)\n"                                                                        \
	"  redis.call('PEXPIRE', skey(id), linger)\n"                                              \
	"  redis.call('PEXPIRE', P .. 'st:' .. s.st, linger)\n"                                    \
	"  redis.call('ZADD', P .. 'ended', now + linger, id)\n"                                   \
	"  if redis.call('PTTL', P .. 'ended') < linger then\n"                                    \
	"    redis.call('PEXPIRE', P .. 'ended', linger)\n"                                        \
	"  end\n"                                                                                  \
	"  s.status = status\n"                                                                    \
	"  s.reason = reason\n"                                                                    \
	"  wake(id)\n"                                                                             \
	"end\n"                                                                                    \
	"local FIELDS = {'status', 'reason', 'exp', 'st', 'req', 'addr', 'own', 'link', 'cb',\n"   \
	"                'num', 'tok', 'code', 'url'}\n"                                           \
	"local function load(id)\n"                                                                \
	"  local v = redis.call('HMGET', skey(id), unpack(FIELDS))\n"                              \
	"  if not v[1] then return nil end\n"                                                      \
	"  local s = {}\n"                                                                         \
	"  for i, f in ipairs(FIELDS) do s[f] = v[i] end\n"                                        \
	"  return s\n"                                                                             \
	"end\n"                                                                                    \
	"local function refresh(id, s, linger)\n"                                                  \
	"  if (s.status == 'p' or s.status == 'a') and now >= tonumber(s.exp) then\n"              \
	"    finish(id, s, 'e', 'none', linger)\n"                                                 \
	"    changed = 2\n"                                                                        \
	"  end\n"                                                                                  \
	"end\n"

static const char instance_lua[] = PRELUDE "return {inst, 'ok', changed}\n";

static const char add_lua[] = PRELUDE
    "local id, sth = ARGV[3], ARGV[4]\n"
    "local ttl, linger = tonumber(ARGV[16]), tonumber(ARGV[17])\n"
    "local stk = P .. 'st:' .. sth\n"
    "if redis.call('EXISTS', stk) == 1 then return {inst, 'dup', changed} end\n"
    "if redis.call('EXISTS', skey(id)) == 1 then return {inst, 'id_taken', changed} end\n"
    "local pend, prk, pak = P .. 'pending', P .. 'pr:' .. ARGV[13], P .. 'pa:' .. ARGV[14]\n"
    "local sets = {pend, prk, pak}\n"
    "local phk = nil\n"
    "if ARGV[15] ~= '' then\n"
    "  phk = P .. 'ph:' .. ARGV[15]\n"
    "  sets[4] = phk\n"
    "end\n"
    "for _, k in ipairs(sets) do\n"
    "  redis.call('ZREMRANGEBYSCORE', k, '-inf', now)\n"
    "end\n"
    /* The order of store_memory.c: the requester's own quota first. */
    "if redis.call('ZCARD', prk) >= tonumber(ARGV[19]) then\n"
    "  return {inst, 'requester_full', changed}\n"
    "end\n"
    "local maxa = tonumber(ARGV[20])\n"
    "if maxa > 0 and redis.call('ZCARD', pak) >= maxa then\n"
    "  return {inst, 'address_full', changed}\n"
    "end\n"
    "if phk and redis.call('ZCARD', phk) >= tonumber(ARGV[21]) then\n"
    "  return {inst, 'host_full', changed}\n"
    "end\n"
    "if redis.call('ZCARD', pend) >= tonumber(ARGV[18]) then return {inst, 'full', changed} end\n"
    /* Ended sessions are bounded too, as in store_memory.c: past
     * 2 * max_pending sessions in all, the ended one due to be forgotten
     * first goes now (each registration adds one, so two pops suffice). */
    "local ended = P .. 'ended'\n"
    "redis.call('ZREMRANGEBYSCORE', ended, '-inf', now)\n"
    "for _ = 1, 2 do\n"
    "  if redis.call('ZCARD', ended) + redis.call('ZCARD', pend) < 2 * tonumber(ARGV[18]) then\n"
    "    break\n"
    "  end\n"
    "  local old = redis.call('ZPOPMIN', ended)\n"
    "  if not old[1] then break end\n"
    "  local osth = redis.call('HGET', skey(old[1]), 'st')\n"
    "  redis.call('DEL', skey(old[1]))\n"
    "  if osth then redis.call('DEL', P .. 'st:' .. osth) end\n"
    "end\n"
    "local exp = now + ttl\n"
    "redis.call('HSET', skey(id), 'status', 'p', 'reason', 'none', 'exp', exp, 'st', sth,\n"
    "  'num', ARGV[5], 'user', ARGV[6], 'service', ARGV[7], 'host', ARGV[8],\n"
    "  'rhost', ARGV[9], 'created', ARGV[10], 'choices', ARGV[11], 'url', ARGV[12],\n"
    "  'req', ARGV[13], 'addr', ARGV[14], 'own', ARGV[15], 'cmd', ARGV[22])\n"
    "redis.call('PEXPIRE', skey(id), ttl + linger)\n"
    "redis.call('SET', stk, id, 'PX', ttl + linger)\n"
    "for _, k in ipairs(sets) do\n"
    "  redis.call('ZADD', k, exp, id)\n"
    "  if redis.call('PTTL', k) < ttl + linger then redis.call('PEXPIRE', k, ttl + linger) end\n"
    "end\n"
    "return {inst, 'ok', changed}\n";

static const char follow_lua[] =
    PRELUDE "local id, linger = ARGV[3], tonumber(ARGV[4])\n"
	    "local s = load(id)\n"
	    "if not s then return {inst, 'unknown', changed} end\n"
	    "refresh(id, s, linger)\n"
	    "if s.status ~= 'p' then return {inst, 'ended', changed} end\n"
	    "if s.link == '1' or s.cb == '1' then return {inst, 'used', changed} end\n"
	    "redis.call('HSET', skey(id), 'link', '1')\n"
	    "return {inst, 'ok', changed, s.url}\n";

static const char callback_lua[] = PRELUDE
    "local linger = tonumber(ARGV[8])\n"
    "local id = redis.call('GET', P .. 'st:' .. ARGV[3])\n"
    "if not id then return {inst, 'unknown', changed, ''} end\n"
    "local s = load(id)\n"
    "if not s then return {inst, 'unknown', changed, ''} end\n"
    "refresh(id, s, linger)\n"
    "if s.status ~= 'p' then return {inst, 'ended', changed, id} end\n"
    "if s.cb == '1' then return {inst, 'used', changed, id} end\n"
    "redis.call('HSET', skey(id), 'cb', '1')\n"
    "if ARGV[5] == '0' then\n"
    "  finish(id, s, 'r', 'denied', linger)\n"
    "  return {inst, 'refused', changed, id}\n"
    "end\n"
    "if ARGV[6] == '0' then\n"
    "  redis.call('HSET', skey(id), 'status', 'a', 'code', ARGV[4])\n"
    "  unpend(id, s)\n"
    "  wake(id)\n"
    "  return {inst, 'approved', changed, id}\n"
    "end\n"
    "redis.call('HSET', skey(id), 'code', ARGV[4], 'tok', ARGV[7])\n"
    "local v = redis.call('HMGET', skey(id), 'user', 'service', 'host', 'rhost', 'created',\n"
    "  'choices', 'cmd')\n"
    "return {inst, 'confirm', changed, id, v[1], v[2], v[3], v[4], v[5], v[6], v[7] or ''}\n";

static const char confirm_lua[] = PRELUDE
    "local id, linger = ARGV[3], tonumber(ARGV[6])\n"
    "local s = load(id)\n"
    "if not s then return {inst, 'unknown', changed} end\n"
    "refresh(id, s, linger)\n"
    "if s.status ~= 'p' then return {inst, 'ended', changed} end\n"
    "if not s.code or not s.tok or s.tok ~= ARGV[4] then return {inst, 'token', changed} end\n"
    "if tonumber(ARGV[5]) == tonumber(s.num) then\n"
    "  redis.call('HSET', skey(id), 'status', 'a')\n"
    "  redis.call('HDEL', skey(id), 'tok')\n"
    "  unpend(id, s)\n"
    "  wake(id)\n"
    "  return {inst, 'approved', changed}\n"
    "end\n"
    "finish(id, s, 'r', 'wrong_number', linger)\n"
    "return {inst, 'refused', changed}\n";

/* The code leaves with the session, in the same script: released once. */
static const char poll_lua[] =
    PRELUDE "local id, linger = ARGV[3], tonumber(ARGV[6])\n"
	    "local s = load(id)\n"
	    "if not s or (ARGV[4] == '1' and s.own ~= ARGV[5]) then\n"
	    "  return {inst, 'unknown', changed}\n"
	    "end\n"
	    "refresh(id, s, linger)\n"
	    "if s.status == 'a' then\n"
	    "  redis.call('DEL', skey(id), P .. 'st:' .. s.st)\n"
	    "  return {inst, 'ok', changed, 'a', 'none', 0, s.code or ''}\n"
	    "end\n"
	    "return {inst, 'ok', changed, s.status, s.reason, tonumber(s.exp) - now}\n";

static const char cancel_lua[] = PRELUDE "local id, linger = ARGV[3], tonumber(ARGV[6])\n"
					 "local s = load(id)\n"
					 "if not s or (ARGV[4] == '1' and s.own ~= ARGV[5]) then\n"
					 "  return {inst, 'unknown', changed}\n"
					 "end\n"
					 "refresh(id, s, linger)\n"
					 "if s.status == 'p' or s.status == 'a' then\n"
					 "  finish(id, s, 'r', 'cancelled', linger)\n"
					 "end\n"
					 "return {inst, 'ok', changed}\n";

const char *cbd_script_text(enum cbd_script which)
{
	switch (which) {
	case CBD_SCRIPT_INSTANCE:
		return instance_lua;
	case CBD_SCRIPT_ADD:
		return add_lua;
	case CBD_SCRIPT_FOLLOW:
		return follow_lua;
	case CBD_SCRIPT_CALLBACK:
		return callback_lua;
	case CBD_SCRIPT_CONFIRM:
		return confirm_lua;
	case CBD_SCRIPT_POLL:
		return poll_lua;
	case CBD_SCRIPT_CANCEL:
		return cancel_lua;
	case CBD_SCRIPT_COUNT:
		break;
	}
	return "";
}
