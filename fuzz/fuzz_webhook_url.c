/* fuzz_webhook_url.c - webhooks_url_check (the SSRF gate for webhook targets) against a
 * reference reading of what it accepted, and webhooks_verify on arbitrary headers.
 *
 * Input: one byte of flags (bit 0: allow_private), then the URL (up to the first NUL), or,
 * when bit 1 is set, a Menhir-Signature header to verify against a fixed body and secret.
 *
 * The oracle re-reads an accepted URL independently: the scheme, no user info, no fragment,
 * printable ASCII, at most 2000 bytes, a host; in strict mode, a host the C library reads as
 * an IPv4 address (inet_aton, which is what the resolver does with a numeric name) or an IPv6
 * literal must not be in the forbidden ranges, checked here with masks written from the RFCs,
 * and the name must not be localhost. Strict acceptance implies lenient acceptance. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_util.h"
#include "modules/webhooks/webhooks.h"

/* 1 when the IPv4 address v (host order) is in a range no webhook may reach. */
static int ref_v4_forbidden(uint32_t v)
{
	static const struct {
		uint32_t net, mask;
	} ranges[] = {
		{ 0x00000000, 0xFF000000 }, /* 0/8 */
		{ 0x0A000000, 0xFF000000 }, /* 10/8 */
		{ 0x64400000, 0xFFC00000 }, /* 100.64/10 */
		{ 0x7F000000, 0xFF000000 }, /* 127/8 */
		{ 0xA9FE0000, 0xFFFF0000 }, /* 169.254/16 */
		{ 0xAC100000, 0xFFF00000 }, /* 172.16/12 */
		{ 0xC0A80000, 0xFFFF0000 }, /* 192.168/16 */
		{ 0xE0000000, 0xF0000000 }, /* 224/4 multicast */
		{ 0xF0000000, 0xF0000000 }, /* 240/4 reserved, broadcast */
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(*ranges); i++)
		if ((v & ranges[i].mask) == ranges[i].net)
			return 1;
	return 0;
}

static int ref_v6_forbidden(const unsigned char *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	int zero = 1;

	for (int i = 0; i < 15; i++)
		zero &= a[i] == 0;
	if (zero)
		return 1; /* :: and ::1 */
	if (memcmp(a, mapped, 12) == 0)
		return ref_v4_forbidden((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
					(uint32_t)a[14] << 8 | a[15]);
	return (a[0] & 0xFE) == 0xFC || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) || a[0] == 0xFF;
}

static void check_url(const char *url, int allow)
{
	const char *why = NULL, *auth, *end, *host;
	int rc = webhooks_url_check(url, allow, &why);
	size_t len = strlen(url), hostlen;
	char h[300];

	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc < 0) {
		FUZZ_CHECK(why != NULL && why[0] != '\0', "refused without a reason");
		return;
	}
	if (!allow)
		FUZZ_CHECK(webhooks_url_check(url, 1, NULL) == 0, "strict accepts what lenient refuses");
	FUZZ_CHECK(len >= 1 && len <= 2000, "accepted a URL of %zu bytes", len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(url[i] > 0x20 && url[i] < 0x7F && url[i] != '\\' && url[i] != '#',
			   "accepted byte 0x%02x", (unsigned char)url[i]);
	if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8;
	else {
		FUZZ_CHECK(allow && strncasecmp(url, "http://", 7) == 0, "accepted scheme of %s", url);
		auth = url + 7;
	}
	end = auth + strcspn(auth, "/?");
	FUZZ_CHECK(memchr(auth, '@', (size_t)(end - auth)) == NULL, "user info in %s", url);
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(end - auth));
		unsigned char a6[16];

		FUZZ_CHECK(close != NULL, "unclosed bracket in %s", url);
		hostlen = (size_t)(close - auth - 1);
		FUZZ_CHECK(hostlen > 0 && hostlen < sizeof(h), "host of %zu bytes", hostlen);
		memcpy(h, auth + 1, hostlen);
		h[hostlen] = '\0';
		FUZZ_CHECK(inet_pton(AF_INET6, h, a6) == 1, "accepted IPv6 literal %s", h);
		if (!allow)
			FUZZ_CHECK(!ref_v6_forbidden(a6), "accepted forbidden address [%s]", h);
		return;
	}
	host = auth;
	hostlen = strcspn(host, ":/?");
	if (host + hostlen > end)
		hostlen = (size_t)(end - host);
	FUZZ_CHECK(hostlen > 0, "no host in %s", url);
	if (allow || hostlen >= sizeof(h))
		return;
	memcpy(h, host, hostlen);
	h[hostlen] = '\0';
	if (hostlen > 1 && h[hostlen - 1] == '.')
		h[--hostlen] = '\0';
	{
		struct in_addr a4;
		if (inet_aton(h, &a4) == 1)
			FUZZ_CHECK(!ref_v4_forbidden(ntohl(a4.s_addr)), "accepted %s, which is %s", h,
				   inet_ntoa(a4));
	}
	for (size_t i = 0; i < hostlen; i++)
		h[i] = (char)tolower((unsigned char)h[i]);
	FUZZ_CHECK(strcmp(h, "localhost") != 0 &&
			   (hostlen < 10 || strcmp(h + hostlen - 10, ".localhost") != 0),
		   "accepted local name %s", h);
}

static void check_signature(const char *header)
{
	static const char body[] = "{\"id\":\"evt_1\"}";
	int rc = webhooks_verify("whsec_fuzz_secret_0123456789abcdef", header, body,
				 sizeof(body) - 1, 1700000000, 300);

	/* Nobody can forge the MAC without the secret: only well-formed refusals. */
	FUZZ_CHECK(rc == WEBHOOKS_SIG_MALFORMED || rc == WEBHOOKS_SIG_STALE ||
			   rc == WEBHOOKS_SIG_MISMATCH,
		   "verify returned %d for %s", rc, header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = strndup((const char *)data + 1, size - 1);
	if (s == NULL)
		return 0;
	if (data[0] & 2)
		check_signature(s);
	else
		check_url(s, data[0] & 1);
	free(s);
	return 0;
}
