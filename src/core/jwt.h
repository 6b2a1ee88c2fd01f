/* jwt.h - access tokens: RS256 JWTs issued with libjwt, verified against the
 * preloaded keyring with OpenSSL. */
#ifndef MH_JWT_H
#define MH_JWT_H

#include <stddef.h>

struct mh_token_claims {
	char sub[40]; /* user id (uuid) */
	char tid[40]; /* tenant id (uuid) */
	char role[16];
	char jti[40];
	char sid[40]; /* session: the refresh-token family the token was issued from (uuid) */
	long long ver; /* the user's token_version when issued */
	long long iat;
	long long nbf;
	long long exp;
	char kid[64];
};

/* Issuer, audience, accepted clock skew (seconds) and the longest lifetime a token may
 * have (exp - iat, seconds: the access-token TTL) for issue and verify. */
void mh_jwt_configure(const char *issuer, const char *audience, int leeway, int max_ttl);
/* Changes only that longest lifetime. */
void mh_jwt_set_max_ttl(int max_ttl);

/*
 * Signs claims (sub, tid, role, sid, ver; jti generated if empty, iat/nbf =
 * now, exp = now + ttl, ttl at most max_ttl) with the keyring's active key,
 * "kid" in the header. Returns 0 with the compact token in out, or -1.
 */
int mh_jwt_issue(struct mh_token_claims *c, long long now, int ttl, char *out, size_t outlen);

/*
 * Verifies token (not NUL-terminated: len bytes). Accepts only alg RS256 with
 * a known kid and a valid signature, exp > now - leeway, nbf/iat <= now +
 * leeway, exp - iat <= max_ttl + leeway (a leaked key must not mint tokens
 * that live for years), the configured iss and aud, and well-formed
 * sub/tid/role/jti/sid/ver.
 * Anything else (alg none, HS256 signed with the public key, unknown kid,
 * junk) is rejected. Returns 0 and fills out, or -1 with a short reason in
 * *why for the log (never shown to clients in detail).
 */
int mh_jwt_verify(const char *token, size_t len, long long now, struct mh_token_claims *out,
		  const char **why);

#endif
