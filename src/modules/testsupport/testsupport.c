/* testsupport.c - routes that exist only with enable_test_routes = true.
 *
 * They let the integration suite drive behaviours no production route can
 * provoke on demand (a stuck request, a body echo, a transaction under an
 * arbitrary tenant context). Every route is MH_TEST_ONLY, so a production
 * config never even routes to them.
 */
#include "modules/testsupport/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/input.h"
#include "core/json.h"
#include "core/queue.h"

/* Set by init: the test job kind refuses to do anything in a production configuration,
 * even if a row of its kind were inserted by other means. */
static int test_routes_enabled;

static const struct mh_db_statement testsupport_statements[] = {
        /* Deliberately without WHERE tenant_id: only RLS filters the rows. */
        {"testsupport_audit", "SELECT id, action FROM audit_log ORDER BY created_at, id", 0},
        /* Many test.echo jobs at once, as the caller (the jobs INSERT policy applies): $1
         * payload merged with {"n": i}, $2 max_attempts, $3 how many, $4 seconds until due. */
        {"testsupport_enqueue",
         "WITH q AS (INSERT INTO jobs (tenant_id, created_by, kind, payload, max_attempts, run_at)"
         " SELECT (SELECT app_tenant_id()), (SELECT app_user_id()), 'test.echo',"
         "        $1::jsonb || jsonb_build_object('n', g), $2::int,"
         "        now() + make_interval(secs => $4::int)"
         "   FROM generate_series(1, $3::int) g RETURNING id)"
         " SELECT coalesce(json_agg(id), '[]')::text FROM q",
         4},
        /* The job's effect: one audit row per successful run, in the run's transaction. */
        {"testsupport_job_effect",
         "INSERT INTO audit_log (tenant_id, actor_id, action, target)"
         " VALUES ((SELECT app_tenant_id()), (SELECT app_user_id()), 'test.job_effect', $1)",
         1},
        {NULL, NULL, 0},
};

/* ---- Declared input --------------------------------------------------------------------- */

enum { SLEEP_MS };
static const struct mh_field sleep_query[] = {
        [SLEEP_MS] = {"ms", MH_T_INTEGER, MH_REQUIRED, .min = 0, .max = 60000},
        {0},
};

/* Any JSON object: the echo exercises the body handling in front of the declarations. */
static const struct mh_field echo_body = {"Echo", MH_T_OBJECT, .flags = MH_OPEN};

enum { HEADERS_N };
static const struct mh_field headers_query[] = {
        [HEADERS_N] = {"n", MH_T_INTEGER, MH_REQUIRED, .min = 0, .max = 64},
        {0},
};

enum { AUDIT_TENANT };
static const struct mh_field audit_query[] = {
        [AUDIT_TENANT] = {"tenant_id", MH_T_UUID},
        {0},
};

enum { JOBS_COUNT, JOBS_PAYLOAD, JOBS_MAX_ATTEMPTS, JOBS_DELAY };
static const struct mh_field jobs_members[] = {
        [JOBS_COUNT] = {"count", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 5000, .def = 1},
        [JOBS_PAYLOAD] = {"payload", MH_T_OBJECT, MH_OPEN},
        [JOBS_MAX_ATTEMPTS] = {"max_attempts", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = 100,
                               .def = 5},
        [JOBS_DELAY] = {"delay_seconds", MH_T_INTEGER, MH_DEFAULT, .min = 0, .max = 86400,
                        .def = 0},
        {0},
};
static const struct mh_field jobs_body = {"TestJobs", MH_T_OBJECT, .fields = jobs_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* Sleeps ?ms= milliseconds (≤ 60 s): a stuck request for timeout tests. */
static int testsupport_sleep(struct mh_request *req, struct mh_response *res)
{
	long long v = mh_in_query(req, SLEEP_MS)->i;
	struct timespec ts;

	ts.tv_sec = (time_t)(v / 1000);
	ts.tv_nsec = (long)(v % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
	return mh_reply_data(req, res, 200, "{\"slept\":true}");
}

/* Adds ?n= headers (X-Test-1 …) to a 200: more than the response's header table holds
 * proves that a dropped header fails the request (500) instead of vanishing. */
static int testsupport_headers(struct mh_request *req, struct mh_response *res)
{
	long long v = mh_in_query(req, HEADERS_N)->i;

	for (long long i = 1; i <= v; i++)
		mh_response_header(res, mh_arena_sprintf(req->arena, "X-Test-%lld", i), "1");
	return mh_reply_data(req, res, 200, "{\"headers\":true}");
}

/* Returns the JSON body it was sent: exercises 413/415/400 body handling. */
static int testsupport_echo(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_data(req, res, 200,
	                     json_object_to_json_string_ext(req->json, JSON_C_TO_STRING_PLAIN));
}

/* Lists audit_log under ?tenant_id= as RLS context, through the framework's
 * pipelined transaction: proves the context reaches PostgreSQL. */
static int testsupport_audit(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;
	struct mh_buf *b = &res->body;

	req->principal.tenant_id = mh_in_query(req, AUDIT_TENANT)->s;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "testsupport_audit", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	res->status = 200;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < PQntuples(r); i++) {
		static const char *const names[] = {"id", "action"};

		if (i > 0)
			mh_buf_putc(b, ',');
		mh_db_put_row(b, r, i, names, 2);
	}
	mh_buf_puts(b, "]}");
	return 0;
}

/* POST /api/v1/test/jobs {"count", "payload", "max_attempts", "delay_seconds"}: queues
 * count test.echo jobs in one statement (the job-runner tests need a thousand at once) and
 * answers their ids. */
static int testsupport_enqueue(struct mh_request *req, struct mh_response *res)
{
	const struct mh_value *payload = mh_in_body(req, JOBS_PAYLOAD);
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 4);
	long long count = mh_in_body(req, JOBS_COUNT)->i;
	long long max_attempts = mh_in_body(req, JOBS_MAX_ATTEMPTS)->i;
	long long delay = mh_in_body(req, JOBS_DELAY)->i;
	struct mh_tx tx;
	int q, rc;

	if (p == NULL)
		return -1;
	p[0] = payload->present
	               ? json_object_to_json_string_ext(payload->json, JSON_C_TO_STRING_PLAIN)
	               : "{}";
	p[1] = mh_arena_sprintf(req->arena, "%lld", max_attempts);
	p[2] = mh_arena_sprintf(req->arena, "%lld", count);
	p[3] = mh_arena_sprintf(req->arena, "%lld", delay);
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "testsupport_enqueue", p, 4);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	return mh_reply_data(req, res, 201,
	                     mh_arena_sprintf(req->arena, "{\"ids\":%s}",
	                                      PQgetvalue(mh_tx_result(&tx, q), 0, 0)));
}

/* test.echo: payload {"sleep_ms", "fail_until" (retry while attempt <= it), "permanent",
 * "slow_every"/"slow_ms"}.
 * On success it writes one audit row naming the job (its observable effect) and returns
 * {"attempt": n, "n": payload.n}. */
static enum mh_job_outcome testsupport_echo_job(const struct mh_job *job, struct mh_job_run *run)
{
	struct json_object *v;
	const char **p;
	long sleep_ms = 0, fail_until = 0;

	if (!test_routes_enabled) {
		run->error_code = "disabled";
		run->error = "test jobs run only with enable_test_routes = true";
		return MH_JOB_FAILED;
	}
	if (json_object_object_get_ex(job->payload, "sleep_ms", &v))
		sleep_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(job->payload, "fail_until", &v))
		fail_until = json_object_get_int64(v);
	/* "slow_every": k, "slow_ms": m — every k-th job (by n) sleeps m ms instead: a job a
	 * test can count on still being in progress when it kills the runner. */
	if (json_object_object_get_ex(job->payload, "slow_every", &v) &&
	    json_object_get_int64(v) > 0) {
		long every = json_object_get_int64(v);
		struct json_object *n, *slow;
		if (json_object_object_get_ex(job->payload, "n", &n) &&
		    json_object_get_int64(n) % every == 0 &&
		    json_object_object_get_ex(job->payload, "slow_ms", &slow))
			sleep_ms = json_object_get_int64(slow);
	}
	if (sleep_ms > 0 && sleep_ms <= 60000) {
		struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	if (json_object_object_get_ex(job->payload, "permanent", &v) &&
	    json_object_get_boolean(v)) {
		run->error_code = "test_failure";
		run->error = "failed on purpose, for good";
		return MH_JOB_FAILED;
	}
	if (job->attempt <= fail_until) {
		run->error_code = "test_failure";
		run->error = "failed on purpose, try again";
		return MH_JOB_RETRY;
	}
	if ((p = mh_arena_alloc(run->req->arena, sizeof(*p))) == NULL)
		return MH_JOB_RETRY;
	p[0] = job->id;
	if (mh_tx_query(run->tx, "testsupport_job_effect", p, 1) < 0)
		return MH_JOB_RETRY;
	run->result_json = mh_arena_sprintf(
	        run->req->arena, "{\"attempt\":%d,\"n\":%s}", job->attempt,
	        json_object_object_get_ex(job->payload, "n", &v) ? json_object_to_json_string(v)
	                                                         : "null");
	return MH_JOB_SUCCEEDED;
}

static const struct mh_job_kind testsupport_kinds[] = {
        {.name = "test.echo", .run = testsupport_echo_job, .min_role = MH_ROLE_MEMBER},
        {0},
};

static int testsupport_init(const struct mh_config *cfg)
{
	test_routes_enabled = cfg->enable_test_routes;
	if (test_routes_enabled && testsupport_ratelimit_init() < 0)
		return -1;
	return mh_db_register(testsupport_statements);
}

static const struct mh_route testsupport_routes[] = {
        {MH_GET, "/api/v1/test/sleep", testsupport_sleep, MH_PUBLIC | MH_TEST_ONLY, MH_ROLE_NONE,
         .query = sleep_query},
        {MH_POST, "/api/v1/test/echo", testsupport_echo, MH_PUBLIC | MH_TEST_ONLY, MH_ROLE_NONE,
         .body = &echo_body},
        {MH_GET, "/api/v1/test/audit", testsupport_audit, MH_PUBLIC | MH_TEST_ONLY, MH_ROLE_NONE,
         .query = audit_query},
        {MH_GET, "/api/v1/test/headers", testsupport_headers, MH_PUBLIC | MH_TEST_ONLY,
         MH_ROLE_NONE, .query = headers_query},
        {MH_PUT, "/api/v1/test/rate-limits", testsupport_rate_rule_put, MH_PUBLIC | MH_TEST_ONLY,
         MH_ROLE_NONE, .body = &testsupport_rule_body},
        {MH_POST, "/api/v1/test/jobs", testsupport_enqueue, MH_TEST_ONLY, MH_ROLE_MEMBER,
         .body = &jobs_body},
        {0},
};

const struct mh_module testsupport_module = {
        .name = "testsupport",
        .routes = testsupport_routes,
        .init = testsupport_init,
        .job_kinds = testsupport_kinds,
};
