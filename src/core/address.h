/* address.h - classifies client addresses (internal network or not). */
#ifndef MH_ADDRESS_H
#define MH_ADDRESS_H

/* 1 for loopback, RFC 1918, IPv6 unique-local and link-local addresses and
 * local unix-socket peers ("unix:"); 0 for anything else, including an empty
 * or unparsable address (fail closed). */
int mh_address_is_internal(const char *addr);

#endif
