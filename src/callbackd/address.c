/* Grouping requester addresses for max_pending_per_address. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "address.h"

#define RHOST "rhost:"

/* 64:ff9b::/96, the NAT64 well-known prefix: the last 32 bits are the IPv4
 * client's address, and every client behind the gateway shares the rest. */
static int is_nat64(const struct in6_addr *a)
{
	static const unsigned char prefix[12] = {0x00, 0x64, 0xff, 0x9b};

	return memcmp(a->s6_addr, prefix, sizeof(prefix)) == 0;
}

/* The key of an IPv6 address; zone is what followed '%' (NULL: none). */
static void key6(struct in6_addr *a6, const char *zone, char *out, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	struct in_addr a4;

	if (IN6_IS_ADDR_V4MAPPED(a6) || is_nat64(a6)) {
		memcpy(&a4, &a6->s6_addr[12], sizeof(a4));
		inet_ntop(AF_INET, &a4, text, sizeof(text));
		snprintf(out, size, RHOST "%s", text);
		return;
	}
	if (IN6_IS_ADDR_LINKLOCAL(a6)) {
		/* Every link has the same fe80::/64: one neighbour is one address,
		 * and the zone says which link it is on. No interface name is
		 * longer than IF_NAMESIZE - 1, so a longer zone is cut there. */
		inet_ntop(AF_INET6, a6, text, sizeof(text));
		if (zone != NULL)
			snprintf(out, size, RHOST "%s%%%.*s", text, IF_NAMESIZE - 1, zone);
		else
			snprintf(out, size, RHOST "%s", text);
		return;
	}
	memset(&a6->s6_addr[8], 0, 8);
	inet_ntop(AF_INET6, a6, text, sizeof(text));
	snprintf(out, size, RHOST "%s/64", text);
}

void cbd_address_key(const char *address, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN], text[INET_ADDRSTRLEN];
	const char *rest, *zone;
	size_t len;
	struct in6_addr a6;
	struct in_addr a4;

	if (strncmp(address, RHOST, strlen(RHOST)) != 0) {
		snprintf(out, size, "%s", address);
		return;
	}
	rest = address + strlen(RHOST);
	len = strcspn(rest, "%"); /* the zone is not part of the address */
	zone = rest[len] == '%' ? rest + len + 1 : NULL;
	if (len >= sizeof(ip)) {
		snprintf(out, size, "%s", address);
		return;
	}
	memcpy(ip, rest, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		key6(&a6, zone, out, size);
		return;
	}
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		inet_ntop(AF_INET, &a4, text, sizeof(text));
		snprintf(out, size, RHOST "%s", text);
		return;
	}
	snprintf(out, size, "%s", address);
}
