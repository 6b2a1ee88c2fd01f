/* it_db.c - the pipelined transaction (src/core/db.c) against the stack's PostgreSQL:
 * what happens when a result cannot be kept or a statement cannot be queued. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "helpers.h"

static const struct mh_db_statement statements[] = {
        {"it_db_one", "SELECT 1", 0},
        {NULL, NULL, 0},
};

static struct mh_arena arena;
static struct mh_request req;

static void setup(void)
{
	static struct mh_config cfg;

	mh_config_defaults(&cfg);
	snprintf(cfg.database_url, sizeof(cfg.database_url), "%s", t_env("MENHIR_TEST_PG_APP"));
	mh_db_configure(&cfg);
	cr_assert_eq(mh_db_register(statements), 0);
	cr_assert_eq(mh_arena_init(&arena, 4096), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &arena;
	req.request_id = "it_db";
	cr_assert_eq(mh_db_connect(), MH_DB_OK);
}

static void teardown(void)
{
	mh_arena_destroy(&arena);
	mh_db_disconnect();
}

TestSuite(db, .init = setup, .fini = teardown);

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
