/* token_cache.c - a worker's memory of the access tokens it has verified, so the RS256
 * signature of a token is checked once per worker, not once per request. */
#include "core/token_cache.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

/* How many of a token's last bytes the lookup hashes: the tail is signature, different
 * for every token, and hashing all ~900 bytes would cost more than the scan. The exact
 * comparison that follows makes a collision harmless. */
#define HASHED_TAIL 64

struct entry {
	size_t len;
	long long valid_until;
	uint64_t used; /* tick of the last hit, for eviction */
	struct mh_token_claims claims;
	char token[MH_TOKEN_CACHE_TOKEN_MAX];
};

/* The hashes apart from the entries, so a lookup scans 2 KiB, not the whole table;
 * 0 marks a free slot. */
static uint64_t hashes[MH_TOKEN_CACHE_SLOTS];
static struct entry entries[MH_TOKEN_CACHE_SLOTS];
static uint64_t tick;
static size_t count;

/* FNV-1a over the length and the tail, never 0. */
static uint64_t hash_of(const char *token, size_t len)
{
	size_t from = len > HASHED_TAIL ? len - HASHED_TAIL : 0;
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)len;

	for (size_t i = from; i < len; i++) {
		h ^= (unsigned char)token[i];
		h *= 1099511628211ULL;
	}
	return h | 1;
}

/* The slot holding exactly these bytes, or -1. The comparison takes the same time
 * whatever the bytes, so a probe learns nothing of a cached token. */
static int find(const char *token, size_t len, uint64_t h)
{
	for (int i = 0; i < MH_TOKEN_CACHE_SLOTS; i++)
		if (hashes[i] == h && entries[i].len == len &&
		    CRYPTO_memcmp(entries[i].token, token, len) == 0)
			return i;
	return -1;
}

static void drop(int i)
{
	hashes[i] = 0;
	OPENSSL_cleanse(&entries[i], sizeof(entries[i]));
	count--;
}

int mh_token_cache_get(const char *token, size_t len, long long now, struct mh_token_claims *out)
{
	int i;

	if (token == NULL || len == 0 || len > MH_TOKEN_CACHE_TOKEN_MAX)
		return -1;
	i = find(token, len, hash_of(token, len));
	if (i < 0)
		return -1;
	if (now >= entries[i].valid_until) {
		drop(i);
		return -1;
	}
	entries[i].used = ++tick;
	*out = entries[i].claims;
	return 0;
}

void mh_token_cache_put(const char *token, size_t len, const struct mh_token_claims *c,
                        long long valid_until)
{
	uint64_t h;
	int i, victim = 0;

	if (token == NULL || len == 0 || len > MH_TOKEN_CACHE_TOKEN_MAX)
		return;
	h = hash_of(token, len);
	i = find(token, len, h);
	if (i < 0) {
		for (i = 0; i < MH_TOKEN_CACHE_SLOTS; i++) {
			if (hashes[i] == 0)
				break;
			if (entries[i].used < entries[victim].used)
				victim = i;
		}
		if (i == MH_TOKEN_CACHE_SLOTS) {
			i = victim;
			drop(i);
		}
		count++;
	}
	hashes[i] = h;
	entries[i].len = len;
	memcpy(entries[i].token, token, len);
	entries[i].claims = *c;
	entries[i].valid_until = valid_until;
	entries[i].used = ++tick;
}

void mh_token_cache_clear(void)
{
	for (int i = 0; i < MH_TOKEN_CACHE_SLOTS; i++)
		if (hashes[i] != 0)
			drop(i);
	tick = 0;
}

size_t mh_token_cache_count(void)
{
	return count;
}
