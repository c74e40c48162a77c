#include "config.h"

#include "conf/map_spec.h"

#include <string.h>

#define SEPARATORS  " \t,"
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

int dt_map_uses(const struct dt_map_spec *spec, enum dt_map_kind kind)
{
	size_t i;

	for (i = 0; i < spec->n; i++)
		if (spec->src[i].kind == kind)
			return 1;
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
