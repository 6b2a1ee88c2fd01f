/* revocation.h - access tokens that must stop working before they expire. */
#ifndef MH_REVOCATION_H
#define MH_REVOCATION_H

#include "core/http.h"

enum mh_revocation_rc { MH_TOKEN_VALID = 0, MH_TOKEN_REVOKED = 1, MH_REVOCATION_UNKNOWN = -1 };

/*
 * Two kinds of revocation live in Redis, shared by every worker on every
 * machine: a revoked token id (logout), kept until the token would have
 * expired anyway, and a user's minimum token version (logout everywhere,
 * password change), kept for one access-token lifetime. A check costs one
 * pipelined Redis round trip and no database query. When Redis cannot answer,
 * the check says MH_REVOCATION_UNKNOWN and the caller refuses the request
 * (fail closed): a revoked token must never work because Redis was down.
 */
int mh_revocation_check(struct mh_request *req, const char *jti, const char *user_id,
			long long token_version);

/* Revokes one token id until expires_at (unix seconds). Returns 0 or -1. */
int mh_revocation_revoke_token(struct mh_request *req, const char *jti, long long expires_at);

/* Every token of user_id with a version below min_version stops working.
 * Returns 0 or -1. */
int mh_revocation_set_min_version(struct mh_request *req, const char *user_id,
				  long long min_version);

/* Access-token lifetime plus leeway: how long revocation records must last. */
void mh_revocation_configure(int access_token_ttl);

#endif
