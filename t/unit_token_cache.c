/* unit_token_cache.c - a worker's verified tokens: a hit gives the claims back, only the exact
 * bytes hit, an entry dies with its token's validity, and the table stays bounded. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/token_cache.h"

#define NOW 1800000000LL

static void setup(void)
{
	mh_token_cache_clear();
}

TestSuite(token_cache, .init = setup);

/* A token-shaped string: n selects the bytes, so each n is a different token of the same
 * length (as two tokens of one issuer are). */
static void token(char out[900], int n)
{
	memset(out, 'a', 899);
	out[899] = '\0';
	memcpy(out, "eyJhbGciOiJSUzI1NiJ9.", 21);
	snprintf(out + 880, 20, "sig%016d", n);
}

static void claims(struct mh_token_claims *c, int n)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sub, sizeof(c->sub), "00000000-0000-4000-8000-%012d", n);
	snprintf(c->jti, sizeof(c->jti), "11111111-0000-4000-8000-%012d", n);
	snprintf(c->role, sizeof(c->role), "viewer");
	c->exp = NOW + 900;
	c->ver = n;
}

Test(token_cache, a_miss_then_a_hit_with_the_claims_it_was_given)
{
	char t[900];
	struct mh_token_claims in, out;

	token(t, 1);
	claims(&in, 1);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), -1, "nothing cached yet");
	mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	memset(&out, 0, sizeof(out));
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0);
	cr_assert_str_eq(out.sub, in.sub);
	cr_assert_str_eq(out.jti, in.jti);
	cr_assert_eq(out.ver, 1);
	cr_assert_eq(out.exp, in.exp);
	cr_assert_eq(mh_token_cache_count(), 1);
	/* Put again (two workers never share; one worker may verify a token twice after an
	 * eviction): still one entry. */
	mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	cr_assert_eq(mh_token_cache_count(), 1);
}

Test(token_cache, only_the_exact_bytes_hit)
{
	char t[900], u[900];
	struct mh_token_claims in, out;

	token(t, 7);
	claims(&in, 7);
	mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	/* One byte changed anywhere (in the payload, far from the hashed tail, or in the
	 * signature) or a prefix: each must be verified on its own. */
	memcpy(u, t, sizeof(u));
	u[100] = 'b';
	cr_assert_eq(mh_token_cache_get(u, strlen(u), NOW, &out), -1, "a payload byte changed");
	memcpy(u, t, sizeof(u));
	u[898] = 'b';
	cr_assert_eq(mh_token_cache_get(u, strlen(u), NOW, &out), -1, "a signature byte changed");
	cr_assert_eq(mh_token_cache_get(t, strlen(t) - 1, NOW, &out), -1, "a prefix");
	cr_assert_eq(mh_token_cache_get(t, 0, NOW, &out), -1, "empty");
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0, "the token itself");
}

Test(token_cache, an_entry_expires_with_its_token)
{
	char t[900];
	struct mh_token_claims in, out;
	long long until = NOW + 930;

	token(t, 2);
	claims(&in, 2);
	mh_token_cache_put(t, strlen(t), &in, until);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), until - 1, &out), 0, "the last valid second");
	cr_assert_eq(mh_token_cache_get(t, strlen(t), until, &out), -1, "expired");
	cr_assert_eq(mh_token_cache_count(), 0, "an expired entry is dropped when found");
	/* And it stays gone, even if the clock went back. */
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), -1);
}

Test(token_cache, bounded_and_the_least_recently_used_entry_makes_room)
{
	char t[900];
	struct mh_token_claims in, out;

	for (int n = 0; n < MH_TOKEN_CACHE_SLOTS; n++) {
		token(t, n);
		claims(&in, n);
		mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	}
	cr_assert_eq(mh_token_cache_count(), MH_TOKEN_CACHE_SLOTS);
	/* Token 0 used again: token 1 is now the least recently used. */
	token(t, 0);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0);
	token(t, MH_TOKEN_CACHE_SLOTS);
	claims(&in, MH_TOKEN_CACHE_SLOTS);
	mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	cr_assert_eq(mh_token_cache_count(), MH_TOKEN_CACHE_SLOTS, "never more than the bound");
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0, "the newcomer is in");
	token(t, 1);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), -1, "the LRU entry was evicted");
	token(t, 0);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0, "the recently used one stays");
	for (int n = 2; n < MH_TOKEN_CACHE_SLOTS; n++) {
		token(t, n);
		cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), 0, "token %d", n);
		cr_assert_eq(out.ver, n, "token %d has its own claims", n);
	}
}

Test(token_cache, a_token_too_long_is_not_cached)
{
	static char big[MH_TOKEN_CACHE_TOKEN_MAX + 2];
	struct mh_token_claims in, out;

	memset(big, 'x', sizeof(big) - 1);
	claims(&in, 3);
	mh_token_cache_put(big, sizeof(big) - 1, &in, in.exp + 30);
	cr_assert_eq(mh_token_cache_count(), 0);
	cr_assert_eq(mh_token_cache_get(big, sizeof(big) - 1, NOW, &out), -1);
}

Test(token_cache, clear_forgets_everything)
{
	char t[900];
	struct mh_token_claims in, out;

	token(t, 4);
	claims(&in, 4);
	mh_token_cache_put(t, strlen(t), &in, in.exp + 30);
	mh_token_cache_clear();
	cr_assert_eq(mh_token_cache_count(), 0);
	cr_assert_eq(mh_token_cache_get(t, strlen(t), NOW, &out), -1);
}
