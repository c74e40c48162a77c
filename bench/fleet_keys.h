/* The benchmark's fleet of hosts: one key per host, written as the
 * service's host_keys file (KEY_ID HOST SECRET created=DATE, mode 0600)
 * and read back by the load generator, which then signs as each host. */
#ifndef FLEET_KEYS_H
#define FLEET_KEYS_H

#include "proto/reqsign.h"

#define FLEET_HOST_MAX 64

struct fleet_host {
	struct dt_host_key key;
	char name[FLEET_HOST_MAX];
};

/* Writes `n` hosts with fresh keys to `path` (created 0600, replaced if
 * there). 0, or -1 with a message on stderr. */
int fleet_keys_write(const char *path, unsigned n);

/* Reads the hosts of `path` (as written above); *out is malloc'd, free it
 * with fleet_keys_free. The count, or -1 with a message on stderr. */
int fleet_keys_read(const char *path, struct fleet_host **out);

void fleet_keys_free(struct fleet_host *hosts, unsigned n);

#endif
