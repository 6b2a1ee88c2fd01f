/* it_billing.c - plans, subscriptions, usage and quotas through nginx against the real
 * stack: the subscription and usage routes, every meter at limit-1, limit and limit+1, fifty
 * parallel requests against a quota of ten, features that follow the plan, a downgrade that
 * deletes nothing, the provider's webhook (signature, tolerance, replay, the previous secret,
 * out-of-order delivery) and the calls to the provider (a loopback receiver on the stack's
 * billing_api_url checks the form, the key and the Idempotency-Key). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "job_helpers.h"
#include "conforms.h"
#include "jsonschema.h"
#include "sf.h"
#include "webhook_receiver.h"

TestSuite(billing, .timeout = 180);

#define WAIT_MS  30000
#define WEBHOOK  "/api/v1/billing/webhooks/stripe"
#define USAGE    "/api/v1/tenants/current/usage"
#define SUB      "/api/v1/tenants/current/subscription"
#define CHECKOUT "/api/v1/billing/checkout"
#define PORTAL   "/api/v1/billing/portal"

/* ---- Plans ------------------------------------------------------------------------------- */

/* A plan of its own for one test ("t<pid>_<n>"), its limits as SQL assignments over the
 * default plan's ("documents = 3, jobs_per_month = 2"); s's tenant is put on it. Not offered:
 * other tenants of the shared stack (the browser run's billing page) never see it. */
static void plan_for(const struct t_session *s, const char *limits, char name[32])
{
	static int n;
	char sql[1024];

	snprintf(name, 32, "t%ld_%d", (long)getpid(), ++n);
	snprintf(sql, sizeof(sql),
	         "INSERT INTO plans (name, title, rank, offered, seats, documents, storage_bytes,"
	         " jobs_per_month, api_per_minute, feature_per_minute, runs_per_feature_per_month,"
	         " features) SELECT '%s', 'Test', 1000 + %d + %ld * 100, false, seats, documents,"
	         " storage_bytes, jobs_per_month, api_per_minute, feature_per_minute,"
	         " runs_per_feature_per_month, features FROM plans WHERE is_default",
	         name, n, (long)getpid() % 100000);
	t_auth_sql(sql);
	snprintf(sql, sizeof(sql), "UPDATE plans SET %s WHERE name = '%s'", limits, name);
	t_auth_sql(sql);
	t_auth_set_plan(s->tenant_id, name);
}

static void set_plan(const struct t_session *s, const char *plan)
{
	t_auth_set_plan(s->tenant_id, plan);
}

/* The meter's "used" (and its limit, -1 when unlimited) from GET /usage as s. */
static long usage_of(const struct t_session *s, const char *meter, long *limit)
{
	struct http_response r;
	json_object *root, *data, *v;
	long used = -1;

	t_doc_request("GET", USAGE, s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = json_tokener_parse(r.body);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		json_object *m = json_object_array_get_idx(data, i);

		if (strcmp(t_job_str(m, "meter"), meter) != 0)
			continue;
		cr_assert(json_object_object_get_ex(m, "used", &v));
		used = (long)json_object_get_int64(v);
		if (limit != NULL) {
			cr_assert(json_object_object_get_ex(m, "limit", &v));
			*limit = v == NULL ? -1 : (long)json_object_get_int64(v);
		}
	}
	json_object_put(root);
	t_http_free(&r);
	return used;
}

static void doc_of(const struct t_session *s, const char *title, char id[40])
{
	char body[256];

	snprintf(body, sizeof(body), "{\"title\":\"%s\",\"body\":\"Billing meters words.\"}",
	         title);
	t_doc_create(s, body, id);
}

static long create_doc(const struct t_session *s, struct http_response *r)
{
	t_doc_request("POST", "/api/v1/documents", s->access, NULL, "{\"title\":\"Metered\"}", r);
	return r->status;
}

/* ---- Subscription and usage --------------------------------------------------------------- */

Test(billing, signup_starts_on_the_free_plan_with_stats_and_keywords)
{
	struct t_session s;
	struct http_response r;

	t_auth_signup(&s, "bill-new");
	t_doc_request("GET", SUB, s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("GET", SUB, &r);
	cr_assert(strstr(r.body, "\"plan\":\"free\"") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "\"status\":\"active\"") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "\"features\":[\"stats\",\"keywords\"]") != NULL, "%s", r.body);
	t_http_free(&r);
	t_doc_request("GET", USAGE, s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("GET", USAGE, &r);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "seats", NULL), 1);
	cr_assert_eq(usage_of(&s, "documents", NULL), 0);
	t_doc_request("GET", "/api/v1/billing/plans", s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("GET", "/api/v1/billing/plans", &r);
	cr_assert(strstr(r.body, "\"name\":\"free\"") < strstr(r.body, "\"name\":\"pro\""));
	t_http_free(&r);
}

Test(billing, usage_is_the_callers_tenant_only)
{
	struct t_session a, b;
	char doc[40];

	t_auth_signup(&a, "bill-iso-a");
	t_auth_signup(&b, "bill-iso-b");
	doc_of(&a, "A's", doc);
	doc_of(&a, "A's too", doc);
	cr_assert_eq(usage_of(&a, "documents", NULL), 2);
	cr_assert_eq(usage_of(&b, "documents", NULL), 0);
	/* Under RLS B's context sees none of A's counters, whatever the SQL. */
	{
		PGconn *c = t_doc_pg_as(&b);
		PGresult *q = t_pg_ok(c, "SELECT count(*) FROM usage_counters");

		cr_assert_str_eq(PQgetvalue(q, 0, 0), "0");
		PQclear(q);
		q = t_pg_ok(c, "SELECT count(*) FROM subscriptions");
		cr_assert_str_eq(PQgetvalue(q, 0, 0), "1", "its own subscription only");
		PQclear(q);
		PQfinish(c);
	}
}

/* ---- Meters at their edges ---------------------------------------------------------------- */

Test(billing, documents_at_limit_minus_one_limit_and_plus_one)
{
	struct t_session s;
	struct http_response r;
	char plan[32], id[40];
	long limit;

	t_auth_signup(&s, "bill-docs");
	plan_for(&s, "documents = 3", plan);
	doc_of(&s, "one", id);
	doc_of(&s, "two", id); /* limit - 1 */
	cr_assert_eq(usage_of(&s, "documents", &limit), 2);
	cr_assert_eq(limit, 3);
	cr_assert_eq(create_doc(&s, &r), 201, "%s", r.body); /* limit */
	t_http_free(&r);
	cr_assert_eq(create_doc(&s, &r), 403, "%s", r.body); /* limit + 1 */
	t_assert_error(&r, 403, "plan_limit_reached");
	cr_assert(strstr(r.body, "{\"field\":\"limit\",\"message\":\"3\"}") != NULL, "%s", r.body);
	t_expect_conforms("POST", "/api/v1/documents", &r);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "documents", NULL), 3);
	/* Deleting one frees its place. */
	{
		char path[100];

		snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
		t_doc_request("DELETE", path, s.access, NULL, NULL, &r);
		cr_assert_eq(r.status, 204, "%s", r.body);
		t_http_free(&r);
	}
	cr_assert_eq(usage_of(&s, "documents", NULL), 2);
	cr_assert_eq(create_doc(&s, &r), 201, "%s", r.body);
	t_http_free(&r);
}

static long process(const struct t_session *s, const char *doc, const char *feature, int k,
                    struct http_response *r)
{
	char body[128];

	if (k > 0)
		snprintf(body, sizeof(body), "{\"feature\":\"%s\",\"parameters\":{\"k\":%d}}",
		         feature, k);
	else
		snprintf(body, sizeof(body), "{\"feature\":\"%s\"}", feature);
	return t_job_process(s, doc, body, NULL, r);
}

/* The member named name of an RFC 8941 List field, with its two integer parameters a and b
 * (t/sf.c, a parser, not string matching). Returns 0 when found with both. */
static int sf_member(const char *field, const char *name, const char *a, const char *b,
                     long long *va, long long *vb)
{
	struct t_sf_list l;

	if (field == NULL || t_sf_parse_list(field, &l) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		const struct t_sf_member *m = &l.members[i];
		const struct t_sf_bare *x = t_sf_param(m, a), *y = t_sf_param(m, b);

		if (m->inner_list || m->item.type != T_SF_STRING ||
		    strcmp(m->item.text, name) != 0 || x == NULL || y == NULL ||
		    x->type != T_SF_INTEGER || y->type != T_SF_INTEGER)
			continue;
		*va = x->integer;
		*vb = y->integer;
		return 0;
	}
	return -1;
}

Test(billing, jobs_quota_at_its_edges_is_429_until_the_period_ends)
{
	struct t_session s;
	struct http_response r;
	char plan[32], doc[40], *ra, *pol, *rl, end[40];
	long long q = 0, w = 0, rem = -1, t = 0;
	long limit;

	t_auth_signup(&s, "bill-jobs");
	plan_for(&s, "jobs_per_month = 3", plan);
	doc_of(&s, "jobs", doc);
	cr_assert_eq(process(&s, doc, "keywords", 1, &r), 202, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "keywords", 2, &r), 202, "%s", r.body); /* limit - 1 */
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "jobs", &limit), 2);
	cr_assert_eq(limit, 3);
	cr_assert_eq(process(&s, doc, "keywords", 3, &r), 202, "%s", r.body); /* limit */
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "keywords", 4, &r), 429, "%s", r.body); /* limit + 1 */
	t_assert_error(&r, 429, "quota_exceeded");
	t_expect_conforms("POST", "/api/v1/documents/:id/process", &r);
	ra = t_header(&r, "Retry-After");
	pol = t_header(&r, "RateLimit-Policy");
	rl = t_header(&r, "RateLimit");
	cr_assert(ra != NULL && pol != NULL && rl != NULL, "%s", r.headers);
	/* Retry-After: until the period ends, as the subscription says. */
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "SELECT extract(epoch FROM current_period_end - now())::bigint::text"
		         " FROM subscriptions WHERE tenant_id = '%s'",
		         s.tenant_id);
		t_auth_sql_str(sql, end, sizeof(end));
	}
	cr_assert(llabs(atoll(ra) - atoll(end)) <= 5, "Retry-After %s, period ends in %s", ra, end);
	cr_assert_eq(sf_member(pol, "jobs", "q", "w", &q, &w), 0, "%s", pol);
	cr_assert_eq(q, 3);
	{
		char sql[256];

		/* The window is the billing period. */
		snprintf(sql, sizeof(sql),
		         "SELECT extract(epoch FROM current_period_end - "
		         "current_period_start)::bigint"
		         " FROM subscriptions WHERE tenant_id = '%s'",
		         s.tenant_id);
		cr_assert_eq(w, t_auth_sql_long(sql));
	}
	cr_assert_eq(sf_member(rl, "jobs", "r", "t", &rem, &t), 0, "%s", rl);
	cr_assert_eq(rem, 0);
	cr_assert_eq(t, atoll(ra));
	free(ra);
	free(pol);
	free(rl);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "jobs", NULL), 3, "a refused job is not counted");
}

Test(billing, a_new_period_starts_the_monthly_quotas_again)
{
	struct t_session s;
	struct http_response r;
	char plan[32], doc[40], sql[512];

	t_auth_signup(&s, "bill-period");
	plan_for(&s, "jobs_per_month = 1", plan);
	doc_of(&s, "period", doc);
	cr_assert_eq(process(&s, doc, "keywords", 1, &r), 202, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "keywords", 2, &r), 429, "%s", r.body);
	t_http_free(&r);
	/* The subscription's period ended an hour ago and nothing moved it on (no provider
	 * event): the quotas' period rolls forward by a month, and the new one starts empty. */
	snprintf(
	        sql, sizeof(sql),
	        "UPDATE subscriptions SET current_period_start = now() - interval '1 month 1 hour',"
	        " current_period_end = now() - interval '1 hour' WHERE tenant_id = '%s'",
	        s.tenant_id);
	t_auth_sql(sql);
	cr_assert_eq(usage_of(&s, "jobs", NULL), 0, "a new period starts at 0");
	snprintf(sql, sizeof(sql),
	         "SELECT extract(epoch FROM e.period_end - now())::bigint FROM subscriptions s,"
	         " billing_period(s.tenant_id) e WHERE s.tenant_id = '%s'",
	         s.tenant_id);
	{
		long left = t_auth_sql_long(sql);

		cr_assert(left > 29 * 86400 && left <= 31 * 86400, "the period ends in %ld s",
		          left);
	}
	cr_assert_eq(process(&s, doc, "keywords", 3, &r), 202, "%s", r.body);
	t_http_free(&r);
}

Test(billing, the_same_usage_event_counts_once)
{
	struct t_session s;
	char sql[512];

	t_auth_signup(&s, "bill-event");
	/* What a retried job's INSERT would record twice: the event id makes it once. */
	for (int i = 0; i < 2; i++) {
		snprintf(sql, sizeof(sql),
		         "SELECT billing_record('%s', 'job:retried', 'jobs', 1, false, 'MHB29')",
		         s.tenant_id);
		t_auth_sql(sql);
	}
	cr_assert_eq(usage_of(&s, "jobs", NULL), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM usage_events WHERE tenant_id = '%s' AND id = 'job:retried'",
	         s.tenant_id);
	cr_assert_eq(t_auth_sql_long(sql), 1);
}

Test(billing, runs_per_feature_are_counted_per_feature)
{
	struct t_session s;
	struct http_response r;
	char plan[32], doc[40];

	t_auth_signup(&s, "bill-runs");
	plan_for(&s, "runs_per_feature_per_month = 2, jobs_per_month = 100", plan);
	doc_of(&s, "runs", doc);
	cr_assert_eq(process(&s, doc, "keywords", 1, &r), 202, "%s", r.body); /* limit - 1 */
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "keywords", 2, &r), 202, "%s", r.body); /* limit */
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "keywords", 3, &r), 429, "%s", r.body); /* limit + 1 */
	t_assert_error(&r, 429, "quota_exceeded");
	cr_assert(strstr(r.body, "runs.keywords") != NULL, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "runs.keywords", NULL), 2);
	/* Another feature has its own count. */
	cr_assert_eq(process(&s, doc, "stats", 0, &r), 202, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "runs.stats", NULL), 1);
	cr_assert_eq(usage_of(&s, "jobs", NULL), 3);
}

static void upload(const struct t_session *s, const char *doc, size_t len, struct http_response *r)
{
	char path[512], auth[4200], *body = malloc(len + 1);

	memset(body, 'a', len);
	snprintf(path, sizeof(path), "/api/v1/documents/%s/files?name=b.txt", doc);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->access);
	cr_assert_eq(t_http_ex(NULL, "POST", path, auth, "text/plain", body, len, r), 0);
	free(body);
}

Test(billing, storage_at_limit_minus_one_limit_and_plus_one)
{
	struct t_session s;
	struct http_response r;
	char plan[32], doc[40];

	t_auth_signup(&s, "bill-bytes");
	plan_for(&s, "storage_bytes = 100", plan);
	doc_of(&s, "files", doc);
	upload(&s, doc, 99, &r); /* limit - 1 */
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	upload(&s, doc, 1, &r); /* limit */
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "storage_bytes", NULL), 100);
	upload(&s, doc, 1, &r); /* limit + 1 */
	t_assert_error(&r, 413, "storage_quota_exceeded");
	t_expect_conforms("POST", "/api/v1/documents/:id/files", &r);
	t_http_free(&r);
	cr_assert_eq(usage_of(&s, "storage_bytes", NULL), 100);
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM document_files WHERE document_id = '%s'", doc);
		cr_assert_eq(t_auth_sql_long(sql), 2, "the refused file has no row");
	}
}

Test(billing, seats_at_limit_minus_one_limit_and_plus_one)
{
	struct t_session s;
	char plan[32], sql[512], state[6];
	PGconn *su;
	struct t_session m;

	t_auth_signup(&s, "bill-seats");
	plan_for(&s, "seats = 3", plan);
	t_auth_member(&m, &s, "viewer", "bill-seat1"); /* 2 = limit - 1 */
	t_auth_member(&m, &s, "viewer", "bill-seat2"); /* 3 = limit */
	cr_assert_eq(usage_of(&s, "seats", NULL), 3);
	/* limit + 1: whatever path adds the membership (an accepted invitation, an operator's
	 * SQL), the trigger refuses it. */
	t_auth_signup(&m, "bill-seat3");
	su = t_pg("MENHIR_TEST_PG_SUPER");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', 'viewer')",
	         s.tenant_id, m.user_id);
	t_pg_state(su, sql, state);
	cr_assert_str_eq(state, "MHB03");
	PQfinish(su);
	cr_assert_eq(usage_of(&s, "seats", NULL), 3);
}

/* ---- Concurrency --------------------------------------------------------------------------- */

struct racer {
	const struct t_session *s;
	const char *doc;
	int k;
	long status;
};

static void *race(void *arg)
{
	struct racer *x = arg;
	struct http_response r;

	x->status = process(x->s, x->doc, "keywords", x->k, &r);
	t_http_free(&r);
	return NULL;
}

Test(billing, fifty_parallel_requests_against_a_quota_of_ten_let_exactly_ten_through)
{
	struct t_session s;
	struct racer x[50];
	pthread_t th[50];
	char plan[32], doc[40];
	int ok = 0, over = 0;

	t_auth_signup(&s, "bill-race");
	plan_for(&s, "jobs_per_month = 10", plan);
	doc_of(&s, "race", doc);
	for (int i = 0; i < 50; i++) {
		/* Fifty different jobs (k differs): none is a duplicate of another. */
		x[i] = (struct racer){&s, doc, i + 1, 0};
		cr_assert_eq(pthread_create(&th[i], NULL, race, &x[i]), 0);
	}
	for (int i = 0; i < 50; i++) {
		pthread_join(th[i], NULL);
		ok += x[i].status == 202;
		over += x[i].status == 429;
	}
	cr_assert_eq(ok, 10, "202: %d, 429: %d", ok, over);
	cr_assert_eq(over, 40, "202: %d, 429: %d", ok, over);
	cr_assert_eq(usage_of(&s, "jobs", NULL), 10);
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM jobs WHERE payload ->> 'document_id' = '%s'", doc);
		cr_assert_eq(t_auth_sql_long(sql), 10, "exactly ten jobs exist");
	}
}

/* ---- Features follow the plan ---------------------------------------------------------------- */

Test(billing, features_follow_the_plan)
{
	struct t_session s;
	struct http_response r;
	char doc[40];

	t_auth_signup(&s, "bill-feat");
	doc_of(&s, "features", doc);
	cr_assert_eq(process(&s, doc, "summary", 0, &r), 403, "%s", r.body);
	t_assert_error(&r, 403, "feature_not_in_plan");
	cr_assert(strstr(r.body, "the pro plan includes it") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "{\"field\":\"plan\",\"message\":\"pro\"}") != NULL, "%s", r.body);
	t_expect_conforms("POST", "/api/v1/documents/:id/process", &r);
	t_http_free(&r);
	set_plan(&s, "pro");
	cr_assert_eq(process(&s, doc, "summary", 0, &r), 202, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(process(&s, doc, "redact", 0, &r), 403, "%s", r.body);
	cr_assert(strstr(r.body, "the business plan includes it") != NULL, "%s", r.body);
	t_http_free(&r);
	set_plan(&s, "free");
	cr_assert_eq(process(&s, doc, "summary", 0, &r), 403, "%s", r.body);
	t_http_free(&r);
}

/* ---- Downgrade ---------------------------------------------------------------------------- */

Test(billing, a_downgrade_deletes_nothing_and_makes_the_newest_documents_read_only)
{
	struct t_session s;
	struct http_response r;
	char plan[32], d[3][40], path[200];

	t_auth_signup(&s, "bill-down");
	set_plan(&s, "business");
	doc_of(&s, "oldest", d[0]);
	doc_of(&s, "middle", d[1]);
	doc_of(&s, "newest", d[2]);
	plan_for(&s, "documents = 2", plan);
	t_doc_request("GET", "/api/v1/documents", s.access, NULL, NULL, &r);
	cr_assert(strstr(r.body, d[0]) && strstr(r.body, d[1]) && strstr(r.body, d[2]),
	          "nothing is deleted: %s", r.body);
	t_http_free(&r);
	/* The oldest `limit` stay writable; the newer one is read-only. */
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/api/v1/documents/%s", d[i]);
		t_doc_request("PATCH", path, s.access, NULL, "{\"title\":\"changed\"}", &r);
		if (i < 2) {
			cr_assert_eq(r.status, 200, "%d: %s", i, r.body);
		} else {
			t_assert_error(&r, 403, "plan_limit_reached");
			cr_assert(strstr(r.body, "read-only") != NULL, "%s", r.body);
			t_expect_conforms("PATCH", "/api/v1/documents/:id", &r);
		}
		t_http_free(&r);
	}
	t_doc_request("GET", path, s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "still readable: %s", r.body);
	t_http_free(&r);
	cr_assert_eq(create_doc(&s, &r), 403, "%s", r.body);
	t_http_free(&r);
	/* Deleting is always allowed; under the limit again, everything is writable. */
	snprintf(path, sizeof(path), "/api/v1/documents/%s", d[1]);
	t_doc_request("DELETE", path, s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", d[2]);
	t_doc_request("PATCH", path, s.access, NULL, "{\"title\":\"changed\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

/* A job's change to a read-only document is refused the same way on every attempt: the
 * runner ends it failed after its first, saying why, instead of retrying it until dead. */
Test(billing, a_job_that_writes_a_read_only_document_fails_at_once_saying_why)
{
	struct t_session s;
	char plan[32], d[3][40], job[40];
	json_object *j, *v;

	t_auth_signup(&s, "bill-rojob");
	set_plan(&s, "business");
	doc_of(&s, "oldest", d[0]);
	doc_of(&s, "middle", d[1]);
	t_doc_create(&s, "{\"title\":\"newest\",\"body\":\"Mail ann@example.org today.\"}", d[2]);
	/* Two documents allowed, with redact still in the plan: the newest is read-only. Only
	 * redact: a test plan with as many features as business would outrank it (rank 1000+),
	 * and `menhir admin seed`, which picks the plan with the most features, would put every
	 * tenant it seeds later in the run (bench/peers/check's) on two documents. */
	plan_for(&s, "documents = 2, features = '{redact}'", plan);
	t_job_process_ok(&s, d[2], "{\"feature\":\"redact\"}", job);
	j = t_job_wait(&s, job, WAIT_MS);
	cr_assert_str_eq(t_job_str(j, "status"), "failed", "%s", json_object_to_json_string(j));
	cr_assert(json_object_object_get_ex(j, "attempts", &v));
	cr_assert_eq(json_object_get_int(v), 1, "%s", json_object_to_json_string(j));
	cr_assert_str_eq(t_job_str(j, "error"),
	                 "refused: SQLSTATE MHB03: this document is over the plan's limit: "
	                 "read-only");
	json_object_put(j);
}

/* ---- The provider's webhook ----------------------------------------------------------------- */

/* A secret of the stack (STATE/secrets/NAME), into out. */
static void stack_secret(const char *name, char *out, size_t outlen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/secrets/%s", t_env("MENHIR_TEST_STATE"), name);
	f = fopen(path, "r");
	cr_assert(f != NULL, "%s", path);
	cr_assert(fgets(out, (int)outlen, f) != NULL);
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
}

static void sign(const char *secret, long long t, const char *body, char hex[65])
{
	unsigned char mac[32];
	unsigned len = 0;
	char *msg = malloc(strlen(body) + 32);

	sprintf(msg, "%lld.%s", t, body);
	cr_assert(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg),
	               mac, &len) != NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	free(msg);
}

/* POSTs body with the given Stripe-Signature header (NULL: none). */
static void post_event(const char *signature, const char *body, struct http_response *r)
{
	char h[512];
	const char *headers[3] = {"Content-Type: application/json", NULL, NULL};

	if (signature != NULL) {
		snprintf(h, sizeof(h), "Stripe-Signature: %s", signature);
		headers[1] = h;
	}
	cr_assert_eq(t_http_request(NULL, "POST", WEBHOOK, headers, body, strlen(body), r), 0);
}

/* Signs body with the secret NAME at now + skew and POSTs it. */
static void deliver(const char *secret_name, long long skew, const char *body,
                    struct http_response *r)
{
	char secret[128], hex[65], sig[256];
	long long t = (long long)time(NULL) + skew;

	stack_secret(secret_name, secret, sizeof(secret));
	sign(secret, t, body, hex);
	snprintf(sig, sizeof(sig), "t=%lld,v1=%s", t, hex);
	post_event(sig, body, r);
}

static void unique_id(char *out, size_t len, const char *prefix)
{
	static int n;

	snprintf(out, len, "%s_%ld_%d_%ld", prefix, (long)getpid(), ++n, (long)time(NULL));
}

/* Waits until the event's job has applied it; returns its outcome. */
static void wait_applied(const char *event, char outcome[16])
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM billing_events WHERE id = '%s' AND processed_at IS NOT NULL",
	         event);
	for (int i = 0; i < WAIT_MS / 100 && t_auth_sql_long(sql) == 0; i++)
		usleep(100 * 1000);
	snprintf(sql, sizeof(sql),
	         "SELECT coalesce(outcome, '') FROM billing_events WHERE id = '%s'", event);
	t_auth_sql_str(sql, outcome, 16);
}

static void checkout_event(const struct t_session *s, const char *plan, long long created,
                           char id[64])
{
	char body[1024];
	struct http_response r;

	unique_id(id, 64, "evt");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"checkout.session.completed\","
	         "\"created\":%lld,\"data\":{\"object\":{\"id\":\"cs_%s\",\"object\":\"checkout."
	         "session\",\"client_reference_id\":\"%s\",\"customer\":\"cus_%s\","
	         "\"subscription\":\"sub_%s\",\"metadata\":{\"tenant_id\":\"%s\",\"plan\":\"%s\"}}}"
	         "}",
	         id, created, s->user_id, s->tenant_id, s->user_id, s->user_id, s->tenant_id, plan);
	deliver("billing_webhook", 0, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

/* customer.subscription.<what> for s's subscription, created at `created`. */
static void subscription_event(const struct t_session *s, const char *what, const char *status,
                               const char *price, long long created, char id[64])
{
	char body[1024];
	struct http_response r;

	unique_id(id, 64, "evt");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"customer.subscription.%s\","
	         "\"created\":%lld,\"data\":{\"object\":{\"id\":\"sub_%s\",\"object\":"
	         "\"subscription\",\"customer\":\"cus_%s\",\"status\":\"%s\",\"items\":{\"object\":"
	         "\"list\",\"data\":[{\"price\":{\"id\":\"%s\"}}]},\"current_period_start\":%lld,"
	         "\"current_period_end\":%lld,\"metadata\":{\"tenant_id\":\"%s\"}}}}",
	         id, what, created, s->user_id, s->user_id, status, price, created - 86400,
	         created + 30 * 86400, s->tenant_id);
	deliver("billing_webhook", 0, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

static void expect_subscription(const struct t_session *s, const char *plan, const char *status)
{
	struct http_response r;
	char want[64];

	t_doc_request("GET", SUB, s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	snprintf(want, sizeof(want), "\"plan\":\"%s\"", plan);
	cr_assert(strstr(r.body, want) != NULL, "want %s: %s", want, r.body);
	snprintf(want, sizeof(want), "\"status\":\"%s\"", status);
	cr_assert(strstr(r.body, want) != NULL, "want %s: %s", want, r.body);
	t_http_free(&r);
}

Test(billing, webhook_with_a_bad_or_missing_signature_is_400_and_records_nothing)
{
	struct http_response r;
	char id[64], body[256], secret[128], hex[65], sig[256];
	long long t = (long long)time(NULL);

	unique_id(id, sizeof(id), "evt_bad");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"invoice.paid\",\"created\":%lld,\"data\":{}}", id, t);
	post_event(NULL, body, &r);
	t_assert_error(&r, 400, "invalid_signature");
	t_expect_conforms("POST", WEBHOOK, &r);
	t_http_free(&r);
	/* Signed with another key. */
	sign("whsec_not_the_endpoint_secret", t, body, hex);
	snprintf(sig, sizeof(sig), "t=%lld,v1=%s", t, hex);
	post_event(sig, body, &r);
	t_assert_error(&r, 400, "invalid_signature");
	t_http_free(&r);
	/* The right key over another body (one byte changed). */
	stack_secret("billing_webhook", secret, sizeof(secret));
	sign(secret, t, body, hex);
	snprintf(sig, sizeof(sig), "t=%lld,v1=%s", t, hex);
	body[strlen(body) - 2] = ' ';
	post_event(sig, body, &r);
	t_assert_error(&r, 400, "invalid_signature");
	t_http_free(&r);
	/* The right signature under a v0 (test scheme) name only. */
	body[strlen(body) - 2] = '{';
	snprintf(sig, sizeof(sig), "t=%lld,v0=%s", t, hex);
	post_event(sig, body, &r);
	t_assert_error(&r, 400, "invalid_signature");
	t_http_free(&r);
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM billing_events WHERE id = '%s'",
		         id);
		cr_assert_eq(t_auth_sql_long(sql), 0);
	}
}

Test(billing, webhook_timestamp_outside_the_tolerance_is_400)
{
	struct http_response r;
	char id[64], body[256];

	unique_id(id, sizeof(id), "evt_old");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"invoice.paid\",\"created\":1,\"data\":{}}", id);
	deliver("billing_webhook", -301, body, &r);
	t_assert_error(&r, 400, "signature_expired");
	t_expect_conforms("POST", WEBHOOK, &r);
	t_http_free(&r);
	deliver("billing_webhook", 301, body, &r);
	t_assert_error(&r, 400, "signature_expired");
	t_http_free(&r);
	/* Inside the 300 s: accepted (an unknown customer's invoice changes nothing). */
	deliver("billing_webhook", -290, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

Test(billing, webhook_replay_of_an_event_id_is_acknowledged_and_queued_once)
{
	struct t_session s;
	struct http_response r;
	char id[64], body[1024], sql[256], outcome[16];

	long long generation;

	t_auth_signup(&s, "bill-replay");
	generation = t_auth_redis("INCRBY mh:rg:billing:%s 0", s.tenant_id);
	unique_id(id, sizeof(id), "evt_dup");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"checkout.session.completed\",\"created\":%lld,"
	         "\"data\":{\"object\":{\"object\":\"checkout.session\",\"client_reference_id\":"
	         "\"%s\",\"customer\":\"cus_dup_%s\",\"metadata\":{\"plan\":\"pro\"}}}}",
	         id, (long long)time(NULL), s.tenant_id, s.user_id);
	deliver("billing_webhook", 0, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"duplicate\":false") != NULL, "%s", r.body);
	t_expect_conforms("POST", WEBHOOK, &r);
	t_http_free(&r);
	/* The same event again (a redelivery, or a replay within the tolerance). */
	deliver("billing_webhook", 0, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"duplicate\":true") != NULL, "%s", r.body);
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM jobs WHERE kind = 'billing.event' AND payload ->> "
	         "'event_id' = '%s'",
	         id);
	cr_assert_eq(t_auth_sql_long(sql), 1);
	wait_applied(id, outcome);
	cr_assert_str_eq(outcome, "applied");
	expect_subscription(&s, "pro", "active");
	/* Once committed, a job of its own tells every worker's cache of this tenant's limits. */
	for (int i = 0; i < WAIT_MS / 100 &&
	                t_auth_redis("INCRBY mh:rg:billing:%s 0", s.tenant_id) <= generation;
	     i++)
		usleep(100 * 1000);
	cr_assert_gt(t_auth_redis("INCRBY mh:rg:billing:%s 0", s.tenant_id), generation);
}

Test(billing, webhook_signed_with_the_previous_secret_or_among_several_v1_is_accepted)
{
	struct t_session s;
	struct http_response r;
	char id[64], body[1024], secret[128], hex[65], sig[512], outcome[16];
	long long t = (long long)time(NULL);

	t_auth_signup(&s, "bill-rotate");
	unique_id(id, sizeof(id), "evt_prev");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"checkout.session.completed\",\"created\":%lld,"
	         "\"data\":{\"object\":{\"object\":\"checkout.session\",\"client_reference_id\":"
	         "\"%s\",\"customer\":\"cus_prev_%s\",\"metadata\":{\"plan\":\"pro\"}}}}",
	         id, t, s.tenant_id, s.user_id);
	deliver("billing_webhook_previous", 0, body, &r);
	cr_assert_eq(r.status, 200, "the previous secret during a rotation: %s", r.body);
	t_http_free(&r);
	wait_applied(id, outcome);
	cr_assert_str_eq(outcome, "applied");
	/* Several v1 values (the provider's own rotation): any match will do. */
	unique_id(id, sizeof(id), "evt_multi");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"invoice.paid\",\"created\":%lld,"
	         "\"data\":{\"object\":{\"customer\":\"cus_prev_%s\"}}}",
	         id, t + 1, s.user_id);
	stack_secret("billing_webhook", secret, sizeof(secret));
	sign(secret, t, body, hex);
	snprintf(sig, sizeof(sig), "t=%lld,v1=%064d,v1=%s,v0=%064d", t, 0, hex, 0);
	post_event(sig, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

Test(billing, webhook_events_set_plan_and_status_and_tolerate_out_of_order_delivery)
{
	struct t_session s;
	char e[6][64], outcome[16];
	long long t = (long long)time(NULL);

	t_auth_signup(&s, "bill-order");
	checkout_event(&s, "pro", t - 100, e[0]);
	wait_applied(e[0], outcome);
	cr_assert_str_eq(outcome, "applied");
	expect_subscription(&s, "pro", "active");
	/* The provider's update at t-10 (business, active) is delivered after its later update
	 * at t-5 (business, past_due): the older one is stale and changes nothing. */
	subscription_event(&s, "updated", "past_due", "price_business_monthly", t - 5, e[1]);
	wait_applied(e[1], outcome);
	cr_assert_str_eq(outcome, "applied");
	subscription_event(&s, "updated", "active", "price_pro_monthly", t - 10, e[2]);
	wait_applied(e[2], outcome);
	cr_assert_str_eq(outcome, "stale");
	expect_subscription(&s, "business", "past_due");
	/* A `created` that arrives after an update of the same second does not undo it. */
	subscription_event(&s, "created", "trialing", "price_pro_monthly", t - 5, e[3]);
	wait_applied(e[3], outcome);
	cr_assert_str_eq(outcome, "stale");
	expect_subscription(&s, "business", "past_due");
	/* Deleted: back on the default plan, canceled; a late update about the deleted
	 * subscription cannot revive it. */
	subscription_event(&s, "deleted", "canceled", "price_business_monthly", t - 1, e[4]);
	wait_applied(e[4], outcome);
	expect_subscription(&s, "free", "canceled");
	subscription_event(&s, "updated", "active", "price_business_monthly", t, e[5]);
	wait_applied(e[5], outcome);
	cr_assert_str_eq(outcome, "stale");
	expect_subscription(&s, "free", "canceled");
}

Test(billing, invoice_failed_then_paid_moves_the_status)
{
	struct t_session s;
	struct http_response r;
	char e[64], id[64], body[512], outcome[16];
	long long t = (long long)time(NULL);

	t_auth_signup(&s, "bill-invoice");
	checkout_event(&s, "pro", t - 100, e);
	wait_applied(e, outcome);
	unique_id(id, sizeof(id), "evt_inv");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"invoice.payment_failed\",\"created\":%lld,"
	         "\"data\":{\"object\":{\"object\":\"invoice\",\"customer\":\"cus_%s\"}}}",
	         id, t - 50, s.user_id);
	deliver("billing_webhook", 0, body, &r);
	t_http_free(&r);
	wait_applied(id, outcome);
	expect_subscription(&s, "pro", "past_due");
	unique_id(id, sizeof(id), "evt_inv");
	snprintf(body, sizeof(body),
	         "{\"id\":\"%s\",\"type\":\"invoice.paid\",\"created\":%lld,"
	         "\"data\":{\"object\":{\"object\":\"invoice\",\"customer\":\"cus_%s\"}}}",
	         id, t - 40, s.user_id);
	deliver("billing_webhook", 0, body, &r);
	t_http_free(&r);
	wait_applied(id, outcome);
	expect_subscription(&s, "pro", "active");
}

/* ---- Calls to the provider ------------------------------------------------------------------ */

#define CHECKOUT_OK "{\"id\":\"cs_test_1\",\"url\":\"https://checkout.example/c/pay/cs_1\"}"
#define PORTAL_OK   "{\"url\":\"https://billing.example/p/session/test_1\"}"

static struct t_receiver provider;

/* Listens where the stack's billing_api_url points, answering 200 with this JSON body. */
static void start_provider(const char *json)
{
	static char answer[512];
	const char *script[1] = {answer};

	snprintf(answer, sizeof(answer),
	         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	         "Connection: close\r\n\r\n%s",
	         strlen(json), json);
	cr_assert_eq(t_receiver_start_on(&provider,
	                                 (unsigned short)atoi(t_env("MENHIR_TEST_BILLING_PORT")),
	                                 script, 1),
	             0, "the provider's port is busy");
}

Test(billing, checkout_sends_the_form_the_key_and_an_idempotency_key)
{
	struct t_team t;
	struct http_response r;
	char *auth, *idem, *ct, key[128], want[256];

	t_team_setup(&t, "bill-checkout");
	start_provider(CHECKOUT_OK);
	/* Only the owner may change what the tenant pays. */
	for (int role = T_ADMIN; role < T_NROLES; role++) {
		t_doc_request("POST", CHECKOUT, t.as[role].access, NULL, "{\"plan\":\"pro\"}", &r);
		t_assert_error(&r, 403, "forbidden");
		t_http_free(&r);
	}
	cr_assert_eq(t_receiver_connections(&provider), 0);
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, "{\"plan\":\"pro\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("POST", CHECKOUT, &r);
	cr_assert(strstr(r.body, "https://checkout.example/c/pay/cs_1") != NULL, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(t_receiver_wait(&provider, 1, 5000), 1);
	cr_assert(strncmp(provider.received[0].head, "POST /v1/checkout/sessions ", 27) == 0, "%s",
	          provider.received[0].head);
	stack_secret("billing_api_key", key, sizeof(key));
	auth = t_received_header(&provider.received[0], "Authorization");
	idem = t_received_header(&provider.received[0], "Idempotency-Key");
	ct = t_received_header(&provider.received[0], "Content-Type");
	snprintf(want, sizeof(want), "Bearer %s", key);
	cr_assert(auth != NULL && strcmp(auth, want) == 0, "%s", auth ? auth : "no auth");
	cr_assert(idem != NULL && strncmp(idem, "menhir-checkout-", 16) == 0);
	cr_assert(ct != NULL && strcmp(ct, "application/x-www-form-urlencoded") == 0);
	snprintf(want, sizeof(want), "client_reference_id=%s", t.as[T_OWNER].tenant_id);
	cr_assert(strstr(provider.received[0].body, want) != NULL, "%s", provider.received[0].body);
	cr_assert(strstr(provider.received[0].body,
	                 "line_items%5B0%5D%5Bprice%5D=price_pro_monthly") != NULL,
	          "%s", provider.received[0].body);
	cr_assert(strstr(provider.received[0].body, "mode=subscription") != NULL);
	cr_assert(strstr(provider.received[0].body, "metadata%5Bplan%5D=pro") != NULL);
	free(auth);
	free(idem);
	free(ct);
	t_receiver_stop(&provider);
	/* Nothing changes until the provider's event says so. */
	expect_subscription(&t.as[T_OWNER], "free", "active");
	/* Not sold, unknown, already on it. */
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, "{\"plan\":\"free\"}", &r);
	t_assert_error(&r, 422, "plan_not_purchasable");
	t_http_free(&r);
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, "{\"plan\":\"gold\"}", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	set_plan(&t.as[T_OWNER], "pro");
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, "{\"plan\":\"pro\"}", &r);
	t_assert_error(&r, 409, "already_on_plan");
	t_http_free(&r);
}

Test(billing, a_provider_that_fails_is_502_and_the_portal_needs_a_customer)
{
	struct t_session s;
	struct http_response r;
	char e[64], outcome[16];

	t_auth_signup(&s, "bill-portal");
	/* Nobody listens on the provider's port. */
	t_doc_request("POST", CHECKOUT, s.access, NULL, "{\"plan\":\"pro\"}", &r);
	t_assert_error(&r, 502, "provider_error");
	t_expect_conforms("POST", CHECKOUT, &r);
	t_http_free(&r);
	t_doc_request("POST", PORTAL, s.access, NULL, NULL, &r);
	t_assert_error(&r, 409, "no_customer");
	t_expect_conforms("POST", PORTAL, &r);
	t_http_free(&r);
	checkout_event(&s, "pro", (long long)time(NULL), e);
	wait_applied(e, outcome);
	start_provider(PORTAL_OK);
	t_doc_request("POST", PORTAL, s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("POST", PORTAL, &r);
	t_http_free(&r);
	cr_assert_eq(t_receiver_wait(&provider, 1, 5000), 1);
	cr_assert(strncmp(provider.received[0].head, "POST /v1/billing_portal/sessions ", 33) == 0);
	{
		char want[128];

		snprintf(want, sizeof(want), "customer=cus_%s", s.user_id);
		cr_assert(strstr(provider.received[0].body, want) != NULL, "%s",
		          provider.received[0].body);
	}
	t_receiver_stop(&provider);
}

/* ---- Operators ----------------------------------------------------------------------------- */

Test(billing, admin_set_plan_and_plans_set)
{
	struct t_session s;
	char out[256], name[32];
	const char *set_plan_args[] = {"admin", "set-plan", NULL, "pro", NULL};
	const char *plans_args[] = {
	        "admin",          "plans",         "set", name, "documents=unlimited",
	        "features=stats", "offered=false", NULL};
	const char *bad_args[] = {"admin", "plans", "set", name, "nonsense=1", NULL};

	long long generation;

	t_auth_signup(&s, "bill-admin");
	set_plan_args[2] = s.tenant_id;
	generation = t_auth_redis("INCRBY mh:rg:billing:%s 0", s.tenant_id);
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), set_plan_args), 0, "%s", out);
	cr_assert(strstr(out, "plan pro") != NULL, "%s", out);
	expect_subscription(&s, "pro", "active");
	/* The workers' cached limits of this tenant are told: its generation moved
	 * (core/revocation.h), and every tenant's when a plan changes. */
	cr_assert_gt(t_auth_redis("INCRBY mh:rg:billing:%s 0", s.tenant_id), generation);
	generation = t_auth_redis("INCRBY mh:rg:billing 0");
	snprintf(name, sizeof(name), "adm%ld_%ld", (long)getpid(), (long)time(NULL) % 100000);
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), plans_args), 0, "%s", out);
	cr_assert_gt(t_auth_redis("INCRBY mh:rg:billing 0"), generation);
	{
		char sql[200];

		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM plans WHERE documents IS NULL AND features = "
		         "'{stats}' AND NOT offered"
		         " AND name = '%s'",
		         name);
		cr_assert_eq(t_auth_sql_long(sql), 1);
	}
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), bad_args), 2);
}

/* ---- Plans kept for the tenants on them (schema 0031) ---------------------------------- */

/* The plan's "offered" in GET /billing/plans as s (which must conform): 1 or 0, or -1 when
 * the plan is not listed. */
static int listed(const struct t_session *s, const char *plan)
{
	struct http_response r;
	json_object *root, *data;
	int offered = -1;

	t_doc_request("GET", "/api/v1/billing/plans", s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("GET", "/api/v1/billing/plans", &r);
	root = json_tokener_parse(r.body);
	cr_assert(root != NULL && json_object_object_get_ex(root, "data", &data), "%s", r.body);
	for (size_t i = 0; i < json_object_array_length(data); i++) {
		json_object *p = json_object_array_get_idx(data, i), *name, *flag;

		if (json_object_object_get_ex(p, "name", &name) &&
		    strcmp(json_object_get_string(name), plan) == 0 &&
		    json_object_object_get_ex(p, "offered", &flag))
			offered = json_object_get_boolean(flag);
	}
	json_object_put(root);
	t_http_free(&r);
	return offered;
}

/* Every line `menhir admin plans show NAME` prints (t_auth_menhir keeps the first only). */
static void plans_show(const char *name, char *out, size_t outlen)
{
	char cmd[1024];
	size_t got;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --config '%s' admin plans show '%s'",
	         t_env("MENHIR_TEST_BIN"), t_env("MENHIR_CONFIG"), name);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	got = fread(out, 1, outlen - 1, p);
	out[got] = '\0';
	cr_assert_eq(pclose(p), 0, "%s", out);
}

/* A plan nobody may choose, with a price (so only "not offered" can refuse a checkout),
 * made by the operator's command in one transaction: it is never offered, not even for a
 * moment another suite's page could see. */
static void unoffered_plan(char name[32])
{
	char out[1024], price[48];
	const char *args[] = {"admin",
	                      "plans",
	                      "set",
	                      name,
	                      "title=Grandfathered",
	                      price,
	                      "features=stats,keywords,summary",
	                      "offered=false",
	                      NULL};

	snprintf(name, 32, "gf%ld_%ld", (long)getpid(), (long)time(NULL) % 100000);
	snprintf(price, sizeof(price), "price_id=price_%s", name);
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), args), 0, "%s", out);
	plans_show(name, out, sizeof(out));
	cr_assert(strstr(out, "\noffered = no\n") != NULL, "%s", out);
	plans_show("pro", out, sizeof(out));
	cr_assert(strstr(out, "\noffered = yes\n") != NULL, "%s", out);
}

Test(billing, a_plan_not_offered_is_listed_only_to_the_tenants_on_it)
{
	struct t_session a, b;
	char name[32];

	t_auth_signup(&a, "bill-offer-a");
	t_auth_signup(&b, "bill-offer-b");
	unoffered_plan(name);
	/* The seeded plans are offered, to everybody. */
	cr_assert_eq(listed(&a, "free"), 1);
	cr_assert_eq(listed(&a, "pro"), 1);
	cr_assert_eq(listed(&a, "business"), 1);
	cr_assert_eq(listed(&a, name), -1, "a plan not offered is listed to a tenant not on it");
	{
		/* The operator still puts a tenant on it... */
		const char *args[] = {"admin", "set-plan", b.tenant_id, name, NULL};
		char out[256], want[64];

		cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), args), 0, "%s", out);
		snprintf(want, sizeof(want), "plan %s", name);
		cr_assert(strstr(out, want) != NULL, "%s", out);
	}
	expect_subscription(&b, name, "active");
	/* ...which sees it (it is its plan), saying it is not on offer; the others still do not. */
	cr_assert_eq(listed(&b, name), 0);
	cr_assert_eq(listed(&b, "pro"), 1);
	cr_assert_eq(listed(&a, name), -1);
}

Test(billing, checkout_to_a_plan_not_offered_is_refused_and_its_tenants_keep_it)
{
	struct t_team t;
	struct http_response r;
	char name[32], body[64];

	t_team_setup(&t, "bill-offer-co");
	unoffered_plan(name);
	snprintf(body, sizeof(body), "{\"plan\":\"%s\"}", name);
	/* Nobody listens at the provider: a checkout that got that far would be a 502. */
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, body, &r);
	t_assert_error(&r, 422, "plan_not_offered");
	t_expect_conforms("POST", CHECKOUT, &r);
	t_http_free(&r);
	expect_subscription(&t.as[T_OWNER], "free", "active");
	/* A tenant on it keeps it, but cannot buy it again either. */
	set_plan(&t.as[T_OWNER], name);
	t_doc_request("POST", CHECKOUT, t.as[T_OWNER].access, NULL, body, &r);
	t_assert_error(&r, 422, "plan_not_offered");
	t_http_free(&r);
	expect_subscription(&t.as[T_OWNER], name, "active");
}

/* ---- Rate limits from the plan (core/ratelimit.h) ---------------------------------------- */

/* q of the policy named name in r's RateLimit-Policy field (parsed as RFC 8941), or -1. */
static long long policy_quota(const struct http_response *r, const char *name)
{
	struct t_sf_list l;
	char *f = t_header(r, "RateLimit-Policy");
	long long q = -1;

	cr_assert(f != NULL, "no RateLimit-Policy: %s", r->headers);
	cr_assert_eq(t_sf_parse_list(f, &l), 0, "%s", f);
	for (size_t i = 0; i < l.n; i++) {
		const struct t_sf_bare *v = t_sf_param(&l.members[i], "q");

		if (l.members[i].item.type == T_SF_STRING &&
		    strcmp(l.members[i].item.text, name) == 0 && v != NULL &&
		    v->type == T_SF_INTEGER)
			q = v->integer;
	}
	free(f);
	return q;
}

Test(billing, rate_limits_follow_the_plan_and_a_change_reaches_every_worker_at_once)
{
	struct t_session s;
	struct http_response r;
	char doc[40];

	t_auth_signup(&s, "bill-rate");
	/* Several requests, so several workers have cached the free plan's limits. */
	for (int i = 0; i < 8; i++) {
		t_doc_request("GET", SUB, s.access, NULL, NULL, &r);
		cr_assert_eq(policy_quota(&r, "tenant"), 120);
		t_http_free(&r);
	}
	{
		/* The operator's command (as the provider's events) tells every worker. */
		const char *args[] = {"admin", "set-plan", s.tenant_id, "pro", NULL};
		char out[256];

		cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), args), 0, "%s", out);
	}
	for (int i = 0; i < 8; i++) {
		t_doc_request("GET", SUB, s.access, NULL, NULL, &r);
		cr_assert_eq(policy_quota(&r, "tenant"), 600, "request %d after the change", i);
		t_http_free(&r);
	}
	/* A feature's scope: its per-minute limit, only for a feature in the plan. */
	doc_of(&s, "rate", doc);
	cr_assert_eq(process(&s, doc, "summary", 0, &r), 202, "%s", r.body);
	cr_assert_eq(policy_quota(&r, "summary"), 120);
	t_http_free(&r);
}
