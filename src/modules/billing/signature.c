/* signature.c - the payment provider's webhook signature, exactly as Stripe signs:
 * Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(endpoint secret, "<t>.<raw body>")>,
 * with one v1 per active secret (several during the provider's own rotation) and possibly a
 * v0 test scheme, which is ignored. The timestamp is signed with the body, so a captured
 * request cannot be replayed once the tolerance has passed (and within it, the event id
 * deduplicates). */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/hmac.h"

#define MAX_V1 8

/* One "t=…" as a number: digits only. */
static int parse_t(const char *v, size_t n, long long *t)
{
	long long x = 0;

	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*t = x;
	return 0;
}

int billing_signature_verify(const char *header, const char *body, size_t len,
                             const char *const *secrets, int nsecrets, long long now, int tolerance)
{
	const char *v1[MAX_V1];
	size_t v1len[MAX_V1];
	int nv1 = 0, have_t = 0, match = 0;
	long long t = 0;
	const char *p = header;

	if (header == NULL)
		return BILLING_SIG_MALFORMED;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n > 2 && p[0] == 't' && p[1] == '=') {
			if (have_t || parse_t(p + 2, n - 2, &t) < 0)
				return BILLING_SIG_MALFORMED;
			have_t = 1;
		} else if (n > 3 && strncmp(p, "v1=", 3) == 0 && nv1 < MAX_V1) {
			v1[nv1] = p + 3;
			v1len[nv1++] = n - 3;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (!have_t || nv1 == 0)
		return BILLING_SIG_MALFORMED;
	/* Every pair is compared, matched or not, so the time taken says nothing about which
	 * one (or how much of one) matched. */
	for (int s = 0; s < nsecrets; s++) {
		char want[65];

		if (secrets[s] == NULL || secrets[s][0] == '\0' ||
		    mh_hmac_timestamped_hex(secrets[s], t, body, len, want) < 0)
			continue;
		for (int i = 0; i < nv1; i++)
			if (v1len[i] == 64 && CRYPTO_memcmp(want, v1[i], 64) == 0)
				match = 1;
		OPENSSL_cleanse(want, sizeof(want));
	}
	if (!match)
		return BILLING_SIG_MISMATCH;
	if (llabs(now - t) > tolerance)
		return BILLING_SIG_EXPIRED;
	return BILLING_SIG_OK;
}
