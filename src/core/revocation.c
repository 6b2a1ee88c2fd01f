/* revocation.c - access tokens that must stop working before they expire. */
#include "core/revocation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redis.h"

/* Past this, every token issued before the revocation has expired anyway. */
static int record_ttl = 900 + 60;

void mh_revocation_configure(int access_token_ttl)
{
	record_ttl = access_token_ttl + 60;
}

int mh_revocation_check(struct mh_request *req, const char *jti, const char *user_id,
			long long token_version)
{
	redisReply *revoked, *min_version;

	if (mh_redis_append("EXISTS mh:rj:%s", jti) < 0 ||
	    mh_redis_append("GET mh:tv:%s", user_id) < 0)
		return MH_REVOCATION_UNKNOWN;
	revoked = mh_redis_reply(req);
	min_version = revoked ? mh_redis_reply(req) : NULL;
	if (revoked == NULL || min_version == NULL || revoked->type != REDIS_REPLY_INTEGER)
		return MH_REVOCATION_UNKNOWN;
	if (revoked->integer != 0)
		return MH_TOKEN_REVOKED;
	if (min_version->type == REDIS_REPLY_STRING &&
	    token_version < strtoll(min_version->str, NULL, 10))
		return MH_TOKEN_REVOKED;
	return MH_TOKEN_VALID;
}

int mh_revocation_revoke_token(struct mh_request *req, const char *jti, long long expires_at)
{
	long long ttl = expires_at - (long long)time(NULL) + 60;
	redisReply *r;

	if (ttl < 1)
		return 0; /* already expired: nothing can use it */
	r = mh_redis_command(req, "SET mh:rj:%s 1 EX %lld", jti, ttl);
	return r != NULL ? 0 : -1;
}

int mh_revocation_set_min_version(struct mh_request *req, const char *user_id,
				  long long min_version)
{
	/* GREATEST semantics: a slower, older bump must not lower the bar again. */
	static const char script[] =
		"local cur = tonumber(redis.call('GET', KEYS[1]) or '-1') "
		"if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
		"else redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 1";
	char key[96];
	redisReply *r;

	snprintf(key, sizeof(key), "mh:tv:%s", user_id);
	r = mh_redis_command(req, "EVAL %s 1 %s %lld %d", script, key, min_version, record_ttl);
	return r != NULL ? 0 : -1;
}
