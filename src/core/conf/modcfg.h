/* The module's configuration: the key table, defaults, and the order of
 * precedence (conf= argument, then the file, then key=value arguments). */
#ifndef DT_MODCFG_H
#define DT_MODCFG_H

#include "base/err.h"
#include "conf/helper_urls.h"
#include "conf/types.h"
#include "proto/control_api.h"
#include "proto/reqsign.h"

struct dt_cfg_key;

#define DT_DEFAULT_CONF	  "/etc/security/pam_dingtalk.conf"
#define DT_DEFAULT_MAP	  "/etc/security/pam_dingtalk.map"
#define DT_DEFAULT_HELPER "unix:" DT_CONTROL_SOCKET
/* A fleet host's key: "KEY_ID SECRET", root-only (proto/reqsign.h). */
#define DT_DEFAULT_HELPER_KEY_FILE "/etc/security/pam_dingtalk.hostkey"
#define DT_DEFAULT_LOGIN_BASE	   "https://login.dingtalk.com"
#define DT_DEFAULT_API_BASE	   "https://api.dingtalk.com"
#define DT_DEFAULT_OAPI_BASE	   "https://oapi.dingtalk.com"
/* Root-only and shared by every process of the module on this host; /run
 * is a tmpfs, so a stale token never outlives a reboot. */
#define DT_DEFAULT_TOKEN_CACHE "/run/pam_dingtalk/app-token"
/* Below sshd's default LoginGraceTime of 120 s, so the module gives up (and
 * cancels the session) before sshd cuts the connection. */
#define DT_DEFAULT_TIMEOUT 90

#define DT_DEFAULT_MAX_TRIES 10
/* Over sshd, a wait without a prompt turns into the prompt after this many
 * seconds without a decision: a client that showed nothing (OpenSSH before
 * 10.3 with -q) or an sshd that holds info messages still gets the link,
 * the number and a way to answer (docs/ssh-wait.md). */
#define DT_DEFAULT_PROMPT_AFTER 25
/* The least prompt_after may be set to (conf/prompt_after.h). */
#define DT_PROMPT_AFTER_MIN	 5
#define DT_DEFAULT_MAP_SOURCES	 "file"
#define DT_DEFAULT_RECOVERY_FILE "/etc/security/pam_dingtalk.recovery"

struct dt_modcfg {
	char *client_id;
	char *client_secret;
	char *login_base;
	char *api_base;
	char *ca_file;
	char *proxy;
	char *helper;
	const char *helper_socket; /* the path in `helper = unix:/path`; NULL for a fleet */
	char *helper_user;	   /* besides root, who may listen on the helper's socket */
	/* issue 12: a fleet of https replicas (helpers.n > 0) */
	struct dt_helper_urls helpers; /* `helper` parsed */
	char helper_origin[512];       /* where `helper` was set: "FILE:LINE", "module argument" */
	char *helper_ca_file;	       /* the replicas' CA bundle; NULL: the system store */
	char *helper_key_file;	       /* this host's signing key */
	struct dt_host_key helper_key; /* loaded from it for a fleet; wiped by dt_modcfg_free */
	char *map_file;
	/* issue 5: who may log in as whom, parsed from the keys in `text` */
	struct dt_map_spec map;		   /* map: the sources in order */
	unsigned map_transform;		   /* DT_XFORM_*, for directory:<field> names */
	struct dt_group_list only_groups;  /* local groups in scope */
	struct dt_group_list skip_groups;  /* local groups left to the rest of the stack */
	struct dt_dept_list allowed_depts; /* department ids, through dept_id_list */
	struct dt_domain_list
	    email_domain; /* directory:email: the domains whose addresses name accounts */
	/* Those keys as written: conf/ parses them into the fields above; the
	 * rest of the module only shows them. */
	struct {
		char *map;
		char *map_transform;
		char *only_groups;
		char *skip_groups;
		char *allowed_depts;
		char *email_domain;
	} text;
	int require_active; /* the directory must say active */
	int allow_root;	    /* may a DingTalk identity log in as uid 0 */
	enum dt_failmode failmode;
	enum dt_audit_format audit;
	unsigned timeout;
	enum dt_qr_style qr;
	enum dt_wait_mode wait;
	enum dt_lang lang;
	unsigned max_tries;
	unsigned prompt_after; /* over sshd: seconds of waiting without a prompt */
	int debug;
	/* issue 4: the DingTalk client */
	char *corp_id;
	char *oapi_base;
	char *token_cache;
	enum dt_flow flow;
	enum dt_token_api token_api;
	int directory;	    /* look the person up in the organisation's directory */
	int allow_external; /* let external contacts (contact_type 1) log in */
	int proxy_env;	    /* honour http(s)_proxy/no_proxy when `proxy` is unset */
	/* break-glass codes, accepted only while DingTalk is unreachable */
	int recovery;
	char *recovery_file;
	/* issue 5: console login without a typed name */
	int set_user; /* no PAM_USER yet: the approved identity names the account */
};

/* The keys of pam_dingtalk.conf (conf/cfg.h), for parsing text as the
 * module does. */
extern const struct dt_cfg_key *const dt_modcfg_keys;

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

#endif
