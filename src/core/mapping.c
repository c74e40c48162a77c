#include "config.h"

#include "mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "util.h"

#define SEPARATORS " \t\r"

/* Checks one entry's accounts against `user`; fills `out`. */
static void match_accounts(char *rest, const char *user, struct dt_map_result *out)
{
	char *save = NULL, *account;

	for (account = strtok_r(rest, SEPARATORS, &save); account != NULL;
	     account = strtok_r(NULL, SEPARATORS, &save)) {
		if (strcmp(account, user) == 0) {
			out->allowed = 1;
			return;
		}
		if (out->other_user[0] == '\0')
			snprintf(out->other_user, sizeof(out->other_user), "%s", account);
	}
}

static int match_line(char *line, const char *where, const char *union_id, const char *user,
		      struct dt_map_result *out, struct dt_err *err)
{
	char *save = NULL;
	char *id = strtok_r(line, SEPARATORS, &save);
	char *rest = strtok_r(NULL, "", &save);

	if (id == NULL || id[0] == '#')
		return 0;
	if (rest == NULL || rest[strspn(rest, SEPARATORS)] == '\0')
		return dt_err_set(err, DT_ERR_CONFIG,
				  "%s: '%.64s' names no local account (want 'unionId user...')",
				  where, id);
	if (strcmp(id, union_id) != 0)
		return 0;
	out->known = 1;
	match_accounts(rest, user, out);
	return 0;
}

int dt_map_match_text(const char *text, size_t len, const char *file, const char *union_id,
		      const char *user, struct dt_map_result *out, struct dt_err *err)
{
	char where[512];
	char *copy, *line, *next;
	unsigned lineno = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len) != NULL)
		return dt_err_set(err, DT_ERR_CONFIG, "%s: contains a NUL byte", file);
	copy = strndup(text, len);
	if (copy == NULL)
		return dt_err_set(err, DT_ERR_NOMEM, "out of memory");
	for (line = copy; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		snprintf(where, sizeof(where), "%s:%u", file, ++lineno);
		rc = match_line(line, where, union_id, user, out, err);
	}
	free(copy);
	return rc;
}

int dt_map_match_file(const char *path, const char *union_id, const char *user,
		      struct dt_map_result *out, struct dt_err *err)
{
	size_t len = 0;
	char *text = dt_read_protected_file(path, DT_CFG_PUBLIC, DT_MAP_MAX_BYTES, &len, err);
	int rc;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -1;
	rc = dt_map_match_text(text, len, path, union_id, user, out, err);
	free(text);
	return rc;
}
