/* url.c - which URLs and addresses may receive webhooks (the SSRF policy).
 *
 * A webhook makes the worker send a request on a tenant's behalf from inside our network, so
 * a target must not be one of our own services. The URL is checked when a job is queued
 * (a clear 422 for the caller); since a host name can resolve to anything later (DNS
 * rebinding), the delivery checks again every address it connects to (deliver.c) with
 * webhooks_address_forbidden. The parser is deliberately strict: whatever libcurl might read
 * differently from us (backslashes, spaces, percent-encoded hosts, zone ids) is refused.
 */
#include "modules/webhooks/webhooks.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

/* IPv4, network byte order in a[0..3]. */
static int ipv4_forbidden(const unsigned char *a)
{
	return a[0] == 0                                  /* "this network", unspecified */
	       || a[0] == 10                              /* private */
	       || (a[0] == 100 && (a[1] & 0xC0) == 64)    /* CGNAT 100.64/10 */
	       || a[0] == 127                             /* loopback */
	       || (a[0] == 169 && a[1] == 254)            /* link-local */
	       || (a[0] == 172 && (a[1] & 0xF0) == 16)    /* private */
	       || (a[0] == 192 && a[1] == 0 && a[2] == 0) /* IETF protocol assignments */
	       || (a[0] == 192 && a[1] == 168)            /* private */
	       || (a[0] == 198 && (a[1] & 0xFE) == 18)    /* benchmarking 198.18/15 */
	       || a[0] >= 224;                            /* multicast, reserved, broadcast */
}

int webhooks_address_forbidden(int family, const unsigned char *a)
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const unsigned char nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

	if (family == AF_INET)
		return ipv4_forbidden(a);
	if (family != AF_INET6)
		return 1;
	/* Forms that carry an IPv4 address, which the kernel or a gateway may reach: mapped
	 * (::ffff:a.b.c.d), the deprecated compatible form (::a.b.c.d, also :: and ::1), NAT64
	 * (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::). */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return memcmp(a, zero, 15) == 0 || ipv4_forbidden(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)
		return ipv4_forbidden(a + 2);
	/* fc00::/7 unique local; fe80::/10 link-local and fec0::/10 site-local; ff00::/8
	 * multicast. */
	return (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0x80) == 0x80) || a[0] == 0xFF;
}

/* One part of an inet_aton-style IPv4 address: decimal, octal (leading 0) or hex (0x). */
static int aton_part(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (n == 0)
		return -1;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
		if (n == 0)
			return -1;
	} else if (n >= 2 && s[0] == '0') {
		base = 8;
	}
	if (n > 32)
		return -1; /* no valid part is that long; keeps v from overflowing */
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		if (d >= base)
			return -1;
		v = v * base + d;
		if (v > 0xFFFFFFFFu)
			return -1;
	}
	*out = v;
	return 0;
}

/* The 1 to 4 dotted parts that inet_aton (and so the system resolver) accepts: a.b.c.d,
 * a.b.c (c 16 bits), a.b (b 24 bits), a (32 bits). */
static int parse_ipv4_any(const char *s, size_t n, unsigned char out[4])
{
	uint64_t part[4], v;
	size_t np = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (np == 4 || aton_part(s + start, i - start, &part[np]) < 0)
			return -1;
		np++;
		start = i + 1;
	}
	for (size_t i = 0; i + 1 < np; i++)
		if (part[i] > 255)
			return -1;
	if (part[np - 1] >= (1ULL << (8 * (5 - np))))
		return -1;
	v = part[np - 1];
	for (size_t i = 0; i + 1 < np; i++)
		v |= part[i] << (8 * (3 - i));
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
	return 0;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

/* host is not bracketed: a name or an IPv4 literal. */
static int check_name(const char *host, size_t n, int allow_private, const char **why)
{
	unsigned char a[4];
	size_t last;

	for (size_t i = 0; i < n; i++)
		if (!is_name_char(host[i]))
			return fail(why, "has an invalid host");
	if (n > 253 + 1)
		return fail(why, "has an invalid host");
	if (n > 1 && host[n - 1] == '.')
		n--; /* "localhost." is localhost */
	if (host[0] == '.' || host[n - 1] == '.' || memmem(host, n, "..", 2) != NULL)
		return fail(why, "has an invalid host");
	last = n;
	while (last > 0 && host[last - 1] != '.')
		last--;
	/* No top-level domain starts with a digit, and the resolver reads such a host as an
	 * IPv4 address in any of inet_aton's forms: read it the same way, or refuse it. */
	if (host[last] >= '0' && host[last] <= '9') {
		if (parse_ipv4_any(host, n, a) < 0)
			return fail(why, "has an invalid IP address");
		if (!allow_private && ipv4_forbidden(a))
			return fail(why, "points to a private, loopback or reserved address");
		return 0;
	}
	if (!allow_private && ((n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	                       (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0)))
		return fail(why, "points to a private, loopback or reserved address");
	return 0;
}

/* host is the inside of [...]. */
static int check_ipv6(const char *host, size_t n, int allow_private, const char **why)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char a[16];

	if (n == 0 || n >= sizeof(text))
		return fail(why, "has an invalid IP address");
	memcpy(text, host, n);
	text[n] = '\0';
	/* inet_pton refuses zone ids ("%25eth0"), which would name an interface. */
	if (inet_pton(AF_INET6, text, a) != 1)
		return fail(why, "has an invalid IP address");
	if (!allow_private && webhooks_address_forbidden(AF_INET6, a))
		return fail(why, "points to a private, loopback or reserved address");
	return 0;
}

static int check_port(const char *p, size_t n, const char **why)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return fail(why, "has an invalid port");
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(why, "has an invalid port");
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return fail(why, "has an invalid port");
	return 0;
}

int webhooks_url_check(const char *url, int allow_private, const char **why)
{
	const char *auth, *end, *host, *colon;
	size_t len, hostlen;

	if (url == NULL || url[0] == '\0')
		return fail(why, "is empty");
	len = strlen(url);
	if (len > WEBHOOKS_URL_MAX)
		return fail(why, "is longer than 2000 characters");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F ||
		    url[i] == '\\')
			return fail(why, "contains a character that a URL may not contain");
	if (strncasecmp(url, "https://", 8) == 0) {
		auth = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		if (!allow_private)
			return fail(why, "must use https");
		auth = url + 7;
	} else {
		return fail(why, "must be an absolute https URL");
	}
	if (strchr(url, '#') != NULL)
		return fail(why, "must not have a fragment");
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return fail(why, "must not contain a user name or password");
	if (end == auth)
		return fail(why, "has no host");
	host = auth;
	if (*host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		if (close == NULL)
			return fail(why, "has an invalid IP address");
		if (close + 1 != end && close[1] != ':')
			return fail(why, "has an invalid host");
		if (close + 1 != end && check_port(close + 2, (size_t)(end - close - 2), why) < 0)
			return -1;
		return check_ipv6(host + 1, (size_t)(close - host - 1), allow_private, why);
	}
	colon = memchr(host, ':', (size_t)(end - host));
	hostlen = (size_t)((colon ? colon : end) - host);
	if (hostlen == 0)
		return fail(why, "has no host");
	if (colon != NULL && check_port(colon + 1, (size_t)(end - colon - 1), why) < 0)
		return -1;
	return check_name(host, hostlen, allow_private, why);
}
