#include "config.h"

#include "login/audit.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

struct field {
	const char *name;
	const char *value;
};

/* A bounded, sanitized copy: names and nicks come from the network or
 * from whoever typed them at a login prompt. */
static void clean(const char *value, char out[DT_AUDIT_VALUE_MAX])
{
	snprintf(out, DT_AUDIT_VALUE_MAX, "%s", value);
	dt_sanitize_text(out);
}

/* Bare when the value cannot be misread, quoted otherwise. */
static int needs_quotes(const char *v)
{
	return v[0] == '\0' || v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789._-@:/+")] != '\0';
}

static void append_text(FILE *f, const struct field *fl)
{
	char v[DT_AUDIT_VALUE_MAX];
	const char *p;

	if (fl->value == NULL) {
		fprintf(f, " %s=-", fl->name);
		return;
	}
	clean(fl->value, v);
	if (!needs_quotes(v)) {
		fprintf(f, " %s=%s", fl->name, v);
		return;
	}
	fprintf(f, " %s=\"", fl->name);
	for (p = v; *p != '\0'; p++)
		fprintf(f, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	fputc('"', f);
}

static char *format_text(const struct field *fields, size_t n, long long elapsed_ms,
			 const char *reason)
{
	char *line = NULL;
	size_t size = 0, i;
	FILE *f = open_memstream(&line, &size);

	if (f == NULL)
		return NULL;
	fputs("audit:", f);
	for (i = 0; i < n; i++)
		append_text(f, &fields[i]);
	fprintf(f, " elapsed_ms=%lld", elapsed_ms);
	if (reason != NULL) {
		/* Last and free text, so that DingTalk's own words read as
		 * they were said; sanitized, it cannot start a new line. */
		char v[DT_AUDIT_VALUE_MAX];
		clean(reason, v);
		fprintf(f, " reason: %s", v);
	}
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

static char *format_json(const struct field *fields, size_t n, long long elapsed_ms)
{
	json_object *o = json_object_new_object();
	char v[DT_AUDIT_VALUE_MAX];
	char *line = NULL;
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		json_object *s = NULL;
		if (fields[i].value != NULL) {
			clean(fields[i].value, v);
			s = json_object_new_string(v);
		}
		json_object_object_add(o, fields[i].name, s);
	}
	json_object_object_add(o, "elapsed_ms", json_object_new_int64(elapsed_ms));
	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

char *dt_audit_format(const struct dt_audit *a, enum dt_audit_format format)
{
	const struct field fields[] = {
	    {"result", a->result},    {"pam", a->pam_code},  {"user", a->user},
	    {"unionid", a->union_id}, {"nick", a->nick},     {"rhost", a->rhost},
	    {"service", a->service},  {"tty", a->tty},	     {"session", a->session},
	    {"cause", a->cause},      {"reason", a->reason},
	};
	size_t n = sizeof(fields) / sizeof(fields[0]);

	return format == DT_AUDIT_JSON ? format_json(fields, n, a->elapsed_ms)
				       : format_text(fields, n - 1, a->elapsed_ms, a->reason);
}
