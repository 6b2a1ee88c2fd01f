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
#include "core/ratelimit_stock.h"
#include "core/scoreboard.h"

/* How often a worker may log that it let requests through unchecked: an outage must not
 * write one line per request. */
#define FAIL_OPEN_LOG_INTERVAL_US (10 * 1000000LL)

/* The most scopes one request checks at once: the tenant's and one of the handler's. */
#define MAX_SCOPES 2

/*
 * KEYS[i] holds scope i's TAT in microseconds of Redis time; ARGV[4i-3], ARGV[4i-2] its
 * quota and window in seconds, ARGV[4i-1] how many requests to reserve (the batch: at least
 * one, fewer if fewer fit), ARGV[4i] microseconds of an earlier reservation this worker did
 * not spend, handed back first. The request is allowed when every scope has room for one,
 * and only then charged to every scope: a refused request leaves each TAT alone (but for
 * what is handed back), so hammering does not push the next allowed request further away.
 * Returns, per scope, {allowed, remaining, reset seconds, retry-after seconds, reserved};
 * a scope that did not refuse a refused request tells what it has left without it.
 */
static struct mh_redis_script gcra_script = {
        .source = "if redis.replicate_commands then redis.replicate_commands() end\n"
                  "local clock = redis.call('TIME')\n"
                  "local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])\n"
                  "local s, refused = {}, false\n"
                  "for i = 1, #KEYS do\n"
                  "  local quota = tonumber(ARGV[4 * i - 3])\n"
                  "  local window = tonumber(ARGV[4 * i - 2]) * 1000000\n"
                  "  local want = tonumber(ARGV[4 * i - 1])\n"
                  "  local back = tonumber(ARGV[4 * i])\n"
                  "  local tat = (tonumber(redis.call('GET', KEYS[i])) or now) - back\n"
                  "  if tat < now then tat = now end\n"
                  "  local interval = window / quota\n"
                  /* 1 µs of slack for the rounding of a fractional interval. */
                  "  local fit = math.floor((window + 1 - (tat - now)) / interval)\n"
                  "  local ok = fit >= 1\n"
                  "  s[i] = {quota = quota, window = window, interval = interval, tat = tat,\n"
                  "          ok = ok, n = math.min(want, fit), back = back}\n"
                  "  if not ok then refused = true end\n"
                  "end\n"
                  "local out = {}\n"
                  "for i = 1, #KEYS do\n"
                  "  local c = s[i]\n"
                  "  local ahead = c.tat - now\n"
                  "  local n = 0\n"
                  "  if c.ok and not refused then n = c.n end\n"
                  "  ahead = ahead + n * c.interval\n"
                  "  if n > 0 or c.back > 0 then\n"
                  "    redis.call('SET', KEYS[i], string.format('%.3f', c.tat + n * c.interval),\n"
                  "               'PX', math.ceil(ahead / 1000) + 1)\n"
                  "  end\n"
                  "  if not c.ok then\n"
                  "    local wait = math.ceil((ahead + c.interval - c.window) / 1000000)\n"
                  "    out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] =\n"
                  "        0, 0, wait, wait\n"
                  "    out[#out + 1] = 0\n"
                  "  else\n"
                  "    local left = math.min(c.quota,\n"
                  "        math.floor((c.window - ahead) / c.interval + 1e-9))\n"
                  /* When the next unit of quota comes back: the "t" parameter. */
                  "    local more = 0\n"
                  "    if left < c.quota then\n"
                  "      more = math.ceil((ahead + (left + 1) * c.interval - c.window) / 1000000\n"
                  "                       - 1e-9)\n"
                  "    end\n"
                  "    out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] =\n"
                  "        1, left, more, 0\n"
                  "    out[#out + 1] = n\n"
                  "  end\n"
                  "end\n"
                  "return out\n",
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

/* A scope this request is checked against: its policy, its Redis key, this worker's
 * reservation for it, and, after the step, its result. */
struct check {
	const char *scope;
	struct mh_rate_policy policy;
	const char *key;
	struct mh_rl_stock *stock; /* NULL: every request asks Redis */
	long long refund_us;       /* an unspent reservation to hand back */
	int remote;                /* 1: asks Redis this time */
	long reserved;             /* what Redis granted (remote only) */
	struct mh_rate_result result;
};

/* Adds scope to c[*n] when a lookup limits it. Returns 0, or -1 when the lookup failed
 * (the scope is then let through, counted). */
static int add_scope(struct mh_request *req, const char *scope, struct check *c, int *n)
{
	int rc = lookup(req, scope, &c[*n].policy);

	if (rc < 0) {
		fail_open(req, scope, "the lookup failed");
		return -1;
	}
	if (rc > 0)
		c[(*n)++].scope = scope;
	return 0;
}

/* Fills c's key and finds this worker's reservation for it. Returns 0, or -1 (no memory). */
static int prepare(struct mh_request *req, struct check *c, int64_t now)
{
	/* The tenant's own key and a key per tenant and scope: one tenant's traffic never
	 * spends another's, nor a feature's the tenant's. */
	c->key = strcmp(c->scope, "tenant") == 0
	                 ? mh_arena_sprintf(req->arena, "rl:t:%s", req->principal.tenant_id)
	                 : mh_arena_sprintf(req->arena, "rl:s:%s:%s", req->principal.tenant_id,
	                                    c->scope);
	if (c->key == NULL)
		return -1;
	c->stock = mh_rl_stock_get(c->key, &c->policy, now, mh_ratelimit_batch(&c->policy) > 1,
	                           &c->refund_us);
	c->remote = c->stock == NULL || c->stock->stock == 0;
	return 0;
}

/* One GCRA step in Redis for the scopes of c that have no reservation left, all at once (one
 * round trip). Returns 0 with their results filled, or -1 (Redis unreachable, or an answer
 * that makes no sense). */
static int gcra(struct mh_request *req, struct check *c, int n)
{
	const char *args[1 + 5 * MAX_SCOPES];
	struct check *asked[MAX_SCOPES];
	redisReply *r;
	int k = 1, m = 0;

	for (int i = 0; i < n; i++)
		if (c[i].remote)
			asked[m++] = &c[i];
	args[0] = m == 1 ? "1" : "2";
	for (int i = 0; i < m; i++)
		args[k++] = asked[i]->key;
	for (int i = 0; i < m; i++) {
		struct check *x = asked[i];

		args[k++] = mh_arena_sprintf(req->arena, "%ld", x->policy.quota);
		args[k++] = mh_arena_sprintf(req->arena, "%d", x->policy.window_seconds);
		args[k++] = mh_arena_sprintf(req->arena, "%ld", mh_ratelimit_batch(&x->policy));
		args[k++] = mh_arena_sprintf(req->arena, "%lld", x->refund_us);
	}
	for (int i = 0; i < k; i++)
		if (args[i] == NULL)
			return -1;
	r = mh_redis_script_run(req, &gcra_script, k, args);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)(5 * m))
		return -1;
	for (size_t i = 0; i < r->elements; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
	for (int i = 0; i < m; i++) {
		struct mh_rate_result *o = &asked[i]->result;

		o->allowed = r->element[5 * i]->integer == 1;
		o->remaining = (long)r->element[5 * i + 1]->integer;
		o->reset = (long)r->element[5 * i + 2]->integer;
		o->retry_after = (long)r->element[5 * i + 3]->integer;
		asked[i]->reserved = (long)r->element[5 * i + 4]->integer;
		if (!o->allowed && o->retry_after < 1)
			o->retry_after = 1;
		/* Handed back: the reservation is Redis's again whatever the outcome. */
		asked[i]->refund_us = 0;
	}
	return 0;
}

/*
 * Settles c after the step (or without one, when every scope had a reservation): a scope
 * that asked Redis keeps what it reserved beyond this request; a scope spent locally reports
 * what Redis reported at its reservation plus what this worker still holds, so "r" is
 * approximate by at most the other workers' reservations. spend 0 (the request was refused)
 * spends nothing locally.
 */
static void settle_stock(struct check *c, int64_t now, int spend)
{
	struct mh_rl_stock *s = c->stock;

	if (c->remote) {
		if (s == NULL || !c->result.allowed || c->reserved < 1)
			return;
		s->stock = spend ? c->reserved - 1 : c->reserved;
		s->left = c->result.remaining;
		s->reset = c->result.reset;
		s->expires_us = now + MH_RL_HOLD_US;
		c->result.remaining += s->stock;
		return;
	}
	if (spend)
		s->stock--;
	c->result.allowed = 1;
	c->result.remaining = s->left + s->stock;
	c->result.reset = s->reset;
	c->result.retry_after = 0;
}

/* The 429 for the scopes of c that refused: Retry-After is the longest wait. */
static void refuse(struct mh_request *req, struct mh_response *res, const struct check *c, int n)
{
	const struct check *worst = NULL;
	const char *message;

	for (int i = 0; i < n; i++)
		if (!c[i].result.allowed &&
		    (worst == NULL || c[i].result.retry_after > worst->result.retry_after))
			worst = &c[i];
	mh_metrics_ratelimit_refused();
	mh_response_header(res, "Retry-After",
	                   mh_arena_sprintf(req->arena, "%ld", worst->result.retry_after));
	message = mh_arena_sprintf(req->arena,
	                           "too many requests for the \"%s\" limit (%ld per %d s); retry "
	                           "after the time in Retry-After",
	                           worst->policy.name, worst->policy.quota,
	                           worst->policy.window_seconds);
	mh_reply_error(req, res, 429, "rate_limited",
	               message ? message
	                       : "too many requests; retry after the time in Retry-After");
}

/* The check behind mh_ratelimit_check_or_reply() and mh_ratelimit_settle(): scope, with
 * the tenant's when it is still pending. may_refuse 0 only charges and adds the fields. */
static int check(struct mh_request *req, struct mh_response *res, const char *scope, int may_refuse)
{
	struct check c[MAX_SCOPES];
	int n = 0, refused = 0, remote = 0;
	int64_t now;

	if (nlookups == 0 || req->principal.tenant_id == NULL ||
	    req->principal.tenant_id[0] == '\0') {
		req->ratelimit_pending = 0;
		return 0;
	}
	memset(c, 0, sizeof(c));
	if (req->ratelimit_pending && strcmp(scope, "tenant") != 0)
		(void)add_scope(req, "tenant", c, &n);
	req->ratelimit_pending = 0;
	(void)add_scope(req, scope, c, &n);
	if (n == 0)
		return 0;
	now = mh_now_us();
	for (int i = 0; i < n; i++) {
		if (prepare(req, &c[i], now) < 0)
			return fail_open(req, c[i].scope, "out of request memory");
		remote |= c[i].remote;
	}
	if (remote && gcra(req, c, n) < 0)
		return fail_open(req, c[n - 1].scope, "Redis unreachable");
	for (int i = 0; i < n; i++)
		refused |= c[i].remote && !c[i].result.allowed;
	for (int i = 0; i < n; i++) {
		settle_stock(&c[i], now, !refused);
		/* A field that does not fit fails the request loudly (dispatch.c): no check. */
		(void)mh_ratelimit_add_fields(req->arena, res, &c[i].policy, &c[i].result);
	}
	if (!refused || !may_refuse)
		return 0;
	refuse(req, res, c, n);
	return -1;
}

int mh_ratelimit_check_or_reply(struct mh_request *req, struct mh_response *res, const char *scope)
{
	return check(req, res, scope, 1);
}

void mh_ratelimit_settle(struct mh_request *req, struct mh_response *res)
{
	if (req->ratelimit_pending)
		(void)check(req, res, "tenant", 0);
}
