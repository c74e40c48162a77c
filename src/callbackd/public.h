/* The public listener that phones reach: short links, the OAuth callback,
 * the confirmation form, and a health check. */
#ifndef CBD_PUBLIC_H
#define CBD_PUBLIC_H

#include "conf.h"
#include "base/err.h"
#include "base/log.h"
#include "store.h"

struct cbd_public;

struct cbd_public *cbd_public_start(const struct cbd_conf *conf, struct cbd_store *store,
				    const struct dt_log *log, struct dt_err *err);

void cbd_public_stop(struct cbd_public *pub);

#endif
