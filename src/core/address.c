/* address.c - classifies client addresses (internal network or not) and hands them on. */
#include "core/address.h"

#include "core/http.h"

#include <arpa/inet.h>
#include <string.h>

static int ipv4_internal(const unsigned char *a)
{
	return a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xF0) == 16) ||
	       (a[0] == 192 && a[1] == 168);
}

int mh_address_is_internal(const char *addr)
{
	unsigned char a[16];
	static const unsigned char loopback6[16] = {[15] = 1};
	static const unsigned char mapped4[12] = {[10] = 0xff, [11] = 0xff};

	if (addr == NULL || *addr == '\0')
		return 0;
	if (strncmp(addr, "unix:", 5) == 0)
		return 1;
	if (inet_pton(AF_INET, addr, a) == 1)
		return ipv4_internal(a);
	if (inet_pton(AF_INET6, addr, a) != 1)
		return 0;
	if (memcmp(a, loopback6, 16) == 0)
		return 1;
	if (memcmp(a, mapped4, 12) == 0)
		return ipv4_internal(a + 12);
	/* fc00::/7 unique-local, fe80::/10 link-local */
	return (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80);
}

const char *mh_address_client(const struct mh_request *req)
{
	unsigned char buf[16];
	const char *ip = req->remote_addr;

	if (ip != NULL && (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1))
		return ip;
	return "";
}
