/* it_db.c - core/db.c against the stack's PostgreSQL, as menhir_app: one pipelined round trip
 * per transaction, the RLS context and the minimum role handed to app_enter, errors that
 * leave the connection clean, read-only transactions, a connection that dies, and what
 * happens when a result cannot be kept or a statement cannot be queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/log.h"
#include "core/module.h"
#include "helpers.h"

#define TENANT "db000000-0000-4000-8000-0000000000d1"
#define OWNER  "db000000-0000-4000-8000-0000000000a1"
#define VIEWER "db000000-0000-4000-8000-0000000000a2"

static const struct mh_db_statement statements[] = {
        {"t_context",
         "SELECT current_setting('app.tenant_id', true), current_setting('app.user_id', true),"
         "       current_setting('app.role', true)",
         0},
        {"t_fail", "SELECT 1 / $1::int", 1},
        {"t_write", "UPDATE jobs SET status = status WHERE false", 0},
        {"t_mark", "SELECT set_config('menhir_test.mark', $1, true)", 1},
        {"t_read_mark", "SELECT current_setting('menhir_test.mark', true)", 0},
        {"t_backend", "SELECT pg_backend_pid()::text", 0},
        {"it_db_one", "SELECT 1", 0},
        {NULL, NULL, 0},
};

static struct mh_arena arena;
static struct mh_request req;

/* A tenant with an owner and a viewer, written by the superuser (RLS does not apply). */
static void fixtures(void)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	PQclear(t_pg_ok(su, "DELETE FROM tenants WHERE id = '" TENANT "'"));
	PQclear(t_pg_ok(su, "DELETE FROM users WHERE id IN ('" OWNER "', '" VIEWER "')"));
	PQclear(t_pg_ok(su, "INSERT INTO tenants (id, name, slug) VALUES"
	                    " ('" TENANT "', 'Db', 'it-db-tenant')"));
	PQclear(t_pg_ok(su, "INSERT INTO users (id, email, password_hash) VALUES"
	                    " ('" OWNER "', 'it-db-owner@example.test', 'x'),"
	                    " ('" VIEWER "', 'it-db-viewer@example.test', 'x')"));
	PQclear(t_pg_ok(su, "INSERT INTO memberships (tenant_id, user_id, role) VALUES"
	                    " ('" TENANT "', '" OWNER "', 'owner'),"
	                    " ('" TENANT "', '" VIEWER "', 'viewer')"));
	PQfinish(su);
}

static void setup(void)
{
	struct mh_config cfg;

	fixtures();
	mh_config_defaults(&cfg);
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", t_env("MENHIR_TEST_PG_APP"));
	mh_db_configure(&cfg);
	cr_assert_eq(mh_db_register(statements), 0);
	cr_assert_eq(mh_arena_init(&arena, 16384), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &arena;
	req.request_id = "it-db";
	mh_log_set_level(MH_LOG_ERROR);
}

static void teardown(void)
{
	mh_db_disconnect();
	mh_arena_destroy(&arena);
}

TestSuite(db, .init = setup, .fini = teardown, .timeout = 30);

static void as(const char *tenant, const char *user, enum mh_role min_role)
{
	req.principal.tenant_id = tenant;
	req.principal.user_id = user;
	req.min_role = min_role;
}

Test(db, a_transaction_is_one_round_trip)
{
	struct mh_tx tx;
	const char *p[1] = {"1"};
	int a, b;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	a = mh_tx_query(&tx, "t_context", NULL, 0);
	b = mh_tx_query(&tx, "t_fail", p, 1);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	cr_assert_eq(req.db_round_trips, 1);
	cr_assert_eq(PQntuples(mh_tx_result(&tx, a)), 1);
	cr_assert_str_eq(PQgetvalue(mh_tx_result(&tx, b), 0, 0), "1");
}

Test(db, the_principal_reaches_postgresql_and_leaves_with_the_transaction)
{
	struct mh_tx tx;
	const PGresult *r;
	int q;

	as(TENANT, OWNER, MH_ROLE_VIEWER);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	r = mh_tx_result(&tx, q);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), TENANT);
	cr_assert_str_eq(PQgetvalue(r, 0, 1), OWNER);
	cr_assert_str_eq(PQgetvalue(r, 0, 2), "owner", "the CURRENT role, read by app_enter");

	/* The next transaction on the same connection, for nobody, sees nothing of it. */
	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	r = mh_tx_result(&tx, q);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "");
}

/* The request's min_role goes to app_enter: routes and job kinds both rely on it. */
Test(db, a_member_below_the_minimum_role_is_refused_by_the_database)
{
	struct mh_tx tx;

	as(TENANT, VIEWER, MH_ROLE_ADMIN);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_ERROR);
	cr_assert_str_eq(tx.sqlstate, "MH403");

	as(TENANT, VIEWER, MH_ROLE_VIEWER);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
}

Test(db, a_failed_statement_keeps_its_sqlstate_and_leaves_the_connection_clean)
{
	struct mh_tx tx;
	const char *zero[1] = {"0"};
	int q;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	mh_tx_query(&tx, "t_fail", zero, 1);
	mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_ERROR);
	cr_assert_str_eq(tx.sqlstate, "22012", "the first error, the cause");
	cr_assert_not_null(tx.error);

	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	cr_assert_eq(PQntuples(mh_tx_result(&tx, q)), 1);
}

Test(db, a_read_only_transaction_refuses_writes)
{
	struct mh_tx tx;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	mh_tx_query(&tx, "t_write", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_ERROR);
	cr_assert_str_eq(tx.sqlstate, "25006");

	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	mh_tx_query(&tx, "t_write", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
}

Test(db, a_result_wanted_midway_costs_one_more_round_trip)
{
	struct mh_tx tx;
	const char *p[1] = {"7"};
	int q;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	q = mh_tx_query(&tx, "t_fail", p, 1);
	cr_assert_null(mh_tx_result(&tx, q));
	cr_assert_eq(mh_tx_fetch(&tx), MH_DB_OK);
	cr_assert_str_eq(PQgetvalue(mh_tx_result(&tx, q), 0, 0), "0");
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	cr_assert_eq(req.db_round_trips, 2);
}

/* A handler that fetched and then returned without committing: nothing it did survives into
 * the next request on the same connection. */
Test(db, a_transaction_left_open_is_rolled_back_after_the_request)
{
	struct mh_tx tx;
	const char *mark[1] = {"left-open"};
	int q;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	mh_tx_query(&tx, "t_mark", mark, 1);
	cr_assert_eq(mh_tx_fetch(&tx), MH_DB_OK);
	mh_db_request_done(&req);

	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_read_mark", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	cr_assert_str_eq(PQgetvalue(mh_tx_result(&tx, q), 0, 0), "");
}

/* The connection's backend, ended by the superuser (as a PostgreSQL restart would). */
static void kill_connection(void)
{
	struct mh_tx tx;
	PGconn *su;
	char sql[128];
	int q;

	as("", "", MH_ROLE_NONE);
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_backend", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s)",
	         PQgetvalue(mh_tx_result(&tx, q), 0, 0));
	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
}

Test(db, a_read_only_transaction_is_replayed_once_on_a_fresh_connection)
{
	struct mh_tx tx;
	unsigned serial;
	int q;

	kill_connection();
	serial = mh_db_connection_serial();
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "t_context", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
	cr_assert_eq(PQntuples(mh_tx_result(&tx, q)), 1);
	cr_assert_eq(mh_db_connection_serial(), serial + 1, "it reconnected");
}

Test(db, a_write_on_a_dead_connection_is_unavailable_and_the_next_one_reconnects)
{
	struct mh_tx tx;

	kill_connection();
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	mh_tx_query(&tx, "t_write", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_UNAVAILABLE, "a write is never replayed");
	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_WRITE), MH_DB_OK);
	mh_tx_query(&tx, "t_write", NULL, 0);
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_OK);
}

Test(db, ping_answers_while_postgresql_does)
{
	cr_assert_eq(mh_db_ping(&req), MH_DB_OK);
	kill_connection();
	cr_assert_eq(mh_db_ping(&req), MH_DB_OK, "a connection that died idle says nothing");
}

/* One read-only transaction of one statement; 0 when it answered 1. */
static int select_one(void)
{
	struct mh_tx tx;
	const PGresult *r;
	int q;

	if (mh_tx_begin(&tx, &req, MH_TX_READ_ONLY) != MH_DB_OK)
		return -1;
	q = mh_tx_query(&tx, "it_db_one", NULL, 0);
	if (mh_tx_commit(&tx) != MH_DB_OK || (r = mh_tx_result(&tx, q)) == NULL)
		return -1;
	return PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "1") == 0 ? 0 : -1;
}

Test(db, a_result_without_room_for_its_cleanup_fails_the_transaction_and_is_never_handed_out)
{
	struct mh_tx tx;
	int q;

	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	q = mh_tx_query(&tx, "it_db_one", NULL, 0);
	cr_assert_geq(q, 0);
	/* Nothing more may be allocated: not even one cleanup slot. */
	arena.limit = arena.bytes_in_use;
	cr_assert_eq(mh_tx_commit(&tx), MH_DB_ERROR);
	cr_assert_null(mh_tx_result(&tx, q));
	/* The connection is left clean for the next request. */
	arena.limit = 0;
	mh_arena_reset(&arena);
	cr_assert_eq(select_one(), 0);
}

Test(db, a_statement_that_could_not_be_queued_fails_the_next_round_trip)
{
	struct mh_tx tx;
	int q = 0, n = 0;

	cr_assert_eq(mh_tx_begin(&tx, &req, MH_TX_READ_ONLY), MH_DB_OK);
	while (q >= 0 && n++ < 2 * MH_TX_MAX_QUERIES)
		q = mh_tx_query(&tx, "it_db_one", NULL, 0);
	cr_assert_lt(q, 0, "the transaction never filled up");
	/* A caller that ignores the refusal (as one did with an admin check) still gets
	 * no answer from the statements that did fit. */
	cr_assert_eq(mh_tx_fetch(&tx), MH_DB_ERROR);
	cr_assert_null(mh_tx_result(&tx, 2));
	mh_arena_reset(&arena);
	cr_assert_eq(select_one(), 0);
}
