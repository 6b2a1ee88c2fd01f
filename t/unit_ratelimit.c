/* unit_ratelimit.c - the rate limiter's parts that need no Redis (src/core/ratelimit.c): the
 * RateLimit-Policy and RateLimit fields read back with an RFC 8941 parser, policy names,
 * which routes the tenant scope covers, and how the lookups are asked. The GCRA step itself
 * runs in Redis: t/it_ratelimit.c. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/arena.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/ratelimit.h"
#include "core/ratelimit_stock.h"
#include "sf.h"

static struct mh_arena arena;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&arena, 4096), 0);
}

static void teardown(void)
{
	mh_arena_destroy(&arena);
}

static const char *header(const struct mh_response *res, const char *name)
{
	for (size_t i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].key, name) == 0)
			return res->headers[i].value;
	return NULL;
}

static int count(const struct mh_response *res, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < res->nheaders; i++)
		n += strcmp(res->headers[i].key, name) == 0;
	return n;
}

static long long int_param(const struct t_sf_member *m, const char *key)
{
	const struct t_sf_bare *v = t_sf_param(m, key);

	cr_assert(v != NULL && v->type == T_SF_INTEGER, "parameter %s", key);
	return v->integer;
}

TestSuite(ratelimit, .init = setup, .fini = teardown);

Test(ratelimit, the_fields_are_rfc8941_lists_of_named_policies)
{
	struct mh_response res;
	struct mh_rate_policy p = {"tenant", 600, 60};
	struct mh_rate_result r = {1, 599, 1, 0};
	struct t_sf_list l;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &p, &r), 0);
	cr_assert_eq(t_sf_parse_list(header(&res, "RateLimit-Policy"), &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.members[0].item.type, T_SF_STRING);
	cr_assert_str_eq(l.members[0].item.text, "tenant");
	cr_assert_eq(l.members[0].nparams, 2);
	cr_assert_eq(int_param(&l.members[0], "q"), 600);
	cr_assert_eq(int_param(&l.members[0], "w"), 60);
	cr_assert_eq(t_sf_parse_list(header(&res, "RateLimit"), &l), 0);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.members[0].item.text, "tenant");
	cr_assert_eq(int_param(&l.members[0], "r"), 599);
	cr_assert_eq(int_param(&l.members[0], "t"), 1);
}

Test(ratelimit, a_second_policy_joins_the_same_fields_in_order)
{
	struct mh_response res;
	struct mh_rate_policy tenant = {"tenant", 600, 60}, feature = {"stats", 10, 3600};
	struct mh_rate_result a = {1, 598, 1, 0}, b = {0, 0, 360, 360};
	struct t_sf_list l;

	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &tenant, &a), 0);
	cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &feature, &b), 0);
	cr_assert_eq(count(&res, "RateLimit-Policy"), 1, "one field, a list");
	cr_assert_eq(count(&res, "RateLimit"), 1);
	cr_assert_eq(t_sf_parse_list(header(&res, "RateLimit-Policy"), &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_str_eq(l.members[0].item.text, "tenant");
	cr_assert_str_eq(l.members[1].item.text, "stats");
	cr_assert_eq(int_param(&l.members[1], "q"), 10);
	cr_assert_eq(int_param(&l.members[1], "w"), 3600);
	cr_assert_eq(t_sf_parse_list(header(&res, "RateLimit"), &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(int_param(&l.members[0], "r"), 598);
	cr_assert_eq(int_param(&l.members[1], "r"), 0);
	cr_assert_eq(int_param(&l.members[1], "t"), 360);
}

Test(ratelimit, a_name_that_is_no_policy_name_adds_nothing)
{
	struct mh_response res;
	struct mh_rate_result r = {1, 1, 1, 0};
	static const char *const bad[] = {"",
	                                  "9lives",
	                                  "has space",
	                                  "quo\"te",
	                                  "back\\slash",
	                                  "semi;colon",
	                                  "comma,",
	                                  "waytoolongforapolicynamefield32c"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mh_rate_policy p = {"", 5, 2};

		memset(&res, 0, sizeof(res));
		cr_assert_eq(mh_ratelimit_name_ok(bad[i]), 0, "%s", bad[i]);
		if (strlen(bad[i]) >= sizeof(p.name))
			continue; /* cannot even be handed over */
		memcpy(p.name, bad[i], strlen(bad[i]) + 1);
		cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &p, &r), -1, "%s", bad[i]);
		cr_assert_eq(res.nheaders, 0);
	}
	cr_assert(mh_ratelimit_name_ok("tenant"));
	cr_assert(mh_ratelimit_name_ok("api.requests:v2-burst_1"));
}

Test(ratelimit, fields_that_cannot_be_built_are_recorded_as_dropped)
{
	struct mh_response res;
	struct mh_rate_policy p = {"tenant", 600, 60};
	struct mh_rate_result r = {1, 599, 1, 0};

	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &p, &r), 0);
	arena.limit = arena.bytes_in_use; /* exhausted from now on */
	cr_assert_eq(mh_ratelimit_add_fields(&arena, &res, &p, &r), -1);
	cr_assert_not_null(res.dropped_header, "the dispatcher turns it into a 500");
}

static int dummy(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	(void)res;
	return 0;
}

Test(ratelimit, the_tenant_scope_covers_routes_that_need_a_membership)
{
	struct mh_route member = {.method = MH_GET,
	                          .pattern = "/a",
	                          .handler = dummy,
	                          .flags = MH_API_KEY,
	                          .min_role = MH_ROLE_VIEWER};
	struct mh_route person = {.method = MH_GET,
	                          .pattern = "/b",
	                          .handler = dummy,
	                          .flags = 0,
	                          .min_role = MH_ROLE_NONE};
	struct mh_route public = {.method = MH_GET,
	                          .pattern = "/c",
	                          .handler = dummy,
	                          .flags = MH_PUBLIC,
	                          .min_role = MH_ROLE_NONE};
	struct mh_route internal = {.method = MH_GET,
	                            .pattern = "/d",
	                            .handler = dummy,
	                            .flags = MH_PUBLIC | MH_INTERNAL,
	                            .min_role = MH_ROLE_NONE};

	cr_assert(mh_ratelimit_route_applies(&member));
	cr_assert_not(mh_ratelimit_route_applies(&person));
	cr_assert_not(mh_ratelimit_route_applies(&public));
	cr_assert_not(mh_ratelimit_route_applies(&internal));
}

/* ---- The lookups ---------------------------------------------------------------------- */

static int calls_first, calls_second;
static int first_rc, second_rc;
static struct mh_rate_policy first_policy, second_policy;

static int first(struct mh_request *req, const char *scope, struct mh_rate_policy *out)
{
	(void)req;
	(void)scope;
	calls_first++;
	*out = first_policy;
	return first_rc;
}

static int second(struct mh_request *req, const char *scope, struct mh_rate_policy *out)
{
	(void)req;
	(void)scope;
	calls_second++;
	*out = second_policy;
	return second_rc;
}

static void request(struct mh_request *req, const char *tenant)
{
	memset(req, 0, sizeof(*req));
	req->arena = &arena;
	req->request_id = "r1";
	req->principal.tenant_id = tenant;
}

Test(ratelimit, without_a_lookup_nothing_is_limited)
{
	struct mh_request req;
	struct mh_response res;

	request(&req, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	cr_assert_eq(res.nheaders, 0);
	cr_assert_eq(res.status, 0);
}

Test(ratelimit, quota_zero_stops_the_lookups_that_follow)
{
	struct mh_request req;
	struct mh_response res;

	mh_ratelimit_set_lookup(first);
	mh_ratelimit_set_lookup(second);
	first_rc = 1;
	first_policy = (struct mh_rate_policy){"tenant", 0, 60};
	second_rc = -1;
	request(&req, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	cr_assert_eq(calls_first, 1);
	cr_assert_eq(calls_second, 0);
	cr_assert_eq(res.nheaders, 0);
}

Test(ratelimit, a_lookup_without_a_limit_passes_to_the_next)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(mh_metrics_init(), 0);
	mh_ratelimit_set_lookup(first);
	mh_ratelimit_set_lookup(second);
	first_rc = 0;
	second_rc = 0;
	request(&req, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "stats"), 0);
	cr_assert_eq(calls_first, 1);
	cr_assert_eq(calls_second, 1);
	cr_assert_eq(mh_metrics()->ratelimit_fail_open, 0, "no limit is not a failure");
}

Test(ratelimit, a_failed_lookup_or_a_bad_policy_fails_open_and_is_counted)
{
	struct mh_request req;
	struct mh_response res;

	cr_assert_eq(mh_metrics_init(), 0);
	mh_ratelimit_set_lookup(first);
	request(&req, "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b");
	first_rc = -1;
	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	cr_assert_eq(mh_metrics()->ratelimit_fail_open, 1);
	/* A window of 0 or a name that cannot be sent are the lookup's bugs: not limited. */
	first_rc = 1;
	first_policy = (struct mh_rate_policy){"tenant", 5, 0};
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	first_policy = (struct mh_rate_policy){"two words", 5, 2};
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	cr_assert_eq(mh_metrics()->ratelimit_fail_open, 3);
	cr_assert_eq(res.nheaders, 0);
	cr_assert_eq(res.status, 0);
}

Test(ratelimit, a_request_without_a_tenant_asks_no_lookup)
{
	struct mh_request req;
	struct mh_response res;

	mh_ratelimit_set_lookup(first);
	first_rc = -1;
	request(&req, "");
	memset(&res, 0, sizeof(res));
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	request(&req, NULL);
	cr_assert_eq(mh_ratelimit_check_or_reply(&req, &res, "tenant"), 0);
	cr_assert_eq(calls_first, 0);
}

/* ---- The test parser itself: it must refuse what RFC 8941 refuses ----------------------- */

Test(sf, parses_the_rfcs_lists)
{
	struct t_sf_list l;

	cr_assert_eq(t_sf_parse_list("sugar, tea, rum", &l), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_str_eq(l.members[2].item.text, "rum");
	cr_assert_eq(t_sf_parse_list("abc;a=1;b=2; cde_456, (ghi;jk=4 l);q=\"9\";r=w", &l), 0);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.members[0].nparams, 3);
	cr_assert_eq(l.members[0].params[2].value.type, T_SF_BOOLEAN);
	cr_assert(l.members[1].inner_list);
	cr_assert_eq(l.members[1].ninner, 2);
	cr_assert_str_eq(t_sf_param(&l.members[1], "q")->text, "9");
	cr_assert_eq(t_sf_parse_list("\"a \\\"b\\\" c\";x=-12.5, :cHJldGVuZA==:, ?0", &l), 0);
	cr_assert_str_eq(l.members[0].item.text, "a \"b\" c");
	cr_assert(t_sf_param(&l.members[0], "x")->decimal == -12.5);
	cr_assert_eq(l.members[1].item.type, T_SF_BYTES);
	cr_assert_eq(l.members[2].item.type, T_SF_BOOLEAN);
	cr_assert_eq(t_sf_parse_list("", &l), 0);
	cr_assert_eq(l.n, 0);
}

Test(sf, refuses_what_the_rfc_refuses)
{
	static const char *const bad[] = {
	        "a,",                /* trailing comma */
	        "a,,b",              /* empty member */
	        "\"open",            /* unterminated string */
	        "\"bad \\n esc\"",   /* only \" and \\ escape */
	        "a;Key=1",           /* keys are lower case */
	        "1.2345",            /* at most three fractional digits */
	        "1234567890123456",  /* more than 15 digits */
	        "1.",                /* a decimal ends with a digit */
	        "?2",                /* booleans are ?0 and ?1 */
	        "(a b",              /* unterminated inner list */
	        "a b",               /* two items without a comma */
	        "\"t\";q=600 ;w=60", /* whitespace before a parameter */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct t_sf_list l;

		cr_assert_eq(t_sf_parse_list(bad[i], &l), -1, "accepted %s", bad[i]);
	}
}

/* ---- Reservations (core/ratelimit_stock.h) ---------------------------------------------- */

Test(ratelimit, small_quotas_ask_redis_every_request_large_ones_take_batches)
{
	struct mh_rate_policy p = {"tenant", 5, 2};

	cr_assert_eq(mh_ratelimit_batch(&p), 1);
	p.quota = 399; /* a batch of 3 is not worth the inexactness */
	cr_assert_eq(mh_ratelimit_batch(&p), 1);
	p.quota = 600; /* 1 % of the quota */
	cr_assert_eq(mh_ratelimit_batch(&p), 6);
	p.quota = 1000000000;
	cr_assert_eq(mh_ratelimit_batch(&p), MH_RL_BATCH_MAX);
}

Test(ratelimit, a_changed_policy_or_a_reservation_past_its_time_is_handed_back)
{
	struct mh_rate_policy p = {"tenant", 1000, 60}, q = {"tenant", 2000, 60};
	struct mh_rl_stock *s;
	long long back = 0;

	mh_rl_stock_reset();
	s = mh_rl_stock_get("rl:t:a", &p, 1000, 1, &back);
	cr_assert(s != NULL);
	s->stock = 9;
	s->expires_us = 1000 + MH_RL_HOLD_US;
	/* The same policy within its time: kept. */
	cr_assert_eq(mh_rl_stock_get("rl:t:a", &p, 2000, 1, &back), s);
	cr_assert_eq(s->stock, 9);
	cr_assert_eq(back, 0);
	/* A new quota: emptied, 9 intervals of the old policy (60 ms each) handed back. */
	cr_assert_eq(mh_rl_stock_get("rl:t:a", &q, 3000, 1, &back), s);
	cr_assert_eq(s->stock, 0);
	cr_assert_eq(back, 9 * 60000);
	cr_assert_eq(s->quota, 2000);
	/* Past its time: emptied too. */
	s->stock = 4;
	s->expires_us = 4000;
	back = 0;
	cr_assert_eq(mh_rl_stock_get("rl:t:a", &q, 4000, 1, &back), s);
	cr_assert_eq(s->stock, 0);
	cr_assert_eq(back, 4 * 30000);
	/* A policy that takes no batches forgets the slot, handing back what it held. */
	s->stock = 2;
	s->expires_us = 1000000;
	back = 0;
	p.quota = 5;
	cr_assert_null(mh_rl_stock_get("rl:t:a", &p, 5000, 0, &back));
	cr_assert_eq(back, 2 * 30000);
	back = 0;
	cr_assert_null(mh_rl_stock_get("rl:t:a", &p, 6000, 0, &back));
	cr_assert_eq(back, 0);
}

Test(ratelimit, the_reservations_table_is_bounded_and_evicts_the_least_recently_used)
{
	struct mh_rate_policy p = {"tenant", 100000, 60};
	struct mh_rl_stock *first, *s;
	char key[32], longkey[MH_RL_KEY_MAX + 8];
	long long back = 0;

	mh_rl_stock_reset();
	for (int i = 0; i < MH_RL_STOCK_SLOTS; i++) {
		snprintf(key, sizeof(key), "rl:t:%d", i);
		cr_assert_not_null(mh_rl_stock_get(key, &p, 100 + i, 1, &back));
	}
	first = mh_rl_stock_get("rl:t:0", &p, 1000, 1, &back); /* now the most recent */
	s = mh_rl_stock_get("rl:t:new", &p, 1001, 1, &back);
	cr_assert_not_null(s);
	cr_assert_neq(s, first, "the most recently used slot was evicted");
	/* rl:t:1 was the least recently used: it is gone, rl:t:0 stays. */
	cr_assert_null(mh_rl_stock_get("rl:t:1", &p, 1002, 0, &back));
	cr_assert_eq(mh_rl_stock_get("rl:t:0", &p, 1003, 1, &back), first);
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	cr_assert_null(mh_rl_stock_get(longkey, &p, 1004, 1, &back));
}
