/* sign.c - webhook signing secrets and the Menhir-Signature header (Stripe's scheme).
 *
 * The header is "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>". Signing the
 * timestamp with the body lets a receiver refuse replays older than its tolerance window;
 * "v1" names the scheme so another can be added beside it, and a receiver accepts a header
 * when any v1 entry matches (several can appear while a secret is being rotated). */
#include "modules/webhooks/webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/hmac.h"

#define SECRET_PREFIX "whsec_"
#define SECRET_BYTES 32

int webhooks_secret_new(char out[WEBHOOKS_SECRET_SIZE])
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[SECRET_BYTES];
	size_t o = sizeof(SECRET_PREFIX) - 1;

	if (RAND_bytes(raw, SECRET_BYTES) != 1)
		return -1;
	memcpy(out, SECRET_PREFIX, o);
	/* 32 bytes: ten groups of three (40 characters) and two bytes left (3 characters). */
	for (size_t i = 0; i < SECRET_BYTES; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 |
			     (i + 2 < SECRET_BYTES ? raw[i + 2] : 0);
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < SECRET_BYTES)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int webhooks_sign(const char *secret, long long t, const char *body, size_t len,
		  char out[WEBHOOKS_SIGNATURE_SIZE])
{
	char hex[65];

	if (secret == NULL || secret[0] == '\0' || t < 0 || mh_hmac_timestamped_hex(secret, t, body, len, hex) < 0)
		return -1;
	snprintf(out, WEBHOOKS_SIGNATURE_SIZE, "t=%lld,v1=%s", t, hex);
	return 0;
}

/* Reads "t=<digits>" into *t; 0, or -1 when malformed or absurdly long. */
static int parse_t(const char *s, size_t n, long long *t)
{
	long long v = 0;

	if (n < 3 || n > 2 + 15 || s[0] != 't' || s[1] != '=')
		return -1;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*t = v;
	return 0;
}

int webhooks_verify(const char *secret, const char *header, const char *body, size_t len,
		    long long now, long long tolerance)
{
	char want[65];
	long long t = -1;
	int have_v1 = 0, match = 0;
	const char *p = header;

	if (secret == NULL || secret[0] == '\0' || header == NULL)
		return WEBHOOKS_SIG_MALFORMED;
	/* Comma-separated key=value entries; t exactly once, v1 one or more times, others (a
	 * future scheme) ignored. */
	for (;;) {
		size_t n = strcspn(p, ",");
		if (n >= 1 && p[0] == 't') {
			if (t >= 0 || parse_t(p, n, &t) < 0)
				return WEBHOOKS_SIG_MALFORMED;
		} else if (n >= 3 && strncmp(p, "v1=", 3) == 0) {
			have_v1 = 1;
		}
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (t < 0 || !have_v1)
		return WEBHOOKS_SIG_MALFORMED;
	if (now - t > tolerance || t - now > tolerance)
		return WEBHOOKS_SIG_STALE;
	if (mh_hmac_timestamped_hex(secret, t, body, len, want) < 0)
		return WEBHOOKS_SIG_MALFORMED;
	/* Every v1 entry is compared, in constant time, whatever came before. */
	for (p = header;;) {
		size_t n = strcspn(p, ",");
		if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0)
			match |= CRYPTO_memcmp(p + 3, want, 64) == 0;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return match ? WEBHOOKS_SIG_OK : WEBHOOKS_SIG_MISMATCH;
}
