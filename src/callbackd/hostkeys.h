/* The service's host keys (`host_keys`, dingtalk-callbackd(8)): which key
 * id belongs to which host, and its secret. One line per key:
 *   KEY_ID HOST SECRET [created=YYYY-MM-DD]
 * Several keys may name one host (a rotation: the new key is added, hosts
 * move to it, the old one is removed), one key id only once. The file is
 * read again when it changes (its device, inode, size, mtime or change time, looked at
 * no more than once a second), so keys are added and removed without a
 * restart; a file that no longer reads keeps the keys it had, with a log
 * line naming the file, the line and the key. */
#ifndef CBD_HOSTKEYS_H
#define CBD_HOSTKEYS_H

#include <stdint.h>

#include "base/err.h"
#include "base/log.h"
#include "proto/reqsign.h"
#include "proto/control_api.h"

struct cbd_hostkey {
	char id[DT_SIGN_KEY_ID_MAX + 1];
	char host[DT_CONTROL_FIELD_MAX + 1];
	unsigned char secret[DT_SIGN_SECRET_BYTES];
};

struct cbd_hostkeys;

/* Reads `path` (a secret: owned by root or the service's uid, no group or
 * other access). NULL with err (file, line, key) when it does not read. */
struct cbd_hostkeys *cbd_hostkeys_open(const char *path, const struct dt_log *log,
				       struct dt_err *err);

/* A copy of the key `id` (re-reading the file first if it changed and a
 * second has passed since the last look). 0, or -1 when there is no such
 * key. Thread-safe. The caller wipes the copy. */
int cbd_hostkeys_find(struct cbd_hostkeys *keys, const char *id, int64_t now_ms,
		      struct cbd_hostkey *out);

unsigned cbd_hostkeys_count(struct cbd_hostkeys *keys);

void cbd_hostkeys_free(struct cbd_hostkeys *keys);

#endif
