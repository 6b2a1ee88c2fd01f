/* address.c - the client address of a request, as a column may store it. */
#include "core/address.h"

#include "core/http.h"

#include <arpa/inet.h>

const char *mh_address_client(const struct mh_request *req)
{
	unsigned char buf[16];
	const char *ip = req->remote_addr;

	if (ip != NULL && (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1))
		return ip;
	return "";
}
