/* Grouping requester addresses for max_pending_per_address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "address.h"

#define RHOST "rhost:"

void cbd_address_key(const char *address, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN + 1], text[INET6_ADDRSTRLEN];
	const char *rest = address + strlen(RHOST);
	struct in6_addr a6;
	struct in_addr a4;

	if (strncmp(address, RHOST, strlen(RHOST)) != 0 || strlen(rest) >= sizeof(ip)) {
		snprintf(out, size, "%s", address);
		return;
	}
	snprintf(ip, sizeof(ip), "%s", rest);
	ip[strcspn(ip, "%")] = '\0'; /* fe80::1%eth0: the zone names no host */
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
			inet_ntop(AF_INET, &a4, text, sizeof(text));
			snprintf(out, size, RHOST "%s", text);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a6, text, sizeof(text));
		snprintf(out, size, RHOST "%s/64", text);
		return;
	}
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		inet_ntop(AF_INET, &a4, text, sizeof(text));
		snprintf(out, size, RHOST "%s", text);
		return;
	}
	snprintf(out, size, "%s", address);
}
