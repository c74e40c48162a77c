/* The helper's configuration: its keys, their defaults and their checks.
 *
 * Named conf.h rather than config.h so it can never shadow the autoconf
 * header of the same name. */
#ifndef CBD_CONF_H
#define CBD_CONF_H

#include "conf/cfg.h"
#include "base/err.h"

#define CBD_DEFAULT_CONFIG "/etc/dingtalk-callbackd.conf"
#define CBD_DEFAULT_LISTEN "127.0.0.1:8787"
#define CBD_PUBLIC_URL_MAX 512

/* The public listener's limits: see dingtalk-callbackd(8). */
#define CBD_DEFAULT_MAX_CONNECTIONS	    512
#define CBD_DEFAULT_MAX_CONNECTIONS_PER_IP  16
#define CBD_DEFAULT_REQUEST_TIMEOUT	    10
#define CBD_DEFAULT_MAX_PENDING_PER_ADDRESS 32
/* A fleet's jump host: its users' logins in flight at once. */
#define CBD_DEFAULT_MAX_PENDING_PER_HOST 64

/* Flow C's page loads DingTalk's JSAPI from the address DingTalk documents
 * (docs/dingtalk-api.md, flow C), pinned by inapp_jsapi_integrity. */
#define CBD_DEFAULT_INAPP_JSAPI_URL                                                                \
	"https://g.alicdn.com/dingding/dingtalk-jsapi/3.1.0/dingtalk.open.js"
#define CBD_INAPP_JSAPI_URL_MAX 512

/* The TCP control listener's connection limits (dingtalk-callbackd(8)). */
#define CBD_DEFAULT_CONTROL_MAX_CONNECTIONS 1024
/* The session store: memory (one host) or redis (a fleet of replicas). */
enum cbd_store_kind {
	CBD_STORE_MEMORY,
	CBD_STORE_REDIS,
};
#define CBD_DEFAULT_REDIS_PREFIX  "dingtalk:"
#define CBD_DEFAULT_REDIS_TIMEOUT 500 /* ms */
#define CBD_REDIS_PREFIX_MAX	  64
#define CBD_REDIS_SENTINELS_MAX	  8
/* redis_failover_grace: seconds a control wait rides out a store outage
 * (control.c). Its default depends on redis_sentinels, so the parser
 * leaves this mark and cbd_conf_check_store settles it. */
#define CBD_REDIS_GRACE_MAX		 120
#define CBD_REDIS_GRACE_SENTINEL_DEFAULT 10
#define CBD_REDIS_GRACE_UNSET		 ((unsigned)-1)

/* How the person gives the terminal's number (dingtalk-callbackd.conf's
 * `confirm`). */
enum cbd_confirm_mode {
	CBD_CONFIRM_OFF,  /* no page: DingTalk's answer approves at once */
	CBD_CONFIRM_TYPE, /* type the two digits (the default) */
	CBD_CONFIRM_PICK, /* tap one of three numbers */
};

struct cbd_conf {
	char *listen;	      /* public HTTP address: host:port or [v6]:port */
	char *control;	      /* control socket path */
	char *public_url;     /* what phones reach, no trailing slash */
	unsigned max_pending; /* live pending sessions at most */
	/* ... of them from one requester (a local uid, a remote address and
	 * account): one user cannot fill max_pending for everyone. */
	unsigned max_pending_per_requester;
	/* ... of them from one address (a remote address, IPv6 by /64, or a
	 * local uid), whatever account each names; 0: no limit. */
	unsigned max_pending_per_address;
	/* ... of them registered by one fleet host (the signing key's host,
	 * over control_listen): one host, however compromised, cannot fill
	 * max_pending for the fleet. The Unix socket's are not counted. */
	unsigned max_pending_per_host;
	unsigned linger;      /* seconds an ended session's outcome is kept */
	int confirm;	      /* enum cbd_confirm_mode, after cbd_conf_finish */
	unsigned session_ttl; /* seconds, the longest a session may live */
	int debug;
	/* The public listener's limits (slowloris, floods from one address) */
	unsigned max_connections;	 /* at once, from everyone */
	unsigned max_connections_per_ip; /* at once, from one address; 0: no limit */
	unsigned request_timeout;	 /* seconds to receive and answer a request */
	/* The control API over TCP for a fleet's hosts (docs/control-api.md,
	 * "The TCP control listener"): off while control_listen is NULL. */
	char *control_listen;	/* host:port or [v6]:port */
	char *control_tls_cert; /* PEM; both or neither; neither: loopback only */
	char *control_tls_key;
	char *host_keys;       /* who may sign (hostkeys.h); required with control_listen */
	unsigned control_skew; /* seconds a signed request's timestamp may be off */
	unsigned control_max_connections;	 /* at once on the TCP control listener */
	unsigned control_max_connections_per_ip; /* ... from one address; 0: no limit */
	/* The session store (conf_store.c checks these keys) */
	int store;		   /* enum cbd_store_kind */
	char *redis;		   /* host:port, [v6]:port or unix:/path */
	char *redis_sentinels;	   /* host:port ..., with redis_master */
	char *redis_master;	   /* the name the sentinels monitor */
	char *redis_user;	   /* ACL user, with redis_password_file */
	char *redis_password_file; /* a secret file: the password on its first line */
	unsigned redis_db;
	char *redis_prefix;	/* every key's prefix */
	unsigned redis_timeout; /* ms, to connect and for each command */
	/* seconds a wait that finds the store down keeps re-reading before it
	 * answers store_down: 10 with redis_sentinels, else 0 (at once) */
	unsigned redis_failover_grace;
	/* Flow C's JSAPI (conf_inapp.c): its https address and the
	 * "sha256-/sha384-/sha512-<base64>" hash the browser checks it
	 * against. Without the hash flow C's page refuses to run. */
	char *inapp_jsapi_url;
	char *inapp_jsapi_integrity;
	/* Not a key: "https://host[:port]" of inapp_jsapi_url, for the
	 * page's script policy; set by cbd_conf_check_inapp. */
	char *inapp_jsapi_origin;
	/* Not a key: read from redis_password_file by cbd_conf_finish,
	 * wiped by cbd_conf_free. */
	char *redis_password;
};

extern const struct dt_cfg_key cbd_conf_keys[];

/* Sets the defaults that the parser may then overwrite. */
void cbd_conf_init(struct cbd_conf *conf);

/* Fills the string defaults the file left unset and checks the result.
 * Errors name the key and the file. */
int cbd_conf_finish(struct cbd_conf *conf, const char *path, struct dt_err *err);

void cbd_conf_free(struct cbd_conf *conf);

/* conf_store.c: the store's keys after parsing. Refuses wrong
 * combinations (redis keys with store = memory, redis and
 * redis_sentinels together, ...) naming the file, the line and the key,
 * and reads redis_password_file. */
int cbd_conf_check_store(struct cbd_conf *conf, const char *path, struct dt_err *err);

/* conf_inapp.c: flow C's keys after parsing. inapp_jsapi_url defaults
 * to CBD_DEFAULT_INAPP_JSAPI_URL and must be https://host[:port]/path in
 * a narrow character set (it goes into HTML and a CSP); a set
 * inapp_jsapi_integrity must be one sha256-, sha384- or sha512- hash in
 * base64 of the right length. Errors name the file, the line and the key.
 * Fills inapp_jsapi_origin. */
int cbd_conf_check_inapp(struct cbd_conf *conf, const char *path, struct dt_err *err);

/* Splits a list separated by commas or whitespace: calls `fn` for each
 * item (NUL-terminated in a scratch copy); stops at the first nonzero. */
int cbd_conf_each_item(const char *list, int (*fn)(void *ctx, const char *item), void *ctx);

/* Splits "host:port", "[v6]:port" or "*:port" into host (NULL for any) and
 * port. `host` must hold `host_size` bytes. */
int cbd_split_hostport(const char *addr, char *host, size_t host_size, char *port,
		       size_t port_size);

/* Whether `host` (as cbd_split_hostport gives it) is a numeric loopback
 * address: 127.0.0.0/8 or ::1. A name is not, whatever it resolves to. */
int cbd_host_is_loopback(const char *host);

#endif
