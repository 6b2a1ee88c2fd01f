/* limits.c - Menhir's own counters on the routes that send mail (on top of nginx's limit_req):
 * a fixed-window count per scope and key, and a cooldown between two mails of one flow to one
 * address. Redis is an accelerator: when it is down both fail open, and say so in the log. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "core/address.h"
#include "core/log.h"
#include "core/redis.h"

/* The key names an address by its hash: no e-mail address is stored in Redis. */
static const char *key_for(struct mh_arena *a, const char *scope, const char *id)
{
	const char *h = auth_sha256_hex(a, id, strlen(id));

	return h ? mh_arena_sprintf(a, "mh:ml:%s:%s", scope, h) : NULL;
}

int auth_rate_limit_or_reply(struct mh_request *req, struct mh_response *res, const char *scope,
                             const char *id, int max, int window)
{
	const char *key = key_for(req->arena, scope, id);
	redisReply *count, *ttl;

	if (key == NULL)
		return -1;
	if (mh_redis_append("INCR %s", key) < 0 ||
	    mh_redis_append("EXPIRE %s %d NX", key, window) < 0 ||
	    mh_redis_append("TTL %s", key) < 0) {
		mh_log(MH_LOG_WARN, "rate_limit_unavailable", "request %s: %s not counted (Redis)",
		       req->request_id, scope);
		return 1;
	}
	count = mh_redis_reply(req);
	(void)mh_redis_reply(req);
	ttl = mh_redis_reply(req);
	if (count == NULL || count->type != REDIS_REPLY_INTEGER) {
		mh_log(MH_LOG_WARN, "rate_limit_unavailable", "request %s: %s not counted (Redis)",
		       req->request_id, scope);
		return 1;
	}
	if (count->integer <= max)
		return 1;
	{
		long long wait = ttl && ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 0
		                         ? ttl->integer
		                         : window;
		const char *v = mh_arena_sprintf(req->arena, "%lld", wait);

		if (v != NULL)
			mh_response_header(res, "Retry-After", v);
	}
	mh_log(MH_LOG_INFO, "rate_limited", "request %s: %s over %d per %d s", req->request_id,
	       scope, max, window);
	mh_reply_error(req, res, 429, "too_many_requests",
	               "too many requests of this kind; try again later");
	return 0;
}

int auth_mail_cooldown_take(struct mh_request *req, const char *flow, const char *id)
{
	const char *key = key_for(req->arena, flow, id);
	redisReply *r;

	if (key == NULL)
		return -1;
	if (auth_settings.mail_cooldown <= 0)
		return 1;
	r = mh_redis_command(req, "SET %s 1 NX EX %d", key, auth_settings.mail_cooldown);
	if (r == NULL) {
		mh_log(MH_LOG_WARN, "rate_limit_unavailable",
		       "request %s: %s cooldown not checked"
		       " (Redis)",
		       req->request_id, flow);
		return 1;
	}
	return r->type == REDIS_REPLY_STATUS ? 1 : 0;
}

int auth_mail_ip_limit_or_reply(struct mh_request *req, struct mh_response *res)
{
	return auth_rate_limit_or_reply(req, res, "ip", mh_address_client(req),
	                                auth_settings.mail_ip_max, 3600);
}
