/* address.h - the client address of a request, as a column may store it. (Whether a request
 * is internal is the listener's business, never the address's: core/dispatch.c.) */
#ifndef MH_ADDRESS_H
#define MH_ADDRESS_H

struct mh_request;

/* The request's client address when it is an IP address (what an inet column takes, e.g.
 * an audit row's), else "". */
const char *mh_address_client(const struct mh_request *req);

#endif
