/* libFuzzer target: the INI parser shared by the module, the helper and the
 * CLI (dt_cfg_parse_text), with a key of every type and sections that apply,
 * do not apply, or are refused; where a key was set (dt_cfg_key_origin)
 * agrees with the parse; and the `name` value read as the module's
 * `helper` list (conf/helper_urls.c). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/cfg.h"
#include "conf/helper_urls.h"

struct target {
	char *name, *secret;
	unsigned number;
	int flag, choice;
};

static const char *const choices[] = {"auto", "utf8", "block", "ascii", "off", NULL};

static const struct dt_cfg_key keys[] = {
    {"name", DT_CFG_STRING, offsetof(struct target, name), 0, 0, NULL, 0},
    {"secret", DT_CFG_STRING, offsetof(struct target, secret), 0, 0, NULL, 1},
    {"number", DT_CFG_UINT, offsetof(struct target, number), 10, 600, NULL, 0},
    {"flag", DT_CFG_BOOL, offsetof(struct target, flag), 0, 0, NULL, 0},
    {"choice", DT_CFG_ENUM, offsetof(struct target, choice), 0, 0, choices, 0},
    DT_CFG_END,
};

/* [service sshd] applies, any other [service x] does not, anything else is
 * an error: the shape of the module's per-service sections. */
static int on_section(void *ctx, const char *section, const char *where, struct dt_err *err)
{
	(void)ctx;
	if (strcmp(section, "service sshd") == 0)
		return 1;
	if (strncmp(section, "service ", 8) == 0)
		return 0;
	return dt_err_set(err, DT_ERR_CONFIG, "%s: unknown section '[%s]'", where, section);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a parsed helper list promises: one absolute socket, or 1..8 URLs
 * each https://HOST[:PORT] with nothing after the authority; a refusal
 * names the key. */
static void check_helper_urls(const char *text)
{
	struct dt_helper_urls u;
	struct dt_err err;
	unsigned i;

	dt_err_clear(&err);
	if (dt_helper_urls_parse(text, &u, &err) < 0) {
		if (strncmp(err.msg, "helper: ", 8) != 0)
			__builtin_trap();
		return;
	}
	if (u.socket != NULL ? u.socket[0] != '/' || u.n != 0
			     : u.n == 0 || u.n > DT_HELPER_URLS_MAX)
		__builtin_trap();
	for (i = 0; i < u.n; i++)
		if (strncmp(u.url[i], "https://", 8) != 0 ||
		    strpbrk(u.url[i] + 8, "/?#@ \t,") != NULL || u.url[i][8] == '\0')
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target t;
	struct dt_err err;
	char where[64];
	int rc;

	memset(&t, 0, sizeof(t));
	dt_err_clear(&err);
	rc = dt_cfg_parse_text((const char *)data, size, "fuzz.conf", keys, &t, on_section, NULL,
			       &err);
	if (rc < 0 && err.msg[0] == '\0')
		__builtin_trap(); /* every failure names its cause */
	if (rc == 0) {
		/* The same lines apply: a key that was set has a line. */
		if (dt_cfg_key_origin((const char *)data, size, "fuzz.conf", "name", on_section,
				      NULL, where, sizeof(where), &err) < 0 ||
		    (t.name != NULL) != (where[0] != '\0'))
			__builtin_trap();
		if (t.name != NULL)
			check_helper_urls(t.name);
	}
	dt_cfg_free(keys, &t);
	return 0;
}
