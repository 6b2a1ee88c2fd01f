/* text.c - the auth module's text helpers: the slug a tenant name suggests, and the SHA-256
 * (hex) under which secrets and e-mail addresses are kept. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <ctype.h>
#include <string.h>

#include <openssl/sha.h>

char *auth_slug_from_name(struct mh_arena *a, const char *name)
{
	char *out = mh_arena_alloc(a, 57);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p && n < 56; p++) {
		if (isalnum(*p) && *p < 0x80)
			out[n++] = (char)tolower(*p);
		else if (n > 0 && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	return n > 0 ? out : mh_arena_strdup(a, "tenant");
}

char *auth_sha256_hex(struct mh_arena *a, const char *s, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *out = mh_arena_alloc(a, 2 * SHA256_DIGEST_LENGTH + 1);
	static const char hex[] = "0123456789abcdef";

	if (out == NULL)
		return NULL;
	SHA256((const unsigned char *)s, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * SHA256_DIGEST_LENGTH] = '\0';
	return out;
}
