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
 * Where limits come from (a module's business: plans, subscriptions). scope is "tenant" for
 * the per-tenant limit the dispatcher applies to every tenant request, or the name a module
 * passes to mh_ratelimit_check_or_reply() (a processing feature). The tenant is
 * req->principal.tenant_id. Returns 1 with out filled when the scope is limited for this
 * tenant, 0 when it is not (no limit), -1 on an error (the request is then let through and
 * counted, as when Redis is down). Called once per limited check, in the worker: it must not
 * cost a round trip of its own on the common path (cache what it reads).
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
 * in Redis (one round trip). Adds RateLimit-Policy and RateLimit to res when the scope is
 * limited. Returns 0 when the request may go on (allowed, not limited, no tenant, or Redis
 * unreachable: fail open, counted in menhir_ratelimit_fail_open_total), -1 when it was
 * refused and res holds the 429 rate_limited answer with Retry-After.
 */
int mh_ratelimit_check_or_reply(struct mh_request *req, struct mh_response *res,
                                const char *scope);

#endif
