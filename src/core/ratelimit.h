/* ratelimit.h - per-tenant request rate limits: GCRA in Redis, IETF RateLimit fields. */
#ifndef MH_RATELIMIT_H
#define MH_RATELIMIT_H

#include "core/http.h"

/*
 * What a scope allows: `quota` requests per `window_seconds`, spread evenly (GCRA: one
 * request every window/quota seconds, with a burst of up to quota at once). `name` is the
 * policy's name in the RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-
 * ratelimit-headers-11), e.g. "tenant" or a feature's name: a token of letters, digits and
 * "_-.:" that starts with a letter (it is sent as an sf-string, so it is checked).
 */
struct mh_rate_policy {
	char name[32];
	long quota;         /* >= 1 */
	int window_seconds; /* >= 1 */
};

/*
 * Where limits come from (a module's business, never the core's). scope is "tenant" for
 * the per-tenant limit the dispatcher applies to every tenant request, or the name a module
 * passes to mh_ratelimit_check_or_reply() (a processing feature). The tenant is
 * req->principal.tenant_id. Returns 1 with out filled when the scope is limited for this
 * tenant, 0 when it is not (no limit), -1 on an error (the request is then let through and
 * counted, as when Redis is down). Answering 1 with out->quota == 0 says "explicitly not
 * limited" and stops the lookups registered after this one from being asked. Called once
 * per check, in the worker: it must not cost a round trip of its own on the common path
 * (cache what it reads).
 */
typedef int (*mh_rate_lookup_fn)(struct mh_request *req, const char *scope,
                                 struct mh_rate_policy *out);

/*
 * Registers a lookup; call it from a module's init (in the master, before fork). Several
 * may be registered (at most MH_RATELIMIT_LOOKUPS): they are asked in the order they were
 * registered (module order) and the first that does not answer 0 decides. With none, nothing
 * is limited.
 */
#define MH_RATELIMIT_LOOKUPS 4
void mh_ratelimit_set_lookup(mh_rate_lookup_fn fn);

/*
 * Applies scope's limit to this request's tenant: asks the lookups, then runs one GCRA step
 * in Redis (one round trip), unless this worker still holds a reservation for every scope
 * (large quotas: ratelimit_stock.h), which it then spends without asking. On an MH_RATE_SCOPE route the tenant's limit, which the
 * dispatcher left pending, is checked in the same step: the request is allowed only if both
 * allow it. Adds RateLimit-Policy and RateLimit to res for every limited scope. Returns 0
 * when the request may go on (allowed, not limited, no tenant, or Redis unreachable: fail
 * open, counted in menhir_ratelimit_fail_open_total), -1 when it was refused and res holds
 * the 429 rate_limited answer with Retry-After.
 */
int mh_ratelimit_check_or_reply(struct mh_request *req, struct mh_response *res, const char *scope);

/* After the handler of an MH_RATE_SCOPE route that answered without checking its scope (an
 * early 4xx): charges the tenant's limit and adds its fields, never changing the answer. */
void mh_ratelimit_settle(struct mh_request *req, struct mh_response *res);

struct mh_route;

/* 1 when the dispatcher applies the "tenant" scope to route r: every route that needs a
 * tenant membership (not MH_PUBLIC, not MH_INTERNAL, a minimum role). Exempt: the public
 * routes (health, login, refresh, logout, signup...), /metrics, and the routes about the
 * person rather than the tenant (MH_ROLE_NONE: logout-all, sessions, switch-tenant), so
 * that signing out or leaving a busy tenant always works. `menhir openapi` uses it too. */
int mh_ratelimit_route_applies(const struct mh_route *r);

/* One GCRA step's outcome, in whole seconds as the fields carry them. */
struct mh_rate_result {
	int allowed;
	long remaining;   /* requests that may follow at once */
	long reset;       /* seconds until more quota is available (the "t" parameter) */
	long retry_after; /* refused: seconds until a request is allowed again; else 0 */
};

/*
 * Adds p's item to RateLimit-Policy (`"name";q=Q;w=W`) and r's to RateLimit
 * (`"name";r=R;t=T`), appending to the fields res already has (a feature's limit after the
 * tenant's) as RFC 8941 lists. Returns 0, or -1 when p's name is not a valid policy name or
 * the arena is exhausted.
 */
int mh_ratelimit_add_fields(struct mh_arena *a, struct mh_response *res,
                            const struct mh_rate_policy *p, const struct mh_rate_result *r);

/* 1 when name may be a policy name (see struct mh_rate_policy), 0 otherwise. */
int mh_ratelimit_name_ok(const char *name);

#endif
