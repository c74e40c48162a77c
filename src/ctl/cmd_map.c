/* dingtalk-ctl map list|add|remove */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/cfg.h"
#include "ctl.h"
#include "access/mapedit.h"
#include "map_rewrite.h"
#include "access/mapfile.h"
#include "base/util.h"

struct map_args {
	const char *user, *union_id;
};

static int parse(const char *cmd, int argc, char **argv, struct map_args *a)
{
	static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
					     {"union-id", required_argument, NULL, 'i'},
					     {NULL, 0, NULL, 0}};
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = getopt_long(argc, argv, "u:i:", opts, NULL)) != -1) {
		if (opt == 'u')
			a->user = optarg;
		else if (opt == 'i')
			a->union_id = optarg;
		else
			return ctl_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return 0;
}

struct list_filter {
	const char *user;
	unsigned shown;
};

static void print_entry(void *ctx, const char *union_id, const char *const *accounts, size_t n)
{
	struct list_filter *f = ctx;
	size_t i;
	int serves = f->user == NULL;

	for (i = 0; i < n && !serves; i++)
		serves = strcmp(accounts[i], f->user) == 0;
	if (!serves)
		return;
	printf("%-40s", union_id);
	for (i = 0; i < n; i++)
		printf(" %s", accounts[i]);
	printf("\n");
	f->shown++;
}

static int list(struct ctl *c, const struct map_args *a)
{
	struct list_filter f = {.user = a->user};
	struct dt_err err;
	size_t len = 0;
	char *text;
	int rc;

	dt_err_clear(&err);
	text =
	    dt_read_protected_file(c->cfg.map_file, DT_FILE_PUBLIC, DT_MAP_MAX_BYTES, &len, &err);
	if (text == NULL)
		return ctl_fail(&err);
	rc = dt_map_each(text, len, c->cfg.map_file, print_entry, &f, &err);
	free(text);
	if (rc < 0)
		return ctl_fail(&err);
	if (f.shown == 0)
		fprintf(stderr, PROG ": no bindings%s%s in %s\n", a->user != NULL ? " for " : "",
			a->user != NULL ? a->user : "", c->cfg.map_file);
	return CTL_OK;
}

static int add(struct ctl *c, const struct map_args *a)
{
	struct dt_err err;
	int rc;

	if (a->user == NULL || a->union_id == NULL)
		return ctl_usage_error("map add", "needs --user and --union-id");
	dt_err_clear(&err);
	rc = ctl_map_bind(c->cfg.map_file, a->union_id, a->user, &err);
	if (rc < 0)
		return ctl_fail(&err);
	printf("%s: %s %s %s\n", c->cfg.map_file, a->union_id,
	       rc > 0 ? "now serves" : "already serves", a->user);
	return CTL_OK;
}

static int remove_binding(struct ctl *c, const struct map_args *a)
{
	struct dt_err err;
	int rc;

	if (a->user == NULL)
		return ctl_usage_error("map remove", "needs --user");
	dt_err_clear(&err);
	rc = ctl_map_unbind(c->cfg.map_file, a->user, a->union_id, &err);
	if (rc < 0)
		return ctl_fail(&err);
	if (rc == 0) {
		fprintf(stderr, PROG ": %s: no binding of %s to remove\n", c->cfg.map_file,
			a->user);
		return CTL_FAILED;
	}
	printf("%s: removed %d binding(s) of %s\n", c->cfg.map_file, rc, a->user);
	return CTL_OK;
}

int ctl_cmd_map(struct ctl *c, int argc, char **argv)
{
	struct map_args a;
	struct dt_err err;
	const char *sub = argc > 1 ? argv[1] : "";
	char cmd[32];

	snprintf(cmd, sizeof(cmd), "map %s", sub);
	if (strcmp(sub, "list") != 0 && strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0)
		return ctl_usage_error("map", "want list, add or remove");
	if (parse(cmd, argc - 1, argv + 1, &a) != 0)
		return CTL_USAGE;
	if (ctl_require_root(cmd) < 0)
		return CTL_FAILED;
	dt_err_clear(&err);
	if (ctl_load_config(c, &err) < 0)
		return ctl_fail(&err);
	if (strcmp(sub, "list") == 0)
		return list(c, &a);
	return strcmp(sub, "add") == 0 ? add(c, &a) : remove_binding(c, &a);
}
