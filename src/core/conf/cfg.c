#include "config.h"

#include "conf/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/file.h"
#include "base/util.h"

static const struct dt_cfg_key *find_key(const struct dt_cfg_key *keys, const char *name)
{
	for (; keys->name != NULL; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static int parse_uint(const struct dt_cfg_key *k, const char *value, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)value[0]))
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < k->min || v > k->max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_bool(const char *value, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1", NULL};
	static const char *const no[] = {"no", "false", "off", "0", NULL};
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(value, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(value, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

static int parse_enum(const struct dt_cfg_key *k, const char *value, int *out)
{
	int i;

	for (i = 0; k->choices[i] != NULL; i++)
		if (strcmp(value, k->choices[i]) == 0)
			return *out = i, 0;
	return -1;
}

static void describe_choices(const struct dt_cfg_key *k, char *buf, size_t size)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; k->choices[i] != NULL && used < size; i++)
		used +=
		    (size_t)snprintf(buf + used, size - used, "%s%s", i ? "|" : "", k->choices[i]);
}

static int set_string(const struct dt_cfg_key *k, void *target, const char *value,
		      const char *where, struct dt_err *err)
{
	char **field = (char **)((char *)target + k->offset);
	char *copy = strdup(value);

	if (copy == NULL)
		return dt_err_oom_in(err, where);
	if (k->secret)
		dt_free_secret(*field);
	else
		free(*field);
	*field = copy;
	return 0;
}

int dt_cfg_set(const struct dt_cfg_key *keys, void *target, const char *key, const char *value,
	       const char *where, struct dt_err *err)
{
	const struct dt_cfg_key *k = find_key(keys, key);
	const char *shown;
	char choices[256];

	if (k == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: unknown key '%s'", where, key);
	shown = k->secret ? "(hidden)" : value;
	switch (k->type) {
	case DT_CFG_STRING:
		if (value[0] == '\0')
			return dt_err_set(err, DT_ERR_CONFIG, "%s: key '%s' has an empty value",
					  where, key);
		return set_string(k, target, value, where, err);
	case DT_CFG_UINT:
		if (parse_uint(k, value, (unsigned *)((char *)target + k->offset)) < 0)
			return dt_err_set(
			    err, DT_ERR_CONFIG,
			    "%s: key '%s' wants a whole number from %u to %u, not '%s'", where, key,
			    k->min, k->max, shown);
		return 0;
	case DT_CFG_BOOL:
		if (parse_bool(value, (int *)((char *)target + k->offset)) < 0)
			return dt_err_set(err, DT_ERR_CONFIG,
					  "%s: key '%s' wants yes or no, not '%s'", where, key,
					  shown);
		return 0;
	case DT_CFG_ENUM:
		if (parse_enum(k, value, (int *)((char *)target + k->offset)) < 0) {
			describe_choices(k, choices, sizeof(choices));
			return dt_err_set(err, DT_ERR_CONFIG,
					  "%s: key '%s' wants one of %s, not '%s'", where, key,
					  choices, shown);
		}
		return 0;
	}
	return dt_err_set(err, DT_ERR_INTERNAL, "%s: key '%s' has no type", where, key);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Returns 1 if the following keys apply, 0 if they belong to a section
 * that does not apply here, -1 on error. */
static int enter_section(char *line, const char *where, dt_cfg_section_fn on_section, void *ctx,
			 struct dt_err *err)
{
	size_t len = strlen(line);
	char *name;

	if (line[len - 1] != ']')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: a section header must end with ']'",
				  where);
	line[len - 1] = '\0';
	name = trim(line + 1);
	if (on_section == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: unknown section '[%s]'", where, name);
	return on_section(ctx, name, where, err);
}

static int parse_line(char *line, const char *where, const struct dt_cfg_key *keys, void *target,
		      struct dt_err *err)
{
	char *eq = strchr(line, '=');
	char *key;

	if (eq == NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: expected 'key = value'", where);
	*eq = '\0';
	key = trim(line);
	if (key[0] == '\0')
		return dt_err_set(err, DT_ERR_CONFIG, "%s: a key is missing before '='", where);
	return dt_cfg_set(keys, target, key, trim(eq + 1), where, err);
}

/* What to do with each `key = value` line that applies. */
struct line_action {
	const struct dt_cfg_key *keys;
	void *target;
	/* dt_cfg_key_origin: the key looked for, and where it was last set */
	const char *key;
	char *origin;
	size_t origin_size;
};

static int act_on_line(char *line, const char *where, struct line_action *act, struct dt_err *err)
{
	char *eq;

	if (act->key == NULL)
		return parse_line(line, where, act->keys, act->target, err);
	eq = strchr(line, '=');
	if (eq != NULL) {
		*eq = '\0';
		if (strcmp(trim(line), act->key) == 0)
			snprintf(act->origin, act->origin_size, "%s", where);
	}
	return 0;
}

/* Every line in turn, sections chosen by on_section. */
static int walk(const char *text, size_t len, const char *file, dt_cfg_section_fn on_section,
		void *section_ctx, struct line_action *act, struct dt_err *err)
{
	char where[PATH_MAX + 32];
	char *copy, *line, *next;
	unsigned lineno = 0;
	int applies = 1, rc = 0;

	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	copy = strndup(text, len);
	if (copy == NULL)
		return dt_err_oom_in(err, file);
	for (line = copy; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", file, lineno);
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (line[0] == '[') {
			applies = enter_section(line, where, on_section, section_ctx, err);
			rc = applies < 0 ? -1 : 0;
		} else if (applies) {
			rc = act_on_line(line, where, act, err);
		}
	}
	dt_free_secret(copy);
	return rc;
}

int dt_cfg_parse_text(const char *text, size_t len, const char *file, const struct dt_cfg_key *keys,
		      void *target, dt_cfg_section_fn on_section, void *section_ctx,
		      struct dt_err *err)
{
	struct line_action act = {.keys = keys, .target = target};

	return walk(text, len, file, on_section, section_ctx, &act, err);
}

int dt_cfg_key_origin(const char *text, size_t len, const char *file, const char *key,
		      dt_cfg_section_fn on_section, void *section_ctx, char *where, size_t size,
		      struct dt_err *err)
{
	struct line_action act = {.key = key, .origin = where, .origin_size = size};

	where[0] = '\0';
	return walk(text, len, file, on_section, section_ctx, &act, err);
}

int dt_cfg_load_file(const char *path, enum dt_file_protection mode, const struct dt_cfg_key *keys,
		     void *target, dt_cfg_section_fn on_section, void *section_ctx,
		     struct dt_err *err)
{
	size_t len = 0;
	char *text = dt_read_protected_file(path, mode, DT_CFG_MAX_BYTES, &len, err);
	int rc;

	if (text == NULL)
		return -1;
	rc = dt_cfg_parse_text(text, len, path, keys, target, on_section, section_ctx, err);
	dt_free_secret(text);
	return rc;
}

void dt_cfg_free(const struct dt_cfg_key *keys, void *target)
{
	for (; keys->name != NULL; keys++) {
		char **field;
		if (keys->type != DT_CFG_STRING)
			continue;
		field = (char **)((char *)target + keys->offset);
		dt_free_secret(*field);
		*field = NULL;
	}
}
