/* ratelimit.c - per-tenant request rate limits: GCRA in Redis, IETF RateLimit fields. */
#include "core/ratelimit.h"

static mh_rate_lookup_fn lookups[MH_RATELIMIT_LOOKUPS];
static int nlookups;

void mh_ratelimit_set_lookup(mh_rate_lookup_fn fn)
{
	if (fn != NULL && nlookups < MH_RATELIMIT_LOOKUPS)
		lookups[nlookups++] = fn;
}

int mh_ratelimit_check_or_reply(struct mh_request *req, struct mh_response *res,
                                const char *scope)
{
	/* The interface first (the GCRA step follows): no lookup limits anything yet. */
	(void)req;
	(void)res;
	(void)scope;
	return 0;
}
