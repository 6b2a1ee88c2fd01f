/* ratelimit.c - per-tenant request rate limits: GCRA in Redis, IETF RateLimit fields.
 *
 * GCRA (the generic cell rate algorithm) keeps one number per key: the theoretical arrival
 * time (TAT) of the next request if requests came exactly one emission interval
 * (window / quota) apart. A request is allowed while TAT + interval - now stays within
 * the window, which allows a burst of `quota` at once and then one request per interval.
 * The whole step (read the clock, read TAT, decide, write TAT) is one Lua script, so
 * workers and machines sharing the Redis never race, and it reads Redis's clock (TIME),
 * so machines whose clocks disagree still count against the same timeline.
 */
#include "core/ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/redis.h"
#include "core/scoreboard.h"

/* How often a worker may log that it let requests through unchecked: an outage must not
 * write one line per request. */
#define FAIL_OPEN_LOG_INTERVAL_US (10 * 1000000LL)

/* KEYS[1] holds the TAT in microseconds of Redis time; ARGV: quota, window seconds.
 * Returns {allowed, remaining, reset seconds, retry-after seconds}. A refused request
 * leaves the TAT alone: hammering does not push the next allowed request further away. */
static struct mh_redis_script gcra_script = {
        .source = "if redis.replicate_commands then redis.replicate_commands() end\n"
                  "local quota = tonumber(ARGV[1])\n"
                  "local window = tonumber(ARGV[2]) * 1000000\n"
                  "local interval = window / quota\n"
                  "local clock = redis.call('TIME')\n"
                  "local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])\n"
                  "local tat = tonumber(redis.call('GET', KEYS[1])) or now\n"
                  "if tat < now then tat = now end\n"
                  "local ahead = tat + interval - now\n"
                  /* 1 µs of slack for the rounding of a fractional interval. */
                  "if ahead > window + 1 then\n"
                  "  local wait = math.ceil((ahead - window) / 1000000)\n"
                  "  return {0, 0, wait, wait}\n"
                  "end\n"
                  "redis.call('SET', KEYS[1], string.format('%.3f', tat + interval), 'PX',\n"
                  "           math.ceil(ahead / 1000) + 1)\n"
                  "local left = math.floor((window - ahead) / interval + 1e-9)\n"
                  /* When the next unit of quota comes back: the "t" parameter. */
                  "local more = ahead + (left + 1) * interval - window\n"
                  "return {1, left, math.ceil(more / 1000000 - 1e-9), 0}\n",
};

static mh_rate_lookup_fn lookups[MH_RATELIMIT_LOOKUPS];
static int nlookups;

static long long last_fail_log_us;
static long long fail_open_unlogged;

void mh_ratelimit_set_lookup(mh_rate_lookup_fn fn)
{
	if (fn == NULL)
		return;
	if (nlookups == MH_RATELIMIT_LOOKUPS) {
		/* A programming error at start-up, never at run time. */
		mh_log(MH_LOG_ERROR, "ratelimit_lookups_full", "more than %d rate-limit lookups",
		       MH_RATELIMIT_LOOKUPS);
		return;
	}
	lookups[nlookups++] = fn;
}

int mh_ratelimit_route_applies(const struct mh_route *r)
{
	return r != NULL && !(r->flags & (MH_PUBLIC | MH_INTERNAL)) && r->min_role != MH_ROLE_NONE;
}

int mh_ratelimit_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(((struct mh_rate_policy *)0)->name) ||
	    !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return 0;
	/* Within an sf-string these need no escaping, and they keep the Redis key readable. */
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:") ==
	       n;
}

/* Appends item to header name's value in res, or adds the header: one field, a list. */
static int add_item(struct mh_arena *a, struct mh_response *res, const char *name, const char *item)
{
	if (item == NULL)
		return mh_response_header(res, name, NULL); /* recorded as dropped */
	for (size_t i = 0; i < res->nheaders; i++) {
		char *both;

		if (strcmp(res->headers[i].key, name) != 0)
			continue;
		if ((both = mh_arena_sprintf(a, "%s, %s", res->headers[i].value, item)) == NULL) {
			/* The response would understate the limits: fail it (dispatch.c). */
			if (res->dropped_header == NULL)
				res->dropped_header = name;
			return -1;
		}
		res->headers[i].value = both;
		return 0;
	}
	return mh_response_header(res, name, item);
}

int mh_ratelimit_add_fields(struct mh_arena *a, struct mh_response *res,
                            const struct mh_rate_policy *p, const struct mh_rate_result *r)
{
	char *policy, *limit;

	if (!mh_ratelimit_name_ok(p->name))
		return -1;
	policy = mh_arena_sprintf(a, "\"%s\";q=%ld;w=%d", p->name, p->quota, p->window_seconds);
	limit = mh_arena_sprintf(a, "\"%s\";r=%ld;t=%ld", p->name, r->remaining, r->reset);
	/* NULL (no memory) is recorded as a dropped header by mh_response_header(). */
	if (add_item(a, res, "RateLimit-Policy", policy) < 0 ||
	    add_item(a, res, "RateLimit", limit) < 0)
		return -1;
	return 0;
}

/* The first lookup that answers decides. Returns as a lookup does, 0 for quota 0. */
static int lookup(struct mh_request *req, const char *scope, struct mh_rate_policy *out)
{
	for (int i = 0; i < nlookups; i++) {
		int rc;

		memset(out, 0, sizeof(*out));
		rc = lookups[i](req, scope, out);
		if (rc == 0)
			continue;
		if (rc < 0)
			return -1;
		if (out->quota == 0)
			return 0;
		if (out->quota < 0 || out->window_seconds < 1 || !mh_ratelimit_name_ok(out->name))
			return -1;
		return 1;
	}
	return 0;
}

/* Let through unchecked: counted every time, logged at most once an interval per worker. */
static int fail_open(struct mh_request *req, const char *scope, const char *why)
{
	long long now = mh_now_us();

	mh_metrics_ratelimit_fail_open();
	fail_open_unlogged++;
	if (now - last_fail_log_us >= FAIL_OPEN_LOG_INTERVAL_US) {
		mh_log(MH_LOG_WARN, "ratelimit_fail_open",
		       "request %s: scope %s not limited (%s); %lld check(s) let through unchecked "
		       "since the last report",
		       req->request_id, scope, why, fail_open_unlogged);
		last_fail_log_us = now;
		fail_open_unlogged = 0;
	}
	return 0;
}

/* One GCRA step in Redis. Returns 0 with out filled, or -1 (Redis unreachable). */
static int gcra(struct mh_request *req, const char *scope, const struct mh_rate_policy *p,
                struct mh_rate_result *out)
{
	const char *args[4];
	redisReply *r;

	args[0] = "1";
	/* The tenant's own key and a key per tenant and scope: one tenant's traffic never
	 * spends another's, nor a feature's the tenant's. */
	args[1] = strcmp(scope, "tenant") == 0
	                  ? mh_arena_sprintf(req->arena, "rl:t:%s", req->principal.tenant_id)
	                  : mh_arena_sprintf(req->arena, "rl:s:%s:%s", req->principal.tenant_id,
	                                     scope);
	args[2] = mh_arena_sprintf(req->arena, "%ld", p->quota);
	args[3] = mh_arena_sprintf(req->arena, "%d", p->window_seconds);
	if (args[1] == NULL || args[2] == NULL || args[3] == NULL)
		return -1;
	r = mh_redis_script_run(req, &gcra_script, 4, args);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 4)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
	out->allowed = r->element[0]->integer == 1;
	out->remaining = (long)r->element[1]->integer;
	out->reset = (long)r->element[2]->integer;
	out->retry_after = (long)r->element[3]->integer;
	if (!out->allowed && out->retry_after < 1)
		out->retry_after = 1;
	return 0;
}

int mh_ratelimit_check_or_reply(struct mh_request *req, struct mh_response *res, const char *scope)
{
	struct mh_rate_policy policy;
	struct mh_rate_result result;
	const char *message;
	int rc;

	if (nlookups == 0 || req->principal.tenant_id == NULL ||
	    req->principal.tenant_id[0] == '\0')
		return 0;
	rc = lookup(req, scope, &policy);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return fail_open(req, scope, "the lookup failed");
	if (gcra(req, scope, &policy, &result) < 0)
		return fail_open(req, scope, "Redis unreachable");
	/* A header that does not fit fails the request loudly (dispatch.c): no check here. */
	(void)mh_ratelimit_add_fields(req->arena, res, &policy, &result);
	if (result.allowed)
		return 0;
	mh_metrics_ratelimit_refused();
	mh_response_header(res, "Retry-After",
	                   mh_arena_sprintf(req->arena, "%ld", result.retry_after));
	message = mh_arena_sprintf(req->arena,
	                           "too many requests for the \"%s\" limit (%ld per %d s); retry "
	                           "after the time in Retry-After",
	                           policy.name, policy.quota, policy.window_seconds);
	mh_reply_error(req, res, 429, "rate_limited",
	               message ? message
	                       : "too many requests; retry after the time in Retry-After");
	return -1;
}
