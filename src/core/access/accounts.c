#include "config.h"

#include "access/accounts.h"

#include <stdio.h>
#include <string.h>

#include "access/mapfile.h"
#include "access/sources.h"
#include "conf/map_spec.h"

struct collect {
	const struct dt_accounts_query *q;
	struct dt_accounts *out;
};

/* Adds one name once; a name no account can have is an error, because it
 * would become PAM_USER. */
static int add_account(void *ctx, const char *name, const char *where, struct dt_err *err)
{
	struct collect *c = ctx;
	struct dt_accounts *out = c->out;
	size_t i;

	if (!dt_valid_user_name(name))
		return dt_err_set(err, DT_ERR_CONFIG, "%s: '%.64s' is not a valid local user name",
				  where, name);
	for (i = 0; i < out->n; i++)
		if (strcmp(out->name[i], name) == 0)
			return 0;
	if (!c->q->exists(c->q->ctx, name)) {
		dt_logf(c->q->log, LOG_DEBUG, "set_user: %s names '%s', not an account here", where,
			name);
		return 0;
	}
	if (out->n == DT_ACCOUNTS_MAX) {
		out->more = 1;
		return 0;
	}
	snprintf(out->name[out->n++], sizeof(out->name[0]), "%s", name);
	return 0;
}

static int from_directory(struct collect *c, const struct dt_identity *who, enum dt_dir_field field,
			  struct dt_err *err)
{
	const struct dt_modcfg *cfg = c->q->cfg;
	char name[DT_ACCOUNT_NAME_MAX + 1], where[64];
	struct dt_err soft;

	snprintf(where, sizeof(where), "directory:%s", dt_dir_field_name(field));
	dt_err_clear(&soft);
	/* An empty or unusable field names nobody, as in a normal login. */
	if (dt_directory_name(who, field, cfg->map_transform, &cfg->email_domain, name,
			      sizeof(name), &soft) < 0) {
		dt_logf(c->q->log, LOG_DEBUG, "set_user: unionId %s: %s", who->union_id, soft.msg);
		return 0;
	}
	return add_account(c, name, where, err);
}

int dt_accounts_for(const struct dt_accounts_query *q, const struct dt_identity *who,
		    struct dt_accounts *out, struct dt_err *err)
{
	struct collect c = {.q = q, .out = out};
	const struct dt_map_spec *spec = &q->cfg->map;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (who->union_id == NULL || who->union_id[0] == '\0')
		return dt_err_set(err, DT_ERR_INTERNAL, "set_user: no unionId to look up");
	for (i = 0; i < spec->n && rc == 0; i++) {
		switch (spec->src[i].kind) {
		case DT_MAP_FILE:
			rc = dt_map_accounts_file(q->cfg->map_file, who->union_id, add_account, &c,
						  err);
			break;
		case DT_MAP_DIRECTORY:
			rc = from_directory(&c, who, spec->src[i].field, err);
			break;
		case DT_MAP_USERFILE:
			dt_logf(q->log, LOG_DEBUG,
				"set_user: map source userfile cannot be listed, skipped");
			break;
		}
	}
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

const char *dt_accounts_single(const struct dt_accounts *a, const struct dt_identity *who,
			       struct dt_err *err)
{
	char names[DT_ACCOUNTS_MAX * (DT_ACCOUNT_NAME_MAX + 1) + 8] = "";
	size_t i, used = 0;

	if (a->n == 1 && !a->more)
		return a->name[0];
	if (a->n == 0) {
		dt_err_set(err, DT_ERR_DENIED,
			   "set_user: unionId %s (%s) is bound to no local account here",
			   who->union_id, who->nick != NULL ? who->nick : "-");
		return NULL;
	}
	for (i = 0; i < a->n && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
					 i > 0 ? " " : "", a->name[i]);
	dt_err_set(err, DT_ERR_DENIED,
		   "set_user: unionId %s (%s) serves several accounts (%s%s): set_user does "
		   "not choose; type the user name to log in",
		   who->union_id, who->nick != NULL ? who->nick : "-", names,
		   a->more ? " ..." : "");
	return NULL;
}
