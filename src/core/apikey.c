/* apikey.c - API keys as bearer credentials: the secret's format and what a presented key
 * names before any round trip. */
#include "core/apikey.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/cursor.h"
#include "core/validate.h"

#define RAW_LEN 64 /* tenant id, key id, secret */

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict base64url of exactly RAW_LEN bytes (86 characters, no padding, the unused low
 * bits of the last character zero, so that each key has one spelling). */
static int decode_raw(const char *s, unsigned char out[RAW_LEN])
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < MH_APIKEY_LEN - 4; i++) {
		int v = b64url_value(s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o == RAW_LEN && acc == 0 ? 0 : -1;
}

static char *uuid_text(struct mh_arena *a, const unsigned char b[16])
{
	return mh_arena_sprintf(a,
	                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	                        "%02x%02x%02x%02x%02x%02x",
	                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	                        b[11], b[12], b[13], b[14], b[15]);
}

static int uuid_bytes(const char *s, unsigned char b[16])
{
	size_t o = 0;

	if (!mh_is_uuid(s))
		return -1;
	for (size_t i = 0; s[i] && o < 16; i++) {
		unsigned v;

		if (s[i] == '-')
			continue;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		b[o++] = (unsigned char)v;
		i++;
	}
	return o == 16 ? 0 : -1;
}

/* "\x" and the lower-case hex SHA-256 of s: a bytea parameter. */
static char *hash_param(struct mh_arena *a, const char *s)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *out = mh_arena_alloc(a, 2 + 2 * sizeof(d) + 1);

	if (out == NULL)
		return NULL;
	SHA256((const unsigned char *)s, strlen(s), d);
	out[0] = '\\';
	out[1] = 'x';
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", d[i]);
	return out;
}

int mh_apikey_make(struct mh_arena *a, const char *tenant_id, struct mh_apikey_new *out)
{
	unsigned char raw[RAW_LEN];
	char *b64;

	if (uuid_bytes(tenant_id, raw) < 0 || RAND_bytes(raw + 16, RAW_LEN - 16) != 1)
		return -1;
	raw[16 + 6] = (unsigned char)((raw[16 + 6] & 0x0f) | 0x40); /* a version 4 UUID */
	raw[16 + 8] = (unsigned char)((raw[16 + 8] & 0x3f) | 0x80);
	b64 = mh_base64url_encode(a, raw, sizeof(raw));
	out->id = uuid_text(a, raw + 16);
	OPENSSL_cleanse(raw, sizeof(raw));
	out->secret = b64 ? mh_arena_sprintf(a, MH_APIKEY_PREFIX "%s", b64) : NULL;
	if (out->secret == NULL || out->id == NULL || strlen(out->secret) != MH_APIKEY_LEN)
		return -1;
	out->hash_param = hash_param(a, out->secret);
	out->last_four = mh_arena_strdup(a, out->secret + MH_APIKEY_LEN - 4);
	return out->hash_param && out->last_four ? 0 : -1;
}

int mh_apikey_is_key(const char *credential)
{
	return strncmp(credential, MH_APIKEY_PREFIX, sizeof(MH_APIKEY_PREFIX) - 1) == 0;
}

int mh_apikey_parse(struct mh_arena *a, const char *credential, struct mh_principal *p)
{
	unsigned char raw[RAW_LEN];

	if (strlen(credential) != MH_APIKEY_LEN || !mh_apikey_is_key(credential) ||
	    decode_raw(credential + 4, raw) < 0)
		return -1;
	p->tenant_id = uuid_text(a, raw);
	p->api_key_id = uuid_text(a, raw + 16);
	OPENSSL_cleanse(raw, sizeof(raw));
	p->api_key_hash = hash_param(a, credential);
	return p->tenant_id && p->api_key_id && p->api_key_hash ? 0 : -1;
}
