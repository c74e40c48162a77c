#include "config.h"

#include "map_rewrite.h"

#include <syslog.h>

#include "access/mapedit.h"
#include "access/mapfile.h"
#include "base/rewrite.h"

struct change {
	const char *file, *union_id, *user;
	unsigned done;
};

static struct dt_rewrite_target map_target(const char *path)
{
	struct dt_rewrite_target t = {.path = path,
				      .protection = DT_FILE_PUBLIC,
				      .mode = 0644,
				      .max_bytes = DT_MAP_MAX_BYTES};
	return t;
}

static int add(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	struct change *ch = ctx;

	if (dt_map_add(old, len, ch->file, ch->union_id, ch->user, out, err) < 0)
		return -1;
	ch->done = *out != NULL;
	return 0;
}

int ctl_map_bind(const char *map_file, const char *union_id, const char *user, struct dt_err *err)
{
	struct dt_rewrite_target t = map_target(map_file);
	struct change ch = {.file = map_file, .union_id = union_id, .user = user};

	if (dt_rewrite_file(&t, add, &ch, err) < 0)
		return -1;
	if (ch.done)
		syslog(LOG_NOTICE, "%s: bound unionId %s to %s", map_file, union_id, user);
	return (int)ch.done;
}

static int drop(void *ctx, const char *old, size_t len, char **out, struct dt_err *err)
{
	struct change *ch = ctx;

	return dt_map_remove(old, len, ch->file, ch->user, ch->union_id, out, &ch->done, err);
}

int ctl_map_unbind(const char *map_file, const char *user, const char *union_id, struct dt_err *err)
{
	struct dt_rewrite_target t = map_target(map_file);
	struct change ch = {.file = map_file, .union_id = union_id, .user = user};

	if (dt_rewrite_file(&t, drop, &ch, err) < 0)
		return -1;
	if (ch.done > 0)
		syslog(LOG_NOTICE, "%s: removed %u binding(s) of %s%s%s", map_file, ch.done, user,
		       union_id != NULL ? " to unionId " : "", union_id != NULL ? union_id : "");
	return (int)ch.done;
}
