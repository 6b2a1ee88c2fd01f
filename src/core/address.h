/* address.h - classifies client addresses (internal network or not) and hands them on. */
#ifndef MH_ADDRESS_H
#define MH_ADDRESS_H

/* 1 for loopback, RFC 1918, IPv6 unique-local and link-local addresses and
 * local unix-socket peers ("unix:"); 0 for anything else, including an empty
 * or unparsable address (fail closed). */
int mh_address_is_internal(const char *addr);

struct mh_request;

/* The request's client address when it is an IP address (what an inet column takes, e.g.
 * an audit row's), else "". */
const char *mh_address_client(const struct mh_request *req);

#endif
