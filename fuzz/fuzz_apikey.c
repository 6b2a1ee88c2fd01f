/* fuzz_apikey.c - libFuzzer target for mh_apikey_parse, against a reference decoder written
 * here with OpenSSL's base64: a credential is accepted exactly when it is "mhk_" and the
 * unpadded, canonical base64url of 64 bytes, and then the tenant and key ids are the first
 * two 16-byte groups as UUIDs and the hash parameter is "\x" + hex SHA-256 of the whole
 * credential. The first input byte, when it is '#', asks for a made key with the rest of the
 * input mutating one position (so the fuzzer also explores near-valid keys). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "core/apikey.h"
#include "core/arena.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TENANT "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static struct mh_arena arena;
static int ready;

/* The reference: 1 and the 64 bytes when s is a well-formed key. */
static int reference(const char *s, size_t n, unsigned char raw[66])
{
	char in[96], again[96];
	int len;

	if (n != MH_APIKEY_LEN || memcmp(s, "mhk_", 4) != 0)
		return 0;
	for (size_t i = 4; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
		in[i - 4] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memcpy(in + 86, "==", 3);
	len = EVP_DecodeBlock(raw, (unsigned char *)in, 88);
	if (len != 66)
		return 0;
	/* Canonical: encoding the bytes again gives the same text. */
	EVP_EncodeBlock((unsigned char *)again, raw, 64);
	return memcmp(again, in, 86) == 0;
}

static void uuid(const unsigned char *b, char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], want[37], hash[2 + 64 + 1];
	unsigned char raw[66], d[SHA256_DIGEST_LENGTH];
	struct mh_principal p;
	int ok, ref;

	if (!ready) {
		if (mh_arena_init(&arena, 16384) < 0)
			return 0;
		ready = 1;
	}
	if (size == 0 || size >= sizeof(s))
		return 0;
	if (data[0] == '#' && size >= 3) {
		struct mh_apikey_new k;

		FUZZ_CHECK(mh_apikey_make(&arena, TENANT, &k) == 0, "cannot make a key");
		memcpy(s, k.secret, MH_APIKEY_LEN + 1);
		s[data[1] % MH_APIKEY_LEN] = (char)data[2];
		size = strlen(s);
	} else {
		memcpy(s, data, size);
		s[size] = '\0';
		if (strlen(s) != size) {
			mh_arena_reset(&arena);
			return 0;
		}
	}
	memset(&p, 0, sizeof(p));
	ok = mh_apikey_parse(&arena, s, &p) == 0;
	ref = reference(s, size, raw);
	FUZZ_CHECK(ok == ref, "parse says %d, the reference %d for \"%s\"", ok, ref, s);
	if (ok) {
		uuid(raw, want);
		FUZZ_CHECK(strcmp(p.tenant_id, want) == 0, "tenant %s, want %s", p.tenant_id, want);
		uuid(raw + 16, want);
		FUZZ_CHECK(strcmp(p.api_key_id, want) == 0, "key %s, want %s", p.api_key_id, want);
		SHA256((const unsigned char *)s, size, d);
		hash[0] = '\\';
		hash[1] = 'x';
		for (size_t i = 0; i < sizeof(d); i++)
			snprintf(hash + 2 + 2 * i, 3, "%02x", d[i]);
		FUZZ_CHECK(strcmp(p.api_key_hash, hash) == 0, "hash %s, want %s", p.api_key_hash,
		           hash);
	}
	mh_arena_reset(&arena);
	return 0;
}
