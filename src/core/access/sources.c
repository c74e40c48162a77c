#include "config.h"

#include "access/sources.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "access/emaildomain.h"
#include "dingtalk/permission.h"
#include "base/util.h"
#include "conf/map_spec.h"

#define USER_MAX    32
#define TOKEN_SHOWN 64

int dt_valid_user_name(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > USER_MAX || name[0] == '-' || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '$' && i == len - 1 && i > 0)
			continue;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

static const char *field_value(const struct dt_identity *who, enum dt_dir_field field)
{
	switch (field) {
	case DT_DIR_USERID:
		return who->user_id;
	case DT_DIR_JOB_NUMBER:
		return who->job_number;
	case DT_DIR_EMAIL:
		return who->email;
	case DT_DIR_ORG_EMAIL:
		return who->org_email;
	}
	return NULL;
}

/* An address outside email_domain names nobody: its local part alone
 * would let alice@anywhere log in as alice. */
static int email_local_part(const char *value, enum dt_dir_field field,
			    const struct dt_domain_list *email_domains, char *out, size_t size,
			    struct dt_err *err)
{
	int local = dt_email_local_len(value, email_domains);
	const char *at = strchr(value, '@');
	char shown[TOKEN_SHOWN + 1];

	if (local < 0) {
		snprintf(shown, sizeof(shown), "%s", at != NULL ? at + 1 : "");
		dt_sanitize_text(shown);
		return dt_err_set(err, DT_ERR_DENIED,
				  "directory:%s: the address's domain '%s' is not in email_domain",
				  dt_dir_field_name(field), shown);
	}
	snprintf(out, size, "%.*s", local, value);
	return (size_t)local >= size ? 1 : 0;
}

/* DingTalk leaves a field out when it is empty or the app may not read it
 * (查询用户详情): say which it may be. */
static int no_value(const struct dt_identity *who, enum dt_dir_field field, struct dt_err *err)
{
	char perm[160];

	if (who->contact_type < 0)
		return dt_err_set(
		    err, DT_ERR_DENIED,
		    "directory:%s: no directory look-up was made (is directory = yes set?)",
		    dt_dir_field_name(field));
	if (field == DT_DIR_EMAIL) {
		dt_permission_name(dt_permission_email(), perm, sizeof(perm));
		return dt_err_set(
		    err, DT_ERR_DENIED,
		    "directory:email: DingTalk gives no email for unionId %s: the person "
		    "has none, or the app lacks the permission %s, without which DingTalk "
		    "leaves email out",
		    who->union_id, perm);
	}
	if (field == DT_DIR_ORG_EMAIL)
		return dt_err_set(
		    err, DT_ERR_DENIED,
		    "directory:org_email: DingTalk gives no org_email for unionId %s: "
		    "the organisation's mail (企业邮箱) is not set up for the person",
		    who->union_id);
	return dt_err_set(err, DT_ERR_DENIED, "directory:%s: DingTalk gives none for unionId %s",
			  dt_dir_field_name(field), who->union_id);
}

/* An external contact's record (topapi/extcontact/get) is typed by
 * whichever employee created it: its email says what that employee
 * wrote, so alice@corp.example there proves nothing about alice. Such a
 * person is named only by their unionId (map file, userfile), which
 * DingTalk itself vouches for. */
static int refuse_external(const struct dt_identity *who, enum dt_dir_field field,
			   struct dt_err *err)
{
	return dt_err_set(err, DT_ERR_DENIED,
			  "directory:%s: unionId %s is an external contact, whose directory "
			  "fields are free text typed by whoever created the contact record: "
			  "refused; only a unionId map (file, userfile) can admit an external "
			  "contact",
			  dt_dir_field_name(field), who->union_id != NULL ? who->union_id : "");
}

int dt_directory_name(const struct dt_identity *who, enum dt_dir_field field, unsigned xform,
		      const struct dt_domain_list *email_domains, char *out, size_t size,
		      struct dt_err *err)
{
	const char *value = field_value(who, field);
	int too_long;
	char *p;

	if (who->contact_type == 1)
		return refuse_external(who, field, err);
	if (value == NULL || value[0] == '\0')
		return no_value(who, field, err);
	if (field == DT_DIR_EMAIL || field == DT_DIR_ORG_EMAIL) {
		too_long = email_local_part(value, field, email_domains, out, size, err);
		if (too_long < 0)
			return -1;
	} else {
		snprintf(out, size, "%s", value);
		too_long = strlen(value) >= size;
		if ((xform & DT_XFORM_STRIP_DOMAIN) && (p = strchr(out, '@')) != NULL)
			*p = '\0';
	}
	if (xform & DT_XFORM_LOWER)
		for (p = out; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	if (too_long || !dt_valid_user_name(out))
		return dt_err_set(err, DT_ERR_DENIED,
				  "directory:%s: '%.64s' is not a valid local user name",
				  dt_dir_field_name(field), out);
	return 0;
}
