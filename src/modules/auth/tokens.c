/* tokens.c - refresh tokens and session ids: random tokens and the hashes stored for them, and
 * the successor a rotation seals under its predecessor so a grace replay gets it back. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/cursor.h"

/* The label that separates the sealing key from the stored hash of the same token. */
#define SEAL_LABEL "menhir refresh successor v1"

static const char *hex_param(struct mh_arena *a, const unsigned char *b, size_t n);

/* "\x" + lower-case hex: a bytea parameter in text format. */
static const char *hex_param(struct mh_arena *a, const unsigned char *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *out = mh_arena_alloc(a, 2 * n + 3);

	if (out == NULL)
		return NULL;
	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = hex[b[i] >> 4];
		out[3 + 2 * i] = hex[b[i] & 15];
	}
	out[2 * n + 2] = '\0';
	return out;
}

const char *auth_token_hash_param(struct mh_arena *a, const char *token)
{
	char *hex = auth_sha256_hex(a, token, strlen(token));

	return hex ? mh_arena_sprintf(a, "\\x%s", hex) : NULL;
}

int auth_refresh_make(struct mh_arena *a, struct auth_refresh_token *t)
{
	if (RAND_bytes(t->raw, sizeof(t->raw)) != 1)
		return -1;
	t->token = mh_base64url_encode(a, t->raw, sizeof(t->raw));
	t->hash_param = t->token ? auth_token_hash_param(a, t->token) : NULL;
	return t->hash_param ? 0 : -1;
}

int auth_refresh_new(struct mh_arena *a, const char **token, const char **hash_param)
{
	struct auth_refresh_token t;

	if (auth_refresh_make(a, &t) < 0)
		return -1;
	*token = t.token;
	*hash_param = t.hash_param;
	return 0;
}

const char *auth_session_new(struct mh_arena *a)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return NULL;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return mh_arena_sprintf(
	        a, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
	        b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
	        b[14], b[15]);
}

/*
 * The one-time pad that seals a token's successor: HMAC-SHA256 keyed with the token itself.
 * Each token has exactly one successor, so each pad is used once; the key is the 256-bit
 * secret the client holds, which the database never sees (it stores SHA-256 of the token, a
 * different function of it), so a copy of the database opens nothing.
 */
static int seal_pad(const char *token, unsigned char pad[32])
{
	unsigned int n = 32;

	return HMAC(EVP_sha256(), token, (int)strlen(token), (const unsigned char *)SEAL_LABEL,
	            strlen(SEAL_LABEL), pad, &n) != NULL &&
	                       n == 32
	               ? 0
	               : -1;
}

const char *auth_refresh_seal(struct mh_arena *a, const char *token,
                              const unsigned char successor[32])
{
	unsigned char pad[32];

	if (seal_pad(token, pad) < 0)
		return NULL;
	for (int i = 0; i < 32; i++)
		pad[i] ^= successor[i];
	return hex_param(a, pad, sizeof(pad));
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *auth_refresh_open(struct mh_arena *a, const char *token, const char *boxes_hex)
{
	size_t len = boxes_hex ? strlen(boxes_hex) : 0, n;
	const char *cur = token;

	/* bytea in text format: "\x" and 64 hex digits per sealed successor, at least one. */
	if (len < 2 || boxes_hex[0] != '\\' || boxes_hex[1] != 'x' || (len - 2) % 64 != 0 ||
	    len == 2)
		return NULL;
	n = (len - 2) / 64;
	for (size_t k = 0; k < n && cur != NULL; k++) {
		const char *h = boxes_hex + 2 + 64 * k;
		unsigned char raw[32];

		if (seal_pad(cur, raw) < 0)
			return NULL;
		for (int i = 0; i < 32; i++) {
			int hi = hex_digit(h[2 * i]), lo = hex_digit(h[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return NULL;
			raw[i] ^= (unsigned char)(hi << 4 | lo);
		}
		cur = mh_base64url_encode(a, raw, sizeof(raw));
	}
	return cur;
}
