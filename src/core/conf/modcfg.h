/* The module's configuration: the key table, defaults, and the order of
 * precedence (conf= argument, then the file, then key=value arguments). */
#ifndef DT_MODCFG_H
#define DT_MODCFG_H

#include "conf/cfg.h"
#include "proto/control_api.h"

#define DT_DEFAULT_CONF	      "/etc/security/pam_dingtalk.conf"
#define DT_DEFAULT_MAP	      "/etc/security/pam_dingtalk.map"
#define DT_DEFAULT_HELPER     "unix:" DT_CONTROL_SOCKET
#define DT_DEFAULT_LOGIN_BASE "https://login.dingtalk.com"
#define DT_DEFAULT_API_BASE   "https://api.dingtalk.com"
#define DT_DEFAULT_OAPI_BASE  "https://oapi.dingtalk.com"
/* Root-only and shared by every process of the module on this host; /run
 * is a tmpfs, so a stale token never outlives a reboot. */
#define DT_DEFAULT_TOKEN_CACHE "/run/pam_dingtalk/app-token"
/* Below sshd's default LoginGraceTime of 120 s, so the module gives up (and
 * cancels the session) before sshd cuts the connection. */
#define DT_DEFAULT_TIMEOUT 90

enum dt_qr_style { DT_QR_AUTO, DT_QR_UTF8, DT_QR_BLOCK, DT_QR_ASCII, DT_QR_OFF };

/* How the module waits for the phone. OpenSSH before 10.3 holds info
 * messages until the next prompt, so over sshd the QR must travel with a
 * prompt (enter); sudo and login show info at once (poll). */
enum dt_wait_mode { DT_WAIT_AUTO, DT_WAIT_ENTER, DT_WAIT_POLL };

enum dt_lang { DT_LANG_AUTO, DT_LANG_EN, DT_LANG_ZH_CN };

#define DT_DEFAULT_MAX_TRIES 10
/* The three DingTalk login flows (shared/dingtalk-api.md: A, B, C). */
enum dt_flow { DT_FLOW_OAUTH2, DT_FLOW_SNS, DT_FLOW_INAPP };

/* Where the app token comes from: POST /v1.0/oauth2/accessToken or the old
 * GET /gettoken. */
enum dt_token_api { DT_TOKEN_API_V1, DT_TOKEN_API_GETTOKEN };

/* What infrastructure errors (helper or DingTalk unreachable, a broken map
 * file) become: PAM_AUTHINFO_UNAVAIL (secure) or PAM_IGNORE (safe). */
enum dt_failmode { DT_FAILMODE_SECURE, DT_FAILMODE_SAFE };

/* The audit line: key=value text or one JSON object. */
enum dt_audit_format { DT_AUDIT_TEXT, DT_AUDIT_JSON };

#define DT_DEFAULT_MAP_SOURCES "file"

struct dt_modcfg {
	char *client_id;
	char *client_secret;
	char *login_base;
	char *api_base;
	char *ca_file;
	char *proxy;
	char *helper;
	char *helper_user; /* besides root, who may listen on the helper's socket */
	char *map_file;
	/* issue 5: who may log in as whom */
	char *map;	     /* map sources in order: file userfile directory:<field> */
	char *only_groups;   /* local groups in scope ("!" negates) */
	char *skip_groups;   /* local groups left to the rest of the stack */
	char *map_transform; /* directory:<field> names: lower strip_domain */
	char *allowed_depts; /* department ids, through dept_id_list */
	char *email_domain;  /* directory:email: the domains whose addresses name accounts */
	int require_active;  /* the directory must say active */
	int allow_root;	     /* may a DingTalk identity log in as uid 0 */
	int failmode;	     /* enum dt_failmode */
	int audit;	     /* enum dt_audit_format */
	unsigned timeout;
	int qr;	  /* enum dt_qr_style */
	int wait; /* enum dt_wait_mode */
	int lang; /* enum dt_lang */
	unsigned max_tries;
	int debug;
	/* issue 4: the DingTalk client */
	char *corp_id;
	char *oapi_base;
	char *token_cache;
	int flow;	    /* enum dt_flow */
	int token_api;	    /* enum dt_token_api */
	int directory;	    /* look the person up in the organisation's directory */
	int allow_external; /* let external contacts (contact_type 1) log in */
	int proxy_env;	    /* honour http(s)_proxy/no_proxy when `proxy` is unset */
	/* break-glass codes, accepted only while DingTalk is unreachable */
	int recovery;
	char *recovery_file;
	/* issue 5: console login without a typed name */
	int set_user; /* no PAM_USER yet: the approved identity names the account */
};

extern const struct dt_cfg_key dt_modcfg_keys[];

/* Loads the configuration from module arguments: `conf=PATH` picks the
 * file, `debug` turns on debug logging, any `key=value` overrides the file.
 * Checks required keys and that every URL is safe to use. */
int dt_modcfg_load(struct dt_modcfg *cfg, int argc, const char **argv, struct dt_err *err);

/* The same for one PAM service: keys in a `[service NAME]` section of the
 * file override the top of the file when NAME is `service`; module
 * arguments override both. Sections for other services are checked too. */
int dt_modcfg_load_for(struct dt_modcfg *cfg, const char *service, int argc, const char **argv,
		       struct dt_err *err);

/* Applies defaults and validates; exposed for tests and the CLI. */
int dt_modcfg_finish(struct dt_modcfg *cfg, struct dt_err *err);

void dt_modcfg_free(struct dt_modcfg *cfg);

/* TLS is always verified; plain http:// is accepted only for a loopback host
 * (a local mock or a TLS-terminating proxy on the same machine). */
int dt_check_base_url(const char *key, const char *url, struct dt_err *err);

/* The Unix socket path of `helper = unix:/path`, or NULL if not that form. */
const char *dt_helper_socket_path(const char *helper);

#endif
