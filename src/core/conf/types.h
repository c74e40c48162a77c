/* The small value types of the module's configuration: what a key's value
 * becomes once conf/ has parsed it. Code that only needs to name a QR
 * style or a map source includes this, not the whole configuration. */
#ifndef DT_CONF_TYPES_H
#define DT_CONF_TYPES_H

#include <stddef.h>

enum dt_qr_style { DT_QR_AUTO, DT_QR_UTF8, DT_QR_BLOCK, DT_QR_ASCII, DT_QR_OFF };

/* How the module waits for the phone. OpenSSH before 10.3 holds info
 * messages until the next prompt, so over sshd the QR must travel with a
 * prompt (enter); sudo and login show info at once (poll). */
enum dt_wait_mode { DT_WAIT_AUTO, DT_WAIT_ENTER, DT_WAIT_POLL };

enum dt_lang { DT_LANG_AUTO, DT_LANG_EN, DT_LANG_ZH_CN };

/* The three DingTalk login flows (docs/architecture.md: A, B, C). */
enum dt_flow { DT_FLOW_OAUTH2, DT_FLOW_SNS, DT_FLOW_INAPP };

/* Where the app token comes from: POST /v1.0/oauth2/accessToken or the old
 * GET /gettoken. */
enum dt_token_api { DT_TOKEN_API_V1, DT_TOKEN_API_GETTOKEN };

/* What infrastructure errors (helper or DingTalk unreachable, a broken map
 * file) become: PAM_AUTHINFO_UNAVAIL (secure) or PAM_IGNORE (safe). */
enum dt_failmode { DT_FAILMODE_SECURE, DT_FAILMODE_SAFE };

/* The audit line: key=value text or one JSON object. */
enum dt_audit_format { DT_AUDIT_TEXT, DT_AUDIT_JSON };

/* map = file userfile directory:<field>: the sources tried in order. */
enum dt_map_kind { DT_MAP_FILE, DT_MAP_USERFILE, DT_MAP_DIRECTORY };
enum dt_dir_field { DT_DIR_USERID, DT_DIR_JOB_NUMBER, DT_DIR_EMAIL, DT_DIR_ORG_EMAIL };

#define DT_MAP_MAX_SOURCES 8

struct dt_map_source {
	enum dt_map_kind kind;
	enum dt_dir_field field; /* DT_MAP_DIRECTORY only */
};

struct dt_map_spec {
	size_t n;
	struct dt_map_source src[DT_MAP_MAX_SOURCES];
};

/* map_transform: flags applied to a name from directory:<field>. */
#define DT_XFORM_LOWER	      1u
#define DT_XFORM_STRIP_DOMAIN 2u

/* email_domain: the domains, each checked to be a plain domain name. */
struct dt_domain_list {
	size_t n; /* 0: the key is unset and no address is trusted */
	char **name;
};

/* only_groups, skip_groups: local groups, each possibly negated ("!g"). */
struct dt_group {
	char *name;
	int negated;
};

struct dt_group_list {
	int set;  /* the key was given (a list of only separators is still set) */
	size_t n; /* may be 0 when set */
	struct dt_group *group;
};

/* allowed_depts: DingTalk department ids. */
struct dt_dept_list {
	int set; /* the key was given: a list of only separators admits nobody */
	size_t n;
	long long *id;
};

#endif
