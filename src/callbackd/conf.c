/* The helper's key table, defaults and post-parse validation. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "proto/control_api.h"
#include "base/util.h"

static const char *const store_kinds[] = {"memory", "redis", NULL};
/* confirm: the three modes, then the yes/no words of earlier versions
 * (yes meant "show the page": now the default, type). cbd_conf_finish
 * folds them into enum cbd_confirm_mode. */
static const char *const confirm_words[] = {"off",  "type", "pick", "no", "yes", "false",
					    "true", "0",    "1",    "on", NULL};
static const int confirm_modes[] = {
    CBD_CONFIRM_OFF, CBD_CONFIRM_TYPE, CBD_CONFIRM_PICK, CBD_CONFIRM_OFF,  CBD_CONFIRM_TYPE,
    CBD_CONFIRM_OFF, CBD_CONFIRM_TYPE, CBD_CONFIRM_OFF,	 CBD_CONFIRM_TYPE, CBD_CONFIRM_TYPE};

const struct dt_cfg_key cbd_conf_keys[] = {
    {"listen", DT_CFG_STRING, offsetof(struct cbd_conf, listen), 0, 0, NULL, 0},
    {"control", DT_CFG_STRING, offsetof(struct cbd_conf, control), 0, 0, NULL, 0},
    {"public_url", DT_CFG_STRING, offsetof(struct cbd_conf, public_url), 0, 0, NULL, 0},
    {"max_pending", DT_CFG_UINT, offsetof(struct cbd_conf, max_pending), 1, 100000, NULL, 0},
    {"max_pending_per_requester", DT_CFG_UINT, offsetof(struct cbd_conf, max_pending_per_requester),
     1, 100000, NULL, 0},
    {"max_pending_per_address", DT_CFG_UINT, offsetof(struct cbd_conf, max_pending_per_address), 0,
     100000, NULL, 0},
    {"max_pending_per_host", DT_CFG_UINT, offsetof(struct cbd_conf, max_pending_per_host), 1,
     100000, NULL, 0},
    {"linger", DT_CFG_UINT, offsetof(struct cbd_conf, linger), 1, 3600, NULL, 0},
    {"confirm", DT_CFG_ENUM, offsetof(struct cbd_conf, confirm), 0, 0, confirm_words, 0},
    {"session_ttl", DT_CFG_UINT, offsetof(struct cbd_conf, session_ttl), 10, 3600, NULL, 0},
    {"debug", DT_CFG_BOOL, offsetof(struct cbd_conf, debug), 0, 1, NULL, 0},
    /* the public listener's limits */
    {"max_connections", DT_CFG_UINT, offsetof(struct cbd_conf, max_connections), 1, 10000, NULL, 0},
    {"max_connections_per_ip", DT_CFG_UINT, offsetof(struct cbd_conf, max_connections_per_ip), 0,
     10000, NULL, 0},
    {"request_timeout", DT_CFG_UINT, offsetof(struct cbd_conf, request_timeout), 1, 600, NULL, 0},
    /* the control API over TCP (a fleet) */
    {"control_listen", DT_CFG_STRING, offsetof(struct cbd_conf, control_listen), 0, 0, NULL, 0},
    {"control_tls_cert", DT_CFG_STRING, offsetof(struct cbd_conf, control_tls_cert), 0, 0, NULL, 0},
    {"control_tls_key", DT_CFG_STRING, offsetof(struct cbd_conf, control_tls_key), 0, 0, NULL, 0},
    {"host_keys", DT_CFG_STRING, offsetof(struct cbd_conf, host_keys), 0, 0, NULL, 0},
    {"control_skew", DT_CFG_UINT, offsetof(struct cbd_conf, control_skew), 5, 600, NULL, 0},
    {"control_max_connections", DT_CFG_UINT, offsetof(struct cbd_conf, control_max_connections), 1,
     10000, NULL, 0},
    {"control_max_connections_per_ip", DT_CFG_UINT,
     offsetof(struct cbd_conf, control_max_connections_per_ip), 0, 10000, NULL, 0},
    /* the session store (conf_store.c) */
    {"store", DT_CFG_ENUM, offsetof(struct cbd_conf, store), 0, 0, store_kinds, 0},
    {"redis", DT_CFG_STRING, offsetof(struct cbd_conf, redis), 0, 0, NULL, 0},
    {"redis_sentinels", DT_CFG_STRING, offsetof(struct cbd_conf, redis_sentinels), 0, 0, NULL, 0},
    {"redis_master", DT_CFG_STRING, offsetof(struct cbd_conf, redis_master), 0, 0, NULL, 0},
    {"redis_user", DT_CFG_STRING, offsetof(struct cbd_conf, redis_user), 0, 0, NULL, 0},
    {"redis_password_file", DT_CFG_STRING, offsetof(struct cbd_conf, redis_password_file), 0, 0,
     NULL, 0},
    {"redis_db", DT_CFG_UINT, offsetof(struct cbd_conf, redis_db), 0, 255, NULL, 0},
    {"redis_prefix", DT_CFG_STRING, offsetof(struct cbd_conf, redis_prefix), 0, 0, NULL, 0},
    {"redis_timeout", DT_CFG_UINT, offsetof(struct cbd_conf, redis_timeout), 50, 10000, NULL, 0},
    {"redis_failover_grace", DT_CFG_UINT, offsetof(struct cbd_conf, redis_failover_grace), 0,
     CBD_REDIS_GRACE_MAX, NULL, 0},
    /* flow C's JSAPI (conf_inapp.c) */
    {"inapp_jsapi_url", DT_CFG_STRING, offsetof(struct cbd_conf, inapp_jsapi_url), 0, 0, NULL, 0},
    {"inapp_jsapi_integrity", DT_CFG_STRING, offsetof(struct cbd_conf, inapp_jsapi_integrity), 0, 0,
     NULL, 0},
    DT_CFG_END,
};

void cbd_conf_init(struct cbd_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->max_pending = 1024;
	conf->max_pending_per_requester = 8;
	conf->max_pending_per_address = CBD_DEFAULT_MAX_PENDING_PER_ADDRESS;
	conf->max_pending_per_host = CBD_DEFAULT_MAX_PENDING_PER_HOST;
	conf->linger = 60;
	conf->confirm = 1; /* "type" */
	conf->session_ttl = 120;
	conf->max_connections = CBD_DEFAULT_MAX_CONNECTIONS;
	conf->max_connections_per_ip = CBD_DEFAULT_MAX_CONNECTIONS_PER_IP;
	conf->request_timeout = CBD_DEFAULT_REQUEST_TIMEOUT;
	conf->control_skew = DT_SIGN_SKEW_DEFAULT_S;
	conf->control_max_connections = CBD_DEFAULT_CONTROL_MAX_CONNECTIONS;
	conf->store = CBD_STORE_MEMORY;
	conf->redis_timeout = CBD_DEFAULT_REDIS_TIMEOUT;
	conf->redis_failover_grace = CBD_REDIS_GRACE_UNSET;
}

static int default_string(char **field, const char *value, struct dt_err *err)
{
	if (*field != NULL)
		return 0;
	*field = strdup(value);
	if (*field == NULL)
		return dt_err_oom(err);
	return 0;
}

int cbd_split_hostport(const char *addr, char *host, size_t host_size, char *port, size_t port_size)
{
	const char *colon, *hbeg = addr, *hend;
	size_t hlen, plen;
	char *end;
	unsigned long p;

	if (addr[0] == '[') {
		hbeg = addr + 1;
		hend = strchr(hbeg, ']');
		if (hend == NULL || hend[1] != ':')
			return -1;
		colon = hend + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -1;
		hend = colon;
	}
	hlen = (size_t)(hend - hbeg);
	plen = strlen(colon + 1);
	if (hlen == 0 || hlen >= host_size || plen == 0 || plen >= port_size)
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] < '0' || colon[1] > '9' || p == 0 || p > 65535)
		return -1;
	memcpy(host, hbeg, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, plen + 1);
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	return 0;
}

/* http(s)://host[:port][/path], printable ASCII, no query, fragment or
 * trailing slash: it is pasted into redirect_uri and into short links. */
static int check_public_url(const char *url, const char *path, struct dt_err *err)
{
	const char *rest, *p;
	size_t len = strlen(url);

	if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: public_url must start with http:// or https://", path);
	if (len > CBD_PUBLIC_URL_MAX)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: public_url is longer than %d bytes",
				  path, CBD_PUBLIC_URL_MAX);
	if (*rest == '\0' || *rest == '/')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: public_url has no host", path);
	if (url[len - 1] == '/')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: public_url must not end with '/' (got '%s')", path, url);
	for (p = url; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#' || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '\\')
			return dt_err_set(err, DT_ERR_CONFIG,
					  "%s: public_url contains a character not allowed "
					  "in a base URL (spaces, quotes, '?', '#')",
					  path);
	}
	return 0;
}

static int check_control(const char *control, const char *path, struct dt_err *err)
{
	struct sockaddr_un sun;

	if (control[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: control must be an absolute socket path (got '%s')", path,
				  control);
	if (strlen(control) >= sizeof(sun.sun_path))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: control path is longer than %zu bytes",
				  path, sizeof(sun.sun_path) - 1);
	return 0;
}

int cbd_host_is_loopback(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	return inet_pton(AF_INET6, host, a) == 1 && IN6_IS_ADDR_LOOPBACK((struct in6_addr *)a);
}

/* A file a key names: given, not empty, an absolute path (the service
 * may run from any directory, and a relative name would change meaning). */
static int check_file_key(const char *key, const char *value, const char *path, struct dt_err *err)
{
	if (value[0] != '/')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: %s must be an absolute path (got '%s')",
				  path, key, value);
	return 0;
}

/* The keys of the TCP control listener are all or nothing: without
 * control_listen, any of the others is a mistake worth stopping for (an
 * administrator who set a certificate expects TLS somewhere). */
static int check_control_off(const struct cbd_conf *conf, const char *path, struct dt_err *err)
{
	const char *stray = conf->control_tls_cert != NULL  ? "control_tls_cert"
			    : conf->control_tls_key != NULL ? "control_tls_key"
			    : conf->host_keys != NULL	    ? "host_keys"
							    : NULL;

	if (stray == NULL)
		return 0;
	return dt_err_set(err, DT_ERR_CONFIG,
			  "%s: %s is set but control_listen is not; set control_listen to "
			  "serve the control API over TCP, or remove %s",
			  path, stray, stray);
}

/* control_listen's rules: a valid address; TLS (certificate and key, both)
 * or, without TLS, a loopback address only (a local proxy terminates TLS);
 * host_keys always, since every request there must be signed. */
static int check_control_tcp(const struct cbd_conf *conf, const char *path, struct dt_err *err)
{
	char host[256], port[8];
	int tls;

	if (conf->control_listen == NULL)
		return check_control_off(conf, path, err);
	if (cbd_split_hostport(conf->control_listen, host, sizeof(host), port, sizeof(port)) != 0)
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s: control_listen must be host:port or [v6addr]:port (got '%s')", path,
		    conf->control_listen);
	if ((conf->control_tls_cert == NULL) != (conf->control_tls_key == NULL))
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s: control_tls_cert and control_tls_key go together; %s is "
		    "missing",
		    path, conf->control_tls_cert == NULL ? "control_tls_cert" : "control_tls_key");
	tls = conf->control_tls_cert != NULL;
	if (tls && (check_file_key("control_tls_cert", conf->control_tls_cert, path, err) != 0 ||
		    check_file_key("control_tls_key", conf->control_tls_key, path, err) != 0))
		return -1;
	if (!tls && !cbd_host_is_loopback(host))
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: control_listen %s has no TLS: without control_tls_cert and "
				  "control_tls_key it may only be a loopback address (127.0.0.1, "
				  "[::1]) behind a local TLS proxy",
				  path, conf->control_listen);
	if (conf->host_keys == NULL)
		return dt_err_set(
		    err, DT_ERR_CONFIG,
		    "%s: control_listen needs host_keys (the file of the hosts' keys, "
		    "e.g. /etc/dingtalk-callbackd/host-keys): every request there "
		    "must be signed",
		    path);
	return check_file_key("host_keys", conf->host_keys, path, err);
}

int cbd_conf_finish(struct cbd_conf *conf, const char *path, struct dt_err *err)
{
	char host[256], port[8];

	if (conf->confirm >= 0 &&
	    (size_t)conf->confirm < sizeof(confirm_modes) / sizeof(confirm_modes[0]))
		conf->confirm = confirm_modes[conf->confirm];
	if (default_string(&conf->listen, CBD_DEFAULT_LISTEN, err) != 0 ||
	    default_string(&conf->control, DT_CONTROL_SOCKET, err) != 0)
		return -1;
	if (conf->public_url == NULL || conf->public_url[0] == '\0')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: public_url is required (the address phones reach, "
				  "e.g. https://login.example.com)",
				  path);
	if (check_public_url(conf->public_url, path, err) != 0)
		return -1;
	if (cbd_split_hostport(conf->listen, host, sizeof(host), port, sizeof(port)) != 0)
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: listen must be host:port or [v6addr]:port (got '%s')", path,
				  conf->listen);
	if (check_control(conf->control, path, err) != 0)
		return -1;
	if (check_control_tcp(conf, path, err) != 0 || cbd_conf_check_inapp(conf, path, err) != 0)
		return -1;
	return cbd_conf_check_store(conf, path, err);
}

void cbd_conf_free(struct cbd_conf *conf)
{
	dt_free_secret(conf->redis_password);
	conf->redis_password = NULL;
	free(conf->inapp_jsapi_origin);
	conf->inapp_jsapi_origin = NULL;
	dt_cfg_free(cbd_conf_keys, conf);
}
