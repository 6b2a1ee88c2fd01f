/* it_ratelimit.c - the per-tenant rate limiter (src/core/ratelimit.c) through nginx against
 * the stack's Redis: GCRA burst and steady rate, the RateLimit fields read with an RFC 8941
 * parser, 429 with Retry-After, a feature's scope beside the tenant's, tenants apart, the
 * exempt routes, a flushed script, and failing open while Redis is down or hangs. The limits
 * come from the testsupport module's lookup (PUT /api/v1/test/rate-limits). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "job_helpers.h"
#include "sf.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Gives scope of tenant quota requests per window seconds (0: explicitly no limit). */
static void set_limit(const char *tenant_id, const char *scope, long quota, int window)
{
	struct http_response r;
	char body[256];

	snprintf(body, sizeof(body),
	         "{\"tenant_id\":\"%s\",\"scope\":\"%s\",\"quota\":%ld,\"window_seconds\":%d}",
	         tenant_id, scope, quota, window);
	cr_assert_eq(t_http("PUT", "/api/v1/test/rate-limits", "application/json", body,
	                    strlen(body), &r),
	             0);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	t_http_free(&r);
}

/* Every field line called name, joined as RFC 8941 combines them; NULL when there is none. */
static char *field(const struct http_response *r, const char *name)
{
	size_t n = strlen(name), used = 0;
	char *out = NULL;

	for (const char *line = r->headers; line != NULL && *line != '\0';) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0) {
			const char *v = line + n + 1;
			size_t vlen = len - (size_t)(v - line);

			out = realloc(out, used + vlen + 3);
			cr_assert(out != NULL);
			if (used > 0) {
				memcpy(out + used, ", ", 2);
				used += 2;
			}
			memcpy(out + used, v, vlen);
			used += vlen;
			out[used] = '\0';
		}
		line = eol ? eol + 2 : NULL;
	}
	return out;
}

/* The parsed field name (asserting it is present and a valid List). */
static void parse_field(const struct http_response *r, const char *name, struct t_sf_list *out)
{
	char *v = field(r, name);

	cr_assert(v != NULL, "no %s field in %s", name, r->headers);
	cr_assert_eq(t_sf_parse_list(v, out), 0, "%s is not an RFC 8941 List: %s", name, v);
	free(v);
}

/* The member of list whose item is the sf-string name, or NULL. */
static const struct t_sf_member *policy(const struct t_sf_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct t_sf_member *m = &l->members[i];

		cr_assert(!m->inner_list && m->item.type == T_SF_STRING,
		          "a policy is named by an sf-string");
		if (strcmp(m->item.text, name) == 0)
			return m;
	}
	return NULL;
}

/* The integer parameter key of m (asserting it is one). */
static long long param(const struct t_sf_member *m, const char *key)
{
	const struct t_sf_bare *v = t_sf_param(m, key);

	cr_assert(v != NULL, "no parameter %s", key);
	cr_assert_eq(v->type, T_SF_INTEGER, "parameter %s is not an sf-integer", key);
	return v->integer;
}

/* What the response says of policy name: q and w from RateLimit-Policy, r and t from
 * RateLimit (each -1 when the policy is not listed). */
struct seen {
	long long q, w, r, t;
};

static struct seen fields_of(const struct http_response *resp, const char *name)
{
	struct t_sf_list pl, rl;
	const struct t_sf_member *p, *l;
	struct seen s = {-1, -1, -1, -1};

	parse_field(resp, "RateLimit-Policy", &pl);
	parse_field(resp, "RateLimit", &rl);
	cr_assert_eq(pl.n, rl.n, "RateLimit-Policy and RateLimit list different policies");
	p = policy(&pl, name);
	l = policy(&rl, name);
	cr_assert_eq(p == NULL, l == NULL);
	if (p != NULL) {
		s.q = param(p, "q");
		s.w = param(p, "w");
		s.r = param(l, "r");
		s.t = param(l, "t");
	}
	return s;
}

static int has_fields(const struct http_response *r)
{
	char *a = field(r, "RateLimit-Policy"), *b = field(r, "RateLimit");
	int any = a != NULL || b != NULL;

	free(a);
	free(b);
	return any;
}

static long retry_after(const struct http_response *r)
{
	char *v = t_header(r, "Retry-After"), *end;
	long n;

	cr_assert(v != NULL, "a 429 without Retry-After");
	n = strtol(v, &end, 10);
	cr_assert(*end == '\0' && end != v, "Retry-After is not delay-seconds: %s", v);
	free(v);
	return n;
}

static void get_as(const struct t_session *s, const char *path, struct http_response *out)
{
	t_doc_request("GET", path, s->access, NULL, NULL, out);
}

/* menhir_<name> on /metrics. */
static long long metric(const char *name)
{
	struct http_response r;
	char needle[128];
	const char *p;
	long long v;

	t_get_internal("/metrics", &r);
	cr_assert_eq(r.status, 200);
	snprintf(needle, sizeof(needle), "\n%s ", name);
	p = strstr(r.body, needle);
	cr_assert(p != NULL, "no %s on /metrics", name);
	v = atoll(p + strlen(needle));
	t_http_free(&r);
	return v;
}

Test(ratelimit, a_burst_of_the_quota_passes_then_429_with_retry_after_and_the_fields)
{
	struct t_session a;
	struct http_response r;
	struct seen s;

	t_auth_signup(&a, "rl-burst");
	/* One request every 2 s, five at once. */
	set_limit(a.tenant_id, "tenant", 5, 10);
	for (int i = 0; i < 5; i++) {
		get_as(&a, "/api/v1/documents?limit=20", &r);
		cr_assert_eq(r.status, 200, "request %d: %ld %s", i, r.status, r.body);
		s = fields_of(&r, "tenant");
		cr_assert_eq(s.q, 5);
		cr_assert_eq(s.w, 10);
		cr_assert_eq(s.r, 4 - i, "request %d: r=%lld", i, s.r);
		/* The next unit of quota comes back within one interval. */
		cr_assert(s.t >= 1 && s.t <= 2, "t=%lld", s.t);
		t_http_free(&r);
	}
	get_as(&a, "/api/v1/documents?limit=20", &r);
	t_assert_error(&r, 429, "rate_limited");
	s = fields_of(&r, "tenant");
	cr_assert_eq(s.r, 0);
	cr_assert(retry_after(&r) >= 1 && retry_after(&r) <= 2, "Retry-After %ld", retry_after(&r));
	cr_assert_eq(s.t, retry_after(&r), "t says when quota is back, as Retry-After does");
	t_http_free(&r);
	/* Refused requests do not push the next allowed one further away. */
	for (int i = 0; i < 5; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 429);
		cr_assert(retry_after(&r) <= 2);
		t_http_free(&r);
	}
}

Test(ratelimit, after_the_burst_one_request_per_emission_interval, .timeout = 60)
{
	struct t_session a;
	struct http_response r;
	long wait;

	t_auth_signup(&a, "rl-steady");
	/* An emission interval of 1 s. */
	set_limit(a.tenant_id, "tenant", 2, 2);
	for (int i = 0; i < 2; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	get_as(&a, "/api/v1/documents", &r);
	cr_assert_eq(r.status, 429);
	wait = retry_after(&r);
	t_http_free(&r);
	for (int round = 0; round < 3; round++) {
		sleep_ms(wait * 1000 + 50);
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200, "round %d: one request per interval", round);
		cr_assert_eq(fields_of(&r, "tenant").r, 0, "round %d", round);
		t_http_free(&r);
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 429, "round %d: only one", round);
		wait = retry_after(&r);
		cr_assert_eq(wait, 1, "round %d", round);
		t_http_free(&r);
	}
}

/* How many times Redis ran EVALSHA since the last CONFIG RESETSTAT. */
static long evalsha_calls(void)
{
	char info[8192];
	const char *p;

	t_auth_redis_str(info, sizeof(info), "INFO commandstats");
	p = strstr(info, "cmdstat_evalsha:calls=");
	return p ? atol(p + strlen("cmdstat_evalsha:calls=")) : 0;
}

Test(ratelimit, a_features_scope_is_limited_apart_from_the_tenants)
{
	struct t_session a;
	struct http_response r;
	struct seen s;
	/* One document per admitted stats run: a second run on the same document would be
	 * 409 already_queued until the runner has taken the first, however slow the machine. */
	char docs[2][40], *doc = docs[0];

	t_auth_signup(&a, "rl-feature");
	/* Before the tenant's first request: from then on every request of it is limited (the
	 * billing module's plan limits, else), and the counts below start from nothing. */
	set_limit(a.tenant_id, "tenant", 100, 60);
	set_limit(a.tenant_id, "stats", 2, 60);
	t_job_feature(&a, "stats", 1);
	t_job_feature(&a, "keywords", 1);
	for (int i = 0; i < 2; i++)
		t_doc_create(&a, "{\"title\":\"t\",\"body\":\"some words to count\"}", docs[i]);
	cr_assert_eq(t_auth_redis("DEL rl:t:%s", a.tenant_id), 1, "the tenant's requests so far");
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(t_job_process(&a, docs[i], "{\"feature\":\"stats\"}", NULL, &r), 202,
		             "%ld %s", r.status, r.body);
		/* Both policies, each with its own count. */
		s = fields_of(&r, "stats");
		cr_assert_eq(s.q, 2);
		cr_assert_eq(s.r, 1 - i);
		s = fields_of(&r, "tenant");
		cr_assert_eq(s.q, 100);
		t_http_free(&r);
	}
	/* Both scopes, and a refusal, in one Redis call. */
	cr_assert_eq(t_auth_redis("CONFIG RESETSTAT"), 0);
	cr_assert_eq(t_job_process(&a, doc, "{\"feature\":\"stats\"}", NULL, &r), 429);
	cr_assert_eq(evalsha_calls(), 1, "one round trip for both scopes");
	t_assert_error(&r, 429, "rate_limited");
	cr_assert_eq(fields_of(&r, "stats").r, 0);
	cr_assert_eq(fields_of(&r, "tenant").r, 98,
	             "the tenant still has quota; the refused "
	             "request spent none of it");
	cr_assert_geq(retry_after(&r), 29);
	t_http_free(&r);
	/* Another feature, and the rest of the API, go on. */
	cr_assert_eq(t_job_process(&a, doc, "{\"feature\":\"keywords\"}", NULL, &r), 202);
	cr_assert_eq(fields_of(&r, "stats").q, -1, "only the feature asked for is listed");
	cr_assert_eq(fields_of(&r, "tenant").q, 100);
	t_http_free(&r);
	cr_assert_eq(t_auth_redis("CONFIG RESETSTAT"), 0);
	get_as(&a, "/api/v1/documents", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(evalsha_calls(), 1);
	t_http_free(&r);
	/* An early refusal by the handler (a malformed Idempotency-Key) still spends the
	 * tenant's quota, and says so. */
	{
		const char *bad_key[] = {"Idempotency-Key: a\"b", NULL};

		cr_assert_eq(t_job_process(&a, doc, "{\"feature\":\"stats\"}", bad_key, &r), 400);
		cr_assert_eq(fields_of(&r, "tenant").r, 95);
		cr_assert_eq(fields_of(&r, "stats").q, -1);
		t_http_free(&r);
	}
}

Test(ratelimit, one_tenants_requests_do_not_spend_anothers)
{
	struct t_session a, b;
	struct http_response r;

	t_auth_signup(&a, "rl-a");
	t_auth_signup(&b, "rl-b");
	set_limit(a.tenant_id, "tenant", 3, 60);
	set_limit(b.tenant_id, "tenant", 3, 60);
	for (int i = 0; i < 3; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	get_as(&a, "/api/v1/documents", &r);
	cr_assert_eq(r.status, 429);
	t_http_free(&r);
	get_as(&b, "/api/v1/documents", &r);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(fields_of(&r, "tenant").r, 2, "B's full quota but this request");
	t_http_free(&r);
}

Test(ratelimit, public_and_personal_routes_are_exempt_tenant_routes_are_not)
{
	struct t_session a;
	struct http_response r;

	t_auth_signup(&a, "rl-exempt");
	set_limit(a.tenant_id, "tenant", 1, 60);
	get_as(&a, "/api/v1/users/me", &r);
	cr_assert_eq(r.status, 200);
	cr_assert(has_fields(&r));
	t_http_free(&r);
	get_as(&a, "/api/v1/tenants/current", &r);
	t_assert_error(&r, 429, "rate_limited");
	t_http_free(&r);
	/* Signing out and managing one's sessions must work however busy the tenant is. */
	get_as(&a, "/api/v1/auth/sessions", &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert(!has_fields(&r));
	t_http_free(&r);
	get_as(&a, "/api/v1/ping", &r);
	cr_assert_eq(r.status, 200);
	cr_assert(!has_fields(&r));
	t_http_free(&r);
	t_doc_request("POST", "/api/v1/auth/logout-all", a.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	t_http_free(&r);
}

Test(ratelimit, no_limit_means_no_fields_and_no_refusal)
{
	struct t_session none, zero;
	struct http_response r;

	char sql[512];

	t_auth_signup(&none, "rl-none");
	t_auth_signup(&zero, "rl-zero");
	/* No lookup sets a limit for `none`: the test lookup knows nothing of it and its plan
	 * (schema 0016) has no API limit, so the billing module's lookup answers "none". */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO plans (name, title, rank, offered)"
	         " VALUES ('rl_none', 'No limits', 900, false)"
	         " ON CONFLICT (name) DO NOTHING;"
	         " SELECT billing_admin_set_plan('%s', 'rl_none')",
	         none.tenant_id);
	t_auth_sql(sql);
	/* Quota 0: explicitly not limited (the benchmark's tenant without a limiter). */
	set_limit(zero.tenant_id, "tenant", 0, 60);
	for (int i = 0; i < 10; i++) {
		get_as(&none, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		cr_assert(!has_fields(&r));
		t_http_free(&r);
		get_as(&zero, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		cr_assert(!has_fields(&r));
		t_http_free(&r);
	}
}

/* menhir's log lines with `event` after offset. */
static int log_count(long offset, const char *event)
{
	char path[1024], line[8192], needle[128];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
	f = fopen(path, "r");
	cr_assert(f != NULL);
	fseek(f, offset, SEEK_SET);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

Test(ratelimit, a_flushed_script_is_loaded_again_without_failing_open)
{
	struct t_session a;
	struct http_response r;
	long long fail_open = metric("menhir_ratelimit_fail_open_total");
	long offset;

	t_auth_signup(&a, "rl-flush");
	/* A unit of quota every 36 s: none comes back while the test runs. */
	set_limit(a.tenant_id, "tenant", 100, 3600);
	for (int i = 0; i < 16; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(fields_of(&r, "tenant").r, 99 - i);
		t_http_free(&r);
	}
	offset = t_menhir_log_size();
	cr_assert_eq(t_auth_redis("SCRIPT FLUSH"), 0);
	/* Each worker's next EVALSHA meets NOSCRIPT and falls back to EVAL: still counted. */
	for (int i = 0; i < 16; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		cr_assert_eq(fields_of(&r, "tenant").r, 83 - i, "request %d after the flush", i);
		t_http_free(&r);
	}
	cr_assert_geq(log_count(offset, "redis_script_reload"), 1, "NOSCRIPT never happened");
	cr_assert_eq(metric("menhir_ratelimit_fail_open_total"), fail_open);
}

static pid_t redis_pid(void)
{
	char path[1024];
	FILE *f;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/redis.pid", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert(f != NULL);
	cr_assert_eq(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	return (pid_t)pid;
}

static void redis_back(void)
{
	kill(redis_pid(), SIGCONT);
	t_stack("redis-start");
}

/* One request, which must pass unchecked (200, no fields) within the bound. */
static void passes_unchecked(const struct t_session *a, const char *why, int i)
{
	struct http_response r;
	long long t0 = now_ms(), took;

	get_as(a, "/api/v1/documents", &r);
	took = now_ms() - t0;
	cr_assert_eq(r.status, 200, "%s, request %d: fail open, %ld %s", why, i, r.status, r.body);
	cr_assert(!has_fields(&r), "%s: nothing was counted, so no fields", why);
	/* redis_timeout is 500 ms on the test stack: a request pays a timeout or two, not the
	 * 3 s after which nginx would give up on it (room left for a loaded machine). */
	cr_assert_lt(took, 2500, "%s, request %d took %lld ms", why, i, took);
	t_http_free(&r);
}

Test(ratelimit, while_redis_hangs_or_is_down_requests_pass_counted_and_logged_seldom,
     .fini = redis_back, .timeout = 120)
{
	struct t_session a;
	struct http_response r;
	long long before, started;
	long offset;
	int back = 0, workers = atoi(t_auth_config("workers")), lines;

	t_auth_signup(&a, "rl-down");
	set_limit(a.tenant_id, "tenant", 2, 600);
	for (int i = 0; i < 3; i++) {
		get_as(&a, "/api/v1/documents", &r);
		t_http_free(&r);
	}
	get_as(&a, "/api/v1/documents", &r);
	cr_assert_eq(r.status, 429);
	t_http_free(&r);

	before = metric("menhir_ratelimit_fail_open_total");
	offset = t_menhir_log_size();
	started = now_ms();
	/* Hung: the kernel still accepts connections, nothing answers. A request waits for
	 * the connection's timeout at most, then goes on. */
	cr_assert_eq(kill(redis_pid(), SIGSTOP), 0);
	for (int i = 0; i < 4; i++)
		passes_unchecked(&a, "hung", i);
	cr_assert_eq(kill(redis_pid(), SIGCONT), 0);
	/* Down: the connection is refused at once. */
	cr_assert_eq(t_stack("redis-stop"), 0, "script/stack redis-stop failed");
	for (int i = 0; i < 20; i++)
		passes_unchecked(&a, "down", i);
	cr_assert_geq(metric("menhir_ratelimit_fail_open_total"), before + 24);
	/* Logged at most once every 10 s per worker, not once per request. */
	lines = log_count(offset, "ratelimit_fail_open");
	cr_assert_geq(lines, 1);
	cr_assert_leq(lines, workers * (1 + (now_ms() - started) / 10000), "%d lines", lines);

	offset = t_menhir_log_size();
	cr_assert_eq(t_stack("redis-start"), 0, "script/stack redis-start failed");
	/* Leave the stack as the suites after this one expect it: the revocation table in sync
	 * with the new Redis (it_redis_outage waits for it to fall out of sync). */
	for (int i = 0; i < 300 && log_count(offset, "revocation_synced") == 0; i++)
		sleep_ms(100);
	cr_assert_geq(log_count(offset, "revocation_synced"), 1, "never synced again");
	/* The stack's Redis keeps nothing across a restart: the tenant starts afresh, and each
	 * worker's loaded script is gone too (NOSCRIPT, then EVAL). */
	for (int i = 0; i < 100 && !back; i++) {
		get_as(&a, "/api/v1/documents", &r);
		back = r.status == 200 && has_fields(&r);
		t_http_free(&r);
		if (!back)
			sleep_ms(100);
	}
	cr_assert(back, "limits did not come back with Redis");
}

/* ---- Reservations: a worker takes a batch of a large quota at once (ratelimit_stock.h) ---- */

/* script/test runs MENHIR_WORKERS=4: the most reservations held at once for one scope. */
#define TEST_WORKERS 4

/* The batch of a quota of 1000 is 10 (quota / 100), of 1000000 MH_RL_BATCH_MAX (32). */

Test(ratelimit, a_large_quota_asks_redis_once_per_batch_not_per_request)
{
	struct t_session a;
	struct http_response r;
	long calls;

	long long start, elapsed;

	t_auth_signup(&a, "rl-batch");
	set_limit(a.tenant_id, "tenant", 1000000, 60);
	cr_assert_eq(t_auth_redis("CONFIG RESETSTAT"), 0);
	start = now_ms();
	for (int i = 0; i < 64; i++) {
		struct seen s;

		get_as(&a, "/api/v1/documents?limit=20", &r);
		cr_assert_eq(r.status, 200, "request %d: %ld %s", i, r.status, r.body);
		s = fields_of(&r, "tenant");
		cr_assert_eq(s.q, 1000000);
		/* What Redis reported at the reservation less what this worker spent since. */
		cr_assert(s.r >= 1000000 - 64 - TEST_WORKERS * 32 && s.r < 1000000, "r=%lld", s.r);
		t_http_free(&r);
	}
	calls = evalsha_calls();
	elapsed = now_ms() - start;
	/* Each worker asks once per 32 requests it serves and again each time its reservation's
	 * second runs out (a slow machine makes that more often): 64 without reservations. */
	cr_assert(calls >= 1 && calls <= TEST_WORKERS * (2 + elapsed / 1000) && calls < 64,
	          "EVALSHA %ld times for 64 requests in %lld ms", calls, elapsed);
}

Test(ratelimit, across_workers_the_admitted_stay_within_the_quota, .timeout = 120)
{
	struct t_session a;
	struct http_response r;
	long ok = 0, over = 0;
	long long start = now_ms(), elapsed;

	t_auth_signup(&a, "rl-within");
	/* A batch of 10, one unit of quota back every 3.6 s. */
	set_limit(a.tenant_id, "tenant", 1000, 3600);
	for (int i = 0; i < 1100; i++) {
		get_as(&a, "/api/v1/documents", &r);
		if (r.status == 200) {
			struct seen s = fields_of(&r, "tenant");

			cr_assert(s.r >= 0 && s.r < 1000, "r=%lld", s.r);
			ok++;
		} else {
			cr_assert_eq(r.status, 429, "%ld %s", r.status, r.body);
			over++;
		}
		t_http_free(&r);
	}
	elapsed = now_ms() - start;
	/* Every admitted request was charged in Redis before it was admitted: never more than
	 * the quota and what came back meanwhile. */
	cr_assert(ok <= 1000 + elapsed / 3600 + 1, "admitted %ld in %lld ms", ok, elapsed);
	/* At most the other workers' reservations are left unspent when one is refused. */
	cr_assert(ok >= 1000 - TEST_WORKERS * 10, "admitted %ld, refused %ld", ok, over);
}

Test(ratelimit, a_policy_change_drops_the_reservation)
{
	struct t_session a;
	struct http_response r;
	int ok = 0;

	t_auth_signup(&a, "rl-change");
	set_limit(a.tenant_id, "tenant", 1000000, 60);
	/* Enough requests that every worker holds a reservation of 32. */
	for (int i = 0; i < 24; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	set_limit(a.tenant_id, "tenant", 5, 60);
	for (int i = 0; i < 12; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert(r.status == 200 || r.status == 429, "%ld %s", r.status, r.body);
		cr_assert_eq(fields_of(&r, "tenant").q, 5, "request %d", i);
		ok += r.status == 200;
		t_http_free(&r);
	}
	/* The new quota, not what was reserved under the old one (the old one's requests still
	 * count on the tenant's arrival time: fewer than 5 may pass). */
	cr_assert(ok >= 1 && ok <= 5, "%d of 12 passed after the limit went down to 5", ok);
}

Test(ratelimit, an_unused_reservation_is_handed_back_when_its_time_is_up, .timeout = 60)
{
	struct t_session a;
	struct http_response r;
	long calls;

	t_auth_signup(&a, "rl-expire");
	/* A batch of 10, one unit of quota back every 86.4 s: nothing refills meanwhile. */
	set_limit(a.tenant_id, "tenant", 1000, 86400);
	for (int i = 0; i < 12; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	/* A reservation lives 1 s (MH_RL_HOLD_US). */
	sleep_ms(1300);
	cr_assert_eq(t_auth_redis("CONFIG RESETSTAT"), 0);
	for (int i = 0; i < 4; i++) {
		get_as(&a, "/api/v1/documents", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	/* Every worker that served one of them asked Redis, handing back what it held. */
	calls = evalsha_calls();
	cr_assert(calls >= 1, "no reservation ran out (EVALSHA %ld times)", calls);
}
