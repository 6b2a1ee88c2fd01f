/* unit_db.c - core/db.c without a database: rows as JSON, the failed transaction's answer to
 * the client, the transaction's bookkeeping, and an unreachable database. (The pipelined
 * round trip itself, the RLS context and reconnection are it_db's, against PostgreSQL.) */
#include <string.h>

#include <criterion/criterion.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/log.h"
#include "fake_pg.h"

static struct mh_arena arena;
static struct mh_request req;
static struct mh_response res;

static void setup(void)
{
	cr_assert_eq(mh_arena_init(&arena, 8192), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &arena;
	req.request_id = "req-1";
	memset(&res, 0, sizeof(res));
	mh_buf_init(&res.body, &arena, 512);
	mh_log_set_level(MH_LOG_ERROR + 1); /* the refusals below are expected */
}

static void teardown(void)
{
	mh_arena_destroy(&arena);
}

TestSuite(db, .init = setup, .fini = teardown);

static const char *header(const char *name)
{
	for (size_t i = 0; i < res.nheaders; i++)
		if (strcmp(res.headers[i].key, name) == 0)
			return res.headers[i].value;
	return NULL;
}

/* ---- Rows as JSON --------------------------------------------------------------------- */

Test(db, a_row_renders_text_as_json_strings_and_null_as_null)
{
	static const char *const names[] = {"id", "title", "deleted_at"};
	PGresult *r = t_fake_result(3, names, 1, (const char *const[]){"42", "say \"hi\"\n", NULL});
	struct mh_buf b;

	mh_buf_init(&b, &arena, 64);
	mh_db_put_row(&b, r, 0, names, 3);
	cr_assert_str_eq(mh_buf_cstr(&b),
	                 "{\"id\":\"42\",\"title\":\"say \\\"hi\\\"\\n\",\"deleted_at\":null}");
	PQclear(r);
}

Test(db, put_fields_leaves_the_braces_to_the_caller)
{
	static const char *const names[] = {"a"};
	PGresult *r = t_fake_result(1, names, 1, (const char *const[]){"x"});
	struct mh_buf b;

	mh_buf_init(&b, &arena, 64);
	mh_db_put_fields(&b, r, 0, names, 1);
	cr_assert_str_eq(mh_buf_cstr(&b), "\"a\":\"x\"");
	PQclear(r);
}

/* ---- A failed transaction's answer ---------------------------------------------------- */

static void reply(int rc, const char *sqlstate)
{
	struct mh_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.req = &req;
	snprintf(tx.sqlstate, sizeof(tx.sqlstate), "%s", sqlstate);
	tx.error = "relation \"secret_table\" does not exist";
	cr_assert_eq(mh_db_reply_error(&req, &res, &tx, rc), 0);
}

Test(db, an_unreachable_database_is_503_with_retry_after)
{
	reply(MH_DB_UNAVAILABLE, "");
	cr_assert_eq(res.status, 503);
	cr_assert_not_null(header("Retry-After"));
}

Test(db, a_role_refused_by_app_enter_is_403)
{
	reply(MH_DB_ERROR, "MH403");
	cr_assert_eq(res.status, 403);
	cr_assert(strstr(res.body.data, "\"forbidden\"") != NULL, "%s", res.body.data);
}

Test(db, no_principal_in_the_database_is_401)
{
	reply(MH_DB_ERROR, "MH401");
	cr_assert_eq(res.status, 401);
}

Test(db, a_unique_violation_is_409)
{
	reply(MH_DB_ERROR, "23505");
	cr_assert_eq(res.status, 409);
	cr_assert(strstr(res.body.data, "\"conflict\"") != NULL);
}

Test(db, a_statement_timeout_is_503)
{
	reply(MH_DB_ERROR, "57014");
	cr_assert_eq(res.status, 503);
}

Test(db, any_other_error_is_500_without_sql_text)
{
	reply(MH_DB_ERROR, "42P01");
	cr_assert_eq(res.status, 500);
	cr_assert(strstr(res.body.data, "\"internal_error\"") != NULL);
	cr_assert_null(strstr(res.body.data, "secret_table"), "%s", res.body.data);
}

/* ---- The transaction's bookkeeping ---------------------------------------------------- */

Test(db, a_transaction_holds_at_most_max_queries)
{
	struct mh_tx tx;

	memset(&tx, 0, sizeof(tx));
	tx.req = &req;
	for (int i = 0; i < MH_TX_MAX_QUERIES; i++)
		cr_assert_eq(mh_tx_query(&tx, "s", NULL, 0), i);
	cr_assert_eq(mh_tx_query(&tx, "s", NULL, 0), MH_DB_ERROR);
}

Test(db, a_result_not_fetched_yet_is_null)
{
	struct mh_tx tx;
	int q;

	memset(&tx, 0, sizeof(tx));
	tx.req = &req;
	q = mh_tx_query(&tx, "s", NULL, 0);
	cr_assert_null(mh_tx_result(&tx, q));
	cr_assert_null(mh_tx_result(&tx, -1));
	cr_assert_null(mh_tx_result(&tx, MH_TX_MAX_QUERIES));
}

Test(db, statement_sets_are_limited)
{
	static const struct mh_db_statement none[] = {{NULL, NULL, 0}};
	int registered = 0;

	while (mh_db_register(none) == 0 && registered < 1000)
		registered++;
	cr_assert(registered > 0 && registered < 1000, "%d sets", registered);
}

/* ---- No database ---------------------------------------------------------------------- */

Test(db, begin_without_a_reachable_database_is_unavailable_not_a_crash)
{
	struct mh_config cfg;
	struct mh_tx tx;

	mh_config_defaults(&cfg);
	/* Port 1 on loopback: refused at once. */
	snprintf(cfg.database_url, sizeof(cfg.database_url),
	         "host=127.0.0.1 port=1 dbname=menhir user=nobody");
	mh_db_configure(&cfg);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_UNAVAILABLE);
	cr_assert_eq(mh_db_socket(), -1);
	cr_assert_eq(mh_db_drain_notifications(), MH_DB_UNAVAILABLE);
	/* Asked again at once, it answers from its back-off: still unavailable. */
	cr_assert_eq(mh_db_connect(), MH_DB_UNAVAILABLE);
}
