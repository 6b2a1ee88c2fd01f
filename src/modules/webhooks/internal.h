/* internal.h - what the webhooks module's files share (not for other modules). */
#ifndef WEBHOOKS_INTERNAL_H
#define WEBHOOKS_INTERNAL_H

#include "modules/webhooks/webhooks.h"

/* url.c: 1 when a webhook must not connect to this address (family AF_INET with 4 bytes or
 * AF_INET6 with 16, network order): loopback, private, link-local, CGNAT, unspecified,
 * multicast, broadcast, reserved, or an IPv6 form carrying such an IPv4 address. Any other
 * family is forbidden too. */
int webhooks_address_forbidden(int family, const unsigned char *addr);

#endif
