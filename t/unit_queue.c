/* unit_queue.c - core/queue.c without a database: finding kinds, the INSERT a request queues,
 * and reading a job's row by its named columns. */
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/queue.h"
#include "fake_pg.h"

static struct mh_arena arena;
static struct mh_request req;
static struct mh_tx tx;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&arena, 4096), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &arena;
	memset(&tx, 0, sizeof(tx));
	tx.req = &req;
	mh_log_set_level(MH_LOG_ERROR + 1); /* the refusals below are expected */
}

static void teardown(void)
{
	mh_arena_destroy(&arena);
}

TestSuite(queue, .init = setup, .fini = teardown);

/* ---- Kinds ---------------------------------------------------------------------------- */

Test(queue, a_kind_is_found_in_whichever_module_registers_it)
{
	const struct mh_job_kind *k = mh_queue_kind("system.cleanup");

	cr_assert(k != NULL);
	cr_assert_str_eq(k->name, "system.cleanup");
	cr_assert_eq(k->system, 1);
	cr_assert(mh_queue_kind("test.echo") != NULL);
}

Test(queue, an_unknown_kind_is_null)
{
	cr_assert_null(mh_queue_kind("no.such.kind"));
	cr_assert_null(mh_queue_kind(""));
}

/* ---- Enqueue -------------------------------------------------------------------------- */

Test(queue, enqueue_refuses_a_kind_no_module_runs)
{
	struct mh_job_spec spec = {.kind = "no.such.kind"};

	cr_assert_eq(mh_queue_enqueue(&tx, &spec), MH_DB_ERROR);
	cr_assert_eq(tx.nqueries, 0, "nothing may be queued");
}

Test(queue, enqueue_refuses_a_system_kind_from_a_tenants_transaction)
{
	struct mh_job_spec spec = {.kind = "system.cleanup"};

	cr_assert_eq(mh_queue_enqueue(&tx, &spec), MH_DB_ERROR);
	cr_assert_eq(tx.nqueries, 0);
}

Test(queue, enqueue_binds_kind_payload_key_and_delay_never_tenant_or_creator)
{
	struct mh_job_spec spec = {.kind = "test.echo",
	                           .payload_json = "{\"n\":1}",
	                           .unique_key = "k1",
	                           .delay_seconds = 30};
	int idx = mh_queue_enqueue(&tx, &spec);
	const struct mh_tx_query *q = &tx.queries[idx];

	cr_assert_eq(idx, 0);
	cr_assert_str_eq(q->name, "mh_queue_enqueue");
	cr_assert_eq(q->nparams, 5);
	cr_assert_str_eq(q->params[0], "test.echo");
	cr_assert_str_eq(q->params[1], "{\"n\":1}");
	cr_assert_str_eq(q->params[2], "k1");
	cr_assert_str_eq(q->params[3], "30");
}

Test(queue, enqueue_passes_absent_payload_and_key_as_null)
{
	struct mh_job_spec spec = {.kind = "test.echo"};
	int idx = mh_queue_enqueue(&tx, &spec);

	cr_assert_null(tx.queries[idx].params[1]);
	cr_assert_null(tx.queries[idx].params[2]);
	cr_assert_str_eq(tx.queries[idx].params[3], "0");
}

Test(queue, max_attempts_is_the_enqueuers_else_five_when_the_kind_has_none)
{
	struct mh_job_spec spec = {.kind = "test.echo", .max_attempts = 9};
	int idx = mh_queue_enqueue(&tx, &spec);

	cr_assert_str_eq(tx.queries[idx].params[4], "9");
	spec.max_attempts = 0;
	idx = mh_queue_enqueue(&tx, &spec);
	cr_assert_str_eq(tx.queries[idx].params[4], "5");
}

/* ---- The row's columns ---------------------------------------------------------------- */

/* The select-list names exactly MH_JOB_NCOLUMNS expressions: a column added to one and not
 * the other would shift every named index after it. */
Test(queue, the_select_list_has_one_expression_per_named_column)
{
	const char *sql = MH_QUEUE_JOB_COLUMNS;
	int depth = 0, n = 1, quoted = 0;

	for (const char *p = sql; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		else if (!quoted && *p == '(')
			depth++;
		else if (!quoted && *p == ')')
			depth--;
		else if (!quoted && depth == 0 && *p == ',')
			n++;
	}
	cr_assert_eq(n, MH_JOB_NCOLUMNS, "%d expressions in %s", n, sql);
	cr_assert(strstr(sql, "j.tenant_id") != NULL && strstr(sql, "j.payload") != NULL);
}

static const char *const names[MH_JOB_NCOLUMNS] = {
        "id",    "kind",       "status",     "attempts",   "max_attempts", "run_at",    "result",
        "error", "created_by", "created_at", "updated_at", "finished_at",  "tenant_id", "payload",
};

/* One job row; tenant, creator and payload as given (NULL is SQL NULL). */
static PGresult *row(const char *tenant, const char *creator, const char *payload)
{
	const char *v[MH_JOB_NCOLUMNS] = {
	        "9d1e0c3a-0000-4000-8000-000000000001",
	        "test.echo",
	        "running",
	        "2",
	        "5",
	        "2026-01-01T00:00:00.000000Z",
	        NULL,
	        NULL,
	        creator,
	        "2026-01-01T00:00:00.000000Z",
	        "2026-01-01T00:00:00.000000Z",
	        NULL,
	        tenant,
	        payload,
	};

	return t_fake_result(MH_JOB_NCOLUMNS, names, 1, v);
}

Test(queue, a_row_is_read_by_its_named_columns)
{
	PGresult *r = row("7c2f0000-0000-4000-8000-0000000000aa",
	                  "5b3e0000-0000-4000-8000-0000000000bb", "{\"n\":7}");
	struct mh_job job;
	struct json_object *n;

	cr_assert_eq(mh_queue_job_from_row(&arena, r, 0, &job), 0);
	cr_assert_str_eq(job.id, "9d1e0c3a-0000-4000-8000-000000000001");
	cr_assert_str_eq(job.kind, "test.echo");
	cr_assert_str_eq(job.tenant_id, "7c2f0000-0000-4000-8000-0000000000aa");
	cr_assert_str_eq(job.created_by, "5b3e0000-0000-4000-8000-0000000000bb");
	cr_assert_eq(job.attempt, 2);
	cr_assert_eq(job.max_attempts, 5);
	cr_assert(json_object_object_get_ex(job.payload, "n", &n));
	cr_assert_eq(json_object_get_int(n), 7);
	PQclear(r);
}

Test(queue, a_system_job_without_creator_reads_as_empty_strings)
{
	PGresult *r = row(NULL, NULL, "{}");
	struct mh_job job;

	cr_assert_eq(mh_queue_job_from_row(&arena, r, 0, &job), 0);
	cr_assert_str_eq(job.tenant_id, "");
	cr_assert_str_eq(job.created_by, "");
	PQclear(r);
}

Test(queue, a_payload_that_is_not_an_object_reads_as_an_empty_object)
{
	static const char *const bad[] = {"[1,2]", "not json", "\"text\"", NULL};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		PGresult *r = row(NULL, NULL, bad[i]);
		struct mh_job job;

		cr_assert_eq(mh_queue_job_from_row(&arena, r, 0, &job), 0);
		cr_assert(json_object_is_type(job.payload, json_type_object), "%s",
		          bad[i] ? bad[i] : "NULL");
		cr_assert_eq(json_object_object_length(job.payload), 0);
		PQclear(r);
	}
}

Test(queue, a_missing_row_or_a_short_row_is_refused)
{
	PGresult *r = row(NULL, NULL, "{}");
	PGresult *short_row = t_fake_result(2, names, 1, (const char *const[]){"x", "y"});
	struct mh_job job;

	cr_assert_eq(mh_queue_job_from_row(&arena, r, 1, &job), -1);
	cr_assert_eq(mh_queue_job_from_row(&arena, NULL, 0, &job), -1);
	cr_assert_eq(mh_queue_job_from_row(&arena, short_row, 0, &job), -1);
	PQclear(r);
	PQclear(short_row);
}
