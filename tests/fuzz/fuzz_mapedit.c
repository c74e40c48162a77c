/* libFuzzer target: editing the map file (mapedit.h), the recovery
 * file's parser (recovery.h) and the per-user binding file (userfile.h). The input's first line is
 * "unionId user", the rest is the file. Checks what dingtalk-ctl relies on: an accepted add really
 * binds (as the module's own parser reads it), adding twice changes nothing, a remove really
 * unbinds, and an error always says why. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/mapedit.h"
#include "access/mapfile.h"
#include "access/recovery.h"
#include "access/userfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int binds(const char *text, size_t len, const char *union_id, const char *user)
{
	struct dt_map_result r;
	struct dt_err err;

	dt_err_clear(&err);
	if (dt_map_match_text(text, len, "out", union_id, user, &r, &err) < 0)
		__builtin_trap(); /* the editor wrote a file the module refuses */
	return r.allowed;
}

static void check_add_remove(const char *text, size_t size, const char *union_id, const char *user)
{
	char *added = NULL, *again = NULL, *removed = NULL;
	struct dt_err err;
	unsigned n = 0;

	dt_err_clear(&err);
	if (dt_map_add(text, size, "fuzz.map", union_id, user, &added, &err) < 0) {
		if (err.msg[0] == '\0' || added != NULL)
			__builtin_trap();
		return;
	}
	if (added == NULL) {
		if (!binds(text, size, union_id, user)) /* "already there" must be true */
			__builtin_trap();
		return;
	}
	if (!binds(added, strlen(added), union_id, user))
		__builtin_trap();
	if (dt_map_add(added, strlen(added), "f", union_id, user, &again, &err) < 0 ||
	    again != NULL)
		__builtin_trap();
	if (dt_map_remove(added, strlen(added), "f", user, union_id, &removed, &n, &err) < 0 ||
	    n == 0 || removed == NULL || binds(removed, strlen(removed), union_id, user))
		__builtin_trap();
	free(removed);
	free(added);
}

static void check_recovery(const char *text, size_t size, const char *user)
{
	struct dt_err err;
	unsigned left = 0;
	char *out = NULL;

	dt_err_clear(&err);
	if (dt_recovery_count(text, size, "fuzz.recovery", user, &left, &err) < 0 &&
	    err.msg[0] == '\0')
		__builtin_trap();
	dt_err_clear(&err);
	/* Not the shape of a code: the parser runs, nothing is hashed. */
	if (dt_recovery_consume(text, size, "r", user, "?", &out, &left, &err) == 0 && out != NULL)
		__builtin_trap();
}

/* Whether `id` is the first word of a line of `text`, which is how the
 * binding file names an identity. */
static int listed(const char *text, size_t size, const char *id)
{
	size_t n = strlen(id), i = 0, start, end;

	while (i < size) {
		start = i;
		while (i < size && text[i] != '\n')
			i++;
		end = i++;
		while (start < end && strchr(" \t\r", text[start]) != NULL)
			start++;
		if (end - start >= n && memcmp(text + start, id, n) == 0 &&
		    (start + n == end || strchr(" \t\r", text[start + n]) != NULL))
			return 1;
	}
	return 0;
}

static char home[] = "/tmp/dt-fuzz-home.XXXXXX";
static char home_file[64];

/* The private home goes when the process does (a fuzzing run or a corpus
 * replay): nothing is left in /tmp. */
static void remove_home(void)
{
	unlink(home_file);
	rmdir(home);
}

/* The binding file as the module reads it: written to a private home. */
static void check_userfile(const char *text, size_t size, const char *union_id)
{
	static int made;
	const char *path = home_file;
	struct dt_err err;
	int bound = 0, rc;
	FILE *f;

	if (!made) {
		if (mkdtemp(home) == NULL)
			return;
		made = 1;
		snprintf(home_file, sizeof(home_file), "%s/%s", home, DT_USERFILE_NAME);
		atexit(remove_home);
	}
	if ((f = fopen(path, "w")) == NULL)
		return;
	fwrite(text, 1, size, f);
	fclose(f);
	chmod(path, 0600);
	dt_err_clear(&err);
	rc = dt_userfile_match(home, geteuid(), union_id, &bound, &err);
	if ((rc < 0 && (bound || err.msg[0] == '\0')) ||
	    (bound && (!listed(text, size, union_id) || memchr(text, '\0', size) != NULL)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(data, '\n', size);
	char union_id[300] = "uAlice0000000000000000iEiE", user[64] = "alice";
	char line[320];
	size_t head;

	if (nl != NULL) {
		head = (size_t)(nl - text);
		snprintf(line, sizeof(line), "%.*s", (int)(head < 319 ? head : 319), text);
		if (sscanf(line, "%299s %63s", union_id, user) < 1)
			union_id[0] = '\0';
		text = nl + 1;
		size -= head + 1;
	}
	check_add_remove(text, size, union_id, user);
	check_recovery(text, size, user);
	check_userfile(text, size, union_id);
	return 0;
}
