/* The key max_pending_per_address counts pending sessions by: the
 * module's requester_address (docs/control-api.md), with remote addresses
 * put in one canonical form and IPv6 addresses grouped by /64, since
 * whoever has one IPv6 address usually has the whole /64 around it. */
#ifndef CBD_ADDRESS_H
#define CBD_ADDRESS_H

#include <stddef.h>

/* Room for any key made from a requester_address of DT_CONTROL_REQUESTER_MAX
 * bytes. */
#define CBD_ADDRESS_KEY_MAX 640

/* Writes the key for `address` into out (CBD_ADDRESS_KEY_MAX + 1 bytes):
 *   "rhost:<IPv4>"         for an IPv4 address, an IPv4-mapped IPv6 one
 *                          (::ffff:0:0/96) or a NAT64 one (64:ff9b::/96),
 *   "rhost:<IPv6>%<zone>"  for a link-local one (fe80::/10): the whole
 *                          address, and its zone (if any, cut at
 *                          IF_NAMESIZE - 1 bytes), since every link shares
 *                          fe80::/64,
 *   "rhost:<IPv6 /64>/64"  for any other IPv6 address (a zone is dropped),
 *   the address unchanged  otherwise ("uid:N", "local:SERVICE", a host
 *                          name that sshd's UseDNS put in rhost). */
void cbd_address_key(const char *address, char *out, size_t size);

#endif
