/* webhooks.h - the webhooks module's public face: signed webhook deliveries of job results. */
#ifndef WEBHOOKS_H
#define WEBHOOKS_H

#include "core/module.h"

extern const struct mh_module webhooks_module;

/* The longest webhook_url accepted (jobs.webhook_url allows no more). */
#define WEBHOOKS_URL_MAX 2000

/*
 * Whether url may receive a tenant's webhooks: an absolute https URL (http only when
 * allow_private) with a host, an optional port, no user name or password, no fragment,
 * printable ASCII only, at most WEBHOOKS_URL_MAX characters. A host that is an IP literal
 * (IPv4 in any inet_aton form such as 2130706433 or 0x7f.1, IPv6, IPv4-mapped IPv6) or the
 * name localhost / *.localhost must not be loopback, private, link-local, CGNAT,
 * unspecified, multicast, broadcast or reserved unless allow_private. Other names are
 * checked again at delivery time against the address actually connected to (a name can
 * resolve anywhere later). Returns 0 when acceptable; -1 with *why (if why is not NULL) set
 * to a short static reason for a 422 ("must use https").
 */
int webhooks_url_check(const char *url, int allow_private, const char **why);

#endif
