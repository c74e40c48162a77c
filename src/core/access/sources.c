#include "config.h"

#include "access/sources.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "access/emaildomain.h"
#include "base/util.h"

#define SEPARATORS  " \t,"
#define USER_MAX    32
#define TOKEN_SHOWN 64

static const char *const field_names[] = {"userid", "job_number", "email", "org_email"};

const char *dt_dir_field_name(enum dt_dir_field field)
{
	return field_names[field];
}

static int parse_source(const char *tok, size_t len, struct dt_map_source *src, struct dt_err *err)
{
	size_t i;

	if (len == 4 && strncmp(tok, "file", 4) == 0)
		return src->kind = DT_MAP_FILE, 0;
	if (len == 8 && strncmp(tok, "userfile", 8) == 0)
		return src->kind = DT_MAP_USERFILE, 0;
	if (len > 10 && strncmp(tok, "directory:", 10) == 0)
		for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
			if (len - 10 == strlen(field_names[i]) &&
			    strncmp(tok + 10, field_names[i], len - 10) == 0) {
				src->kind = DT_MAP_DIRECTORY;
				src->field = (enum dt_dir_field)i;
				return 0;
			}
	return dt_err_set(err, DT_ERR_CONFIG,
			  "map: unknown source '%.*s' (want file, userfile or directory:userid, "
			  "directory:job_number, directory:email, directory:org_email)",
			  (int)(len > TOKEN_SHOWN ? TOKEN_SHOWN : len), tok);
}

int dt_map_spec_parse(const char *text, struct dt_map_spec *out, struct dt_err *err)
{
	const char *p = text;
	size_t len;

	memset(out, 0, sizeof(*out));
	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		len = strcspn(p, SEPARATORS);
		if (out->n == DT_MAP_MAX_SOURCES)
			return dt_err_set(err, DT_ERR_CONFIG, "map: more than %d sources",
					  DT_MAP_MAX_SOURCES);
		if (parse_source(p, len, &out->src[out->n++], err) < 0)
			return -1;
		p += len;
	}
	if (out->n == 0)
		return dt_err_set(err, DT_ERR_CONFIG, "map: names no source");
	return 0;
}

int dt_map_transform_parse(const char *text, unsigned *flags, struct dt_err *err)
{
	const char *p = text;
	size_t len;

	*flags = 0;
	while (*(p += strspn(p, SEPARATORS)) != '\0') {
		len = strcspn(p, SEPARATORS);
		if (len == 5 && strncmp(p, "lower", 5) == 0)
			*flags |= DT_XFORM_LOWER;
		else if (len == 12 && strncmp(p, "strip_domain", 12) == 0)
			*flags |= DT_XFORM_STRIP_DOMAIN;
		else if (!(len == 4 && strncmp(p, "none", 4) == 0))
			return dt_err_set(err, DT_ERR_CONFIG,
					  "map_transform: unknown '%.*s' (want lower, "
					  "strip_domain or none)",
					  (int)(len > TOKEN_SHOWN ? TOKEN_SHOWN : len), p);
		p += len;
	}
	return 0;
}

int dt_map_uses(const char *map, enum dt_map_kind kind)
{
	struct dt_map_spec spec;
	size_t i;

	if (map == NULL || dt_map_spec_parse(map, &spec, NULL) < 0)
		return 0;
	for (i = 0; i < spec.n; i++)
		if (spec.src[i].kind == kind)
			return 1;
	return 0;
}

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
static int email_local_part(const char *value, enum dt_dir_field field, const char *email_domains,
			    char *out, size_t size, struct dt_err *err)
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

int dt_directory_name(const struct dt_identity *who, enum dt_dir_field field, unsigned xform,
		      const char *email_domains, char *out, size_t size, struct dt_err *err)
{
	const char *value = field_value(who, field);
	int too_long;
	char *p;

	if (value == NULL || value[0] == '\0')
		return dt_err_set(err, DT_ERR_DENIED, "directory:%s: the directory gives none%s",
				  dt_dir_field_name(field),
				  who->active < 0 ? " (is directory = yes set?)" : "");
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
