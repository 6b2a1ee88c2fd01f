/* token_cache.h - a worker's memory of the access tokens it has verified, so the RS256
 * signature of a token is checked once per worker, not once per request. */
#ifndef MH_TOKEN_CACHE_H
#define MH_TOKEN_CACHE_H

#include <stddef.h>

#include "core/jwt.h"

/*
 * What is cached is the outcome of mh_jwt_verify() for the exact bytes of a token: the
 * claims, until the second the verifier would refuse the token as expired. Nothing else is
 * skipped: revocation (token, session, version) and the membership and role are checked on
 * every request as before. A refused token is never cached.
 *
 * Per worker process and unlocked (a worker serves one request at a time); the table is
 * bounded (MH_TOKEN_CACHE_SLOTS entries, the least recently used one replaced when it is
 * full) and tokens longer than MH_TOKEN_CACHE_TOKEN_MAX bytes are simply not cached.
 * A worker's keyring and verifier settings never change while it lives (a reload forks new
 * workers), so an entry cannot outlive the key or the issuer that accepted it.
 */
#define MH_TOKEN_CACHE_SLOTS     256
#define MH_TOKEN_CACHE_TOKEN_MAX 1536

/* Looks token (len bytes, not NUL-terminated) up at unix time now. Returns 0 and fills out
 * when it was verified before and is still within its validity; -1 otherwise (an entry
 * found expired is dropped). */
int mh_token_cache_get(const char *token, size_t len, long long now, struct mh_token_claims *out);

/* Remembers that token verified to claims c and stays acceptable while now < valid_until
 * (unix seconds: the token's exp plus the verifier's leeway). When the table is full the
 * least recently used entry makes room (an expired one is dropped by the lookup that finds
 * it, or ages out the same way). */
void mh_token_cache_put(const char *token, size_t len, const struct mh_token_claims *c,
                        long long valid_until);

/* Forgets everything (a reload of the keyring, and the tests). */
void mh_token_cache_clear(void);

/* How many entries the table holds now (for the tests and the metrics). */
size_t mh_token_cache_count(void);

#endif
