/* db.c - one PostgreSQL connection per worker; one pipelined transaction per request. */
#include "core/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/replica.h"
#include "core/scoreboard.h"
#include "core/trace.h"

#define MAX_STATEMENT_SETS 32
/* After a failed connect, requests get 503 at once for this long instead of
 * each paying for another attempt while PostgreSQL is down. */
#define RECONNECT_BACKOFF_US 250000

static const struct mh_db_statement core_statements[] = {
        /* The context of a request with a tenant and a user: app.tenant_id, app.user_id,
         * and app.role = the user's CURRENT role in the tenant, read from memberships on
         * every request (instant demotion and removal), or SQLSTATE MH403 (app_refuse,
         * schema 0011) when the user is not an enabled member ranking at least the route's
         * minimum role; the error aborts the pipeline before the handler's statements run.
         * app_enter (schema 0002/0007) checks the same, but its PL/pgSQL call with a SET
         * clause costs the backend about 10 µs more CPU per request alone, and ran four times
         * as long under the benchmark's load (bench/README.md).
         * The lookup runs under RLS after the two set_config calls before it in the target
         * list (PostgreSQL evaluates the sub-select lazily, when the third column is
         * computed); were it ever evaluated first, the policies would show it no row and
         * every request would be refused, never let through.
         * Every context statement also sets app.traceparent, the request's or job's trace
         * (core/trace.h): a job inserted in the transaction keeps it (schema 0013). */
        {"mh_set_context", MH_DB_ENTER_SQL ", set_config('app.traceparent', $4, true)", 4},
        /* Every other context, app_enter: no tenant (the user must still exist, else MH401)
         * or no user (public routes: nothing to check). */
        {"mh_set_context_other",
         "SELECT app_enter($1, $2, $3), set_config('app.traceparent', $4, true)", 4},
        /* The same for an API key (schema 0010): tenant, key id, the key's SHA-256, minimum
         * role; the creator and the role come from the key's row. */
        {"mh_set_key_context",
         "SELECT app_enter_key($1, $2, $3::bytea, $4), set_config('app.traceparent', $5, true)", 5},
        {"mh_key_refused", "SELECT app_key_refused($1::uuid, $2::uuid, $3, $4)", 4},
        {"mh_keys_touch", "SELECT app_keys_touch($1::uuid[], $2::bigint[])", 2},
        /* Queued right after the context while the shared revocation table cannot vouch for
         * the caller's token (Redis unreachable, core/auth.c): raises MH401 when PostgreSQL's
         * records say it is revoked (schema 0014), in the round trip the request makes
         * anyway. */
        {"mh_token_check", "SELECT app_token_check($1, $2, $3::bigint)", 3},
        {"mh_ping", "SELECT 1", 0},
        /* Read replicas (core/replica.c). After a write's COMMIT, in the same pipeline: a
         * WAL position at or past the commit record, which a replica must have replayed
         * before it may answer this client's reads. The insert position, not
         * pg_current_wal_lsn() (what was written out): with synchronous_commit off the
         * commit record may still sit in the WAL buffers. */
        {"mh_commit_lsn", "SELECT pg_current_wal_insert_lsn()::text", 0},
        /* On the replica: still a standby?, what it replayed, and how far behind that is
         * (0 when it replayed all it received; otherwise the age of the last transaction
         * it replayed, which overstates the lag of an idle primary: the safe side). */
        {"mh_replica_status",
         "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn(), '0/0')::text,"
         "       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM"
         "                 pg_last_wal_replay_lsn()"
         "            THEN 0"
         "            ELSE coalesce((extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
         "                           * 1000)::bigint, 0) END",
         0},
        {NULL, NULL, 0},
};

static const struct mh_db_statement *statement_sets[MAX_STATEMENT_SETS] = { core_statements };
static int nstatement_sets = 1;

/* One PostgreSQL server a worker talks to: the primary, or the read replica (read-only
 * transactions of GET requests, core/replica.c). Each has its own connection, back-off
 * and transaction state. */
struct mh_db_conn {
	const char *name; /* for the logs */
	char conninfo[1024];
	PGconn *pg;
	int64_t next_attempt_us;
	/* Set between a mid-transaction fetch and its commit/rollback: libpq cannot
	 * tell, since no sync point has reported the status yet. */
	int in_transaction;
	int connected_before;
	unsigned serial;
};

static char application_name[64] = "menhir";
static char statement_timeout_opt[64];
static struct mh_db_conn primary = {.name = "primary"}, replica = {.name = "replica"};

int mh_db_register(const struct mh_db_statement *statements)
{
	if (nstatement_sets == MAX_STATEMENT_SETS)
		return -1;
	statement_sets[nstatement_sets++] = statements;
	return 0;
}

void mh_db_configure(const struct mh_config *cfg)
{
	snprintf(primary.conninfo, sizeof(primary.conninfo), "%s", cfg->database_url);
	snprintf(replica.conninfo, sizeof(replica.conninfo), "%s", cfg->database_replica_url);
	mh_replica_configure(cfg);
	snprintf(statement_timeout_opt, sizeof(statement_timeout_opt), "-c statement_timeout=%d",
		 cfg->db_statement_timeout);
}

void mh_db_set_application_name(const char *name)
{
	snprintf(application_name, sizeof(application_name), "%s", name);
}

static void conn_close(struct mh_db_conn *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	c->pg = NULL;
	c->in_transaction = 0;
}

void mh_db_disconnect(void)
{
	conn_close(&primary);
	conn_close(&replica);
}

static void drop_connection(struct mh_db_conn *c, const char *why)
{
	mh_log(MH_LOG_WARN, "db_disconnected", "%s: %s", c->name, why);
	conn_close(c);
}

/* Prepares every registered statement in one pipelined round trip. */
static int prepare_all(PGconn *conn)
{
	int sent = 0, rc = MH_DB_OK;
	PGresult *r;

	for (int s = 0; s < nstatement_sets; s++)
		for (const struct mh_db_statement *st = statement_sets[s]; st->name; st++) {
			if (!PQsendPrepare(conn, st->name, st->sql, st->nparams, NULL))
				return MH_DB_UNAVAILABLE;
			sent++;
		}
	if (!PQpipelineSync(conn) || PQflush(conn) != 0)
		return MH_DB_UNAVAILABLE;
	for (int i = 0; i < sent; i++) {
		r = PQgetResult(conn);
		if (r == NULL)
			return MH_DB_UNAVAILABLE;
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			/* A statement that does not prepare is a bug in the module. */
			mh_log(MH_LOG_ERROR, "db_prepare_failed", "%s",
			       PQresultErrorMessage(r));
			rc = MH_DB_ERROR;
		}
		PQclear(r);
		while ((r = PQgetResult(conn)) != NULL)
			PQclear(r);
	}
	r = PQgetResult(conn);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		rc = MH_DB_UNAVAILABLE;
	PQclear(r);
	return rc;
}

static int conn_open(struct mh_db_conn *c)
{
	const char *const keys[] = { "dbname", "application_name", "options", "connect_timeout",
				     "keepalives_idle", NULL };
	const char *const values[] = {
	        c->conninfo, application_name, statement_timeout_opt, "2", "30", NULL};
	int rc;

	if (c->pg != NULL)
		return MH_DB_OK;
	if (mh_now_us() < c->next_attempt_us)
		return MH_DB_UNAVAILABLE;
	/* dbname comes first so the conninfo it expands to can be overridden by
	 * the keywords after it. */
	c->pg = PQconnectdbParams(keys, values, 1);
	if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
		mh_log(MH_LOG_WARN, "db_connect_failed", "%s: %s", c->name,
		       c->pg ? PQerrorMessage(c->pg) : "out of memory");
		conn_close(c);
		c->next_attempt_us = mh_now_us() + RECONNECT_BACKOFF_US;
		return MH_DB_UNAVAILABLE;
	}
	if (!PQenterPipelineMode(c->pg)) {
		drop_connection(c, "cannot enter pipeline mode");
		return MH_DB_UNAVAILABLE;
	}
	rc = prepare_all(c->pg);
	if (rc != MH_DB_OK) {
		drop_connection(c, "cannot prepare statements");
		c->next_attempt_us = mh_now_us() + RECONNECT_BACKOFF_US;
		return MH_DB_UNAVAILABLE;
	}
	if (c->connected_before)
		mh_metrics_db_reconnect();
	c->connected_before = 1;
	c->serial++;
	mh_log(MH_LOG_DEBUG, "db_connected", "connected to PostgreSQL (%s)", c->name);
	return MH_DB_OK;
}

int mh_db_connect(void)
{
	return conn_open(&primary);
}

int mh_db_socket(void)
{
	return primary.pg == NULL ? -1 : PQsocket(primary.pg);
}

unsigned mh_db_connection_serial(void)
{
	return primary.serial;
}

int mh_db_drain_notifications(void)
{
	PGconn *conn = primary.pg;
	PGnotify *n;
	int count = 0;

	if (conn == NULL)
		return MH_DB_UNAVAILABLE;
	if (!PQconsumeInput(conn) || PQstatus(conn) == CONNECTION_BAD) {
		drop_connection(&primary, "connection lost while idle");
		return MH_DB_UNAVAILABLE;
	}
	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		count++;
	}
	return count;
}

static void clear_result(void *r)
{
	PQclear(r);
}

/* Reads one statement's result and the NULL that ends it. Returns NULL when
 * the connection broke. */
static PGresult *read_result(PGconn *conn)
{
	PGresult *r = PQgetResult(conn), *extra;

	if (r == NULL)
		return NULL;
	while ((extra = PQgetResult(conn)) != NULL)
		PQclear(extra);
	return r;
}

static int connection_lost(const struct mh_db_conn *c)
{
	return c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD;
}

/* s cut to at most max bytes without splitting a UTF-8 character (the server's messages are
 * UTF-8, and a half character would make the text unstorable), from the request's arena. */
static const char *bounded_copy(struct mh_arena *a, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	return mh_arena_strndup(a, s, len);
}

static void note_error(struct mh_tx *tx, const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE), *detail, *text;

	if (tx->sqlstate[0] != '\0')
		return; /* keep the first error, the cause */
	snprintf(tx->sqlstate, sizeof(tx->sqlstate), "%s", state ? state : "XX000");
	tx->error = mh_arena_strdup(tx->req->arena, PQresultErrorMessage(r));
	detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	tx->detail = detail ? mh_arena_strdup(tx->req->arena, detail) : NULL;
	text = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	tx->message = text ? bounded_copy(tx->req->arena, text, MH_TX_MESSAGE_MAX) : NULL;
}

/* Reads results nfetched..nqueries-1 of the batch just sent into tx->results; each one
 * goes into the cleanup slot reserved for it (slots[i]), so the arena frees it. */
static int read_batch(struct mh_tx *tx, struct mh_arena_defer *const *slots)
{
	int rc = MH_DB_OK;

	for (; tx->nfetched < tx->nqueries; tx->nfetched++) {
		PGresult *r = read_result(tx->conn->pg);
		ExecStatusType st;

		if (r == NULL)
			return MH_DB_UNAVAILABLE;
		st = PQresultStatus(r);
		if (st == PGRES_FATAL_ERROR) {
			note_error(tx, r);
			rc = MH_DB_ERROR;
		}
		mh_arena_defer_set(slots[tx->nfetched], clear_result, r);
		tx->results[tx->nfetched] = r;
	}
	return rc;
}

static int send_query(struct mh_tx *tx, const struct mh_tx_query *q)
{
	PGconn *conn = tx->conn->pg;

	/* Internal statements are named with a leading '!' and sent unprepared:
	 * they are transaction control, which is parsed in no time. */
	if (q->name[0] == '!')
		return PQsendQueryParams(conn, q->name + 1, 0, NULL, NULL, NULL, NULL, 0);
	return PQsendQueryPrepared(conn, q->name, q->nparams, q->params, NULL, NULL, 0);
}

static int queue(struct mh_tx *tx, const char *name, const char *const *params, int nparams)
{
	if (tx->nqueries == MH_TX_MAX_QUERIES) {
		/* Sticky: whatever the caller does with this return value, the transaction
		 * can no longer reach the server (round_trip), so an ignored refusal, say of
		 * a role check, fails closed. */
		tx->refused = 1;
		return MH_DB_ERROR;
	}
	tx->queries[tx->nqueries].name = name;
	tx->queries[tx->nqueries].params = params;
	tx->queries[tx->nqueries].nparams = nparams;
	return tx->nqueries++;
}

int mh_tx_begin(struct mh_tx *tx, struct mh_request *req, unsigned flags)
{
	static const char *const empty[3] = { "", "", "" };
	const char **ctx;
	char *traceparent;
	int entered = 0;

	memset(tx, 0, sizeof(*tx));
	tx->req = req;
	tx->flags = flags;
	tx->conn = &primary;
	/* A read may go to the replica when core/replica.c finds it fresh enough for this
	 * caller; when it cannot be reached the primary answers instead. */
	if ((flags & MH_TX_READ_ONLY) && replica.conninfo[0] != '\0' && mh_replica_choose(req)) {
		if (conn_open(&replica) == MH_DB_OK)
			tx->conn = &replica;
		else
			mh_replica_mark_down();
	}
	if (conn_open(tx->conn) != MH_DB_OK)
		return MH_DB_UNAVAILABLE;
	ctx = mh_arena_alloc(req->arena, sizeof(*ctx) * 5);
	traceparent = mh_arena_alloc(req->arena, MH_TRACEPARENT_SIZE);
	if (ctx == NULL || traceparent == NULL)
		return MH_DB_ERROR;
	ctx[0] = req->principal.tenant_id ? req->principal.tenant_id : empty[0];
	ctx[1] = req->principal.user_id ? req->principal.user_id : empty[1];
	ctx[2] = mh_role_name((enum mh_role)req->min_role);
	queue(tx, (flags & MH_TX_READ_ONLY) ? "!BEGIN READ ONLY" : "!BEGIN", NULL, 0);
	if (req->principal.api_key_id != NULL) {
		ctx[1] = req->principal.api_key_id;
		ctx[3] = ctx[2];
		ctx[2] = req->principal.api_key_hash;
		ctx[4] = mh_trace_traceparent(traceparent);
		entered = queue(tx, "mh_set_key_context", ctx, 5);
	} else {
		ctx[3] = mh_trace_traceparent(traceparent);
		queue(tx,
		      ctx[0][0] != '\0' && ctx[1][0] != '\0' ? "mh_set_context"
		                                             : "mh_set_context_other",
		      ctx, 4);
	}
	if (req->principal.revocation == MH_REVOCATION_IN_DB && req->principal.api_key_id != NULL) {
		/* app_enter_key refuses a revoked key itself (MHKRV). */
		tx->revocation_check = entered;
	} else if (req->principal.revocation == MH_REVOCATION_IN_DB) {
		const char **chk = mh_arena_alloc(req->arena, sizeof(*chk) * 3);

		if (chk == NULL)
			return MH_DB_ERROR;
		chk[0] = ctx[1];
		chk[1] = req->principal.session_id ? req->principal.session_id : "";
		chk[2] = mh_arena_sprintf(req->arena, "%lld", req->principal.token_version);
		if (chk[2] == NULL)
			return MH_DB_ERROR;
		tx->revocation_check = queue(tx, "mh_token_check", chk, 3);
	}
	tx->began = 1;
	return MH_DB_OK;
}

int mh_tx_query(struct mh_tx *tx, const char *statement, const char *const *params, int nparams)
{
	return queue(tx, statement, params, nparams);
}

/* Sends queries nsent..nqueries-1, then a sync point (end) or a flush request
 * (midway), and reads their results. */
static int round_trip(struct mh_tx *tx, int end)
{
	struct mh_arena_defer *slots[MH_TX_MAX_QUERIES];
	PGconn *conn = tx->conn->pg;
	int rc;

	if (tx->refused) {
		tx->error = "a statement could not be queued (too many in one transaction)";
		return MH_DB_ERROR;
	}
	if (connection_lost(tx->conn))
		return MH_DB_UNAVAILABLE;
	/* Every result's cleanup slot is reserved before anything is sent: running out of
	 * memory then fails the transaction while there is nothing to lose, and never
	 * frees a result that tx->results still points to. */
	for (int i = tx->nfetched; i < tx->nqueries; i++) {
		slots[i] = mh_arena_defer_reserve(tx->req->arena);
		if (slots[i] == NULL) {
			tx->error = "out of memory for the results";
			return MH_DB_ERROR;
		}
	}
	for (int i = tx->nfetched; i < tx->nqueries; i++)
		if (!send_query(tx, &tx->queries[i]))
			return MH_DB_UNAVAILABLE;
	if (end ? !PQpipelineSync(conn) : !PQsendFlushRequest(conn))
		return MH_DB_UNAVAILABLE;
	if (PQflush(conn) != 0)
		return MH_DB_UNAVAILABLE;
	tx->req->db_round_trips++;
	tx->conn->in_transaction = !end;
	rc = read_batch(tx, slots);
	/* The token check answered: PostgreSQL vouched for the token. */
	if (tx->revocation_check > 0 && tx->nfetched > tx->revocation_check &&
	    PQresultStatus(tx->results[tx->revocation_check]) == PGRES_TUPLES_OK)
		tx->req->principal.revocation = MH_REVOCATION_CHECKED;
	if (rc == MH_DB_UNAVAILABLE)
		return rc;
	if (end) {
		PGresult *r = PQgetResult(conn);
		int synced = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;

		PQclear(r);
		if (!synced)
			return MH_DB_UNAVAILABLE;
	}
	return rc;
}

/* After a failed statement PostgreSQL keeps the explicit transaction open in
 * the aborted state; end it so the connection is clean for the next request.
 * Before a sync point libpq's idea of the transaction status is stale and the
 * first ROLLBACK may itself be discarded by the aborted pipeline, hence a
 * second try once the status is known. */
static int finish_rollback(struct mh_tx *tx)
{
	PGconn *conn = tx->conn->pg;
	PGresult *r;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (connection_lost(tx->conn))
			return MH_DB_UNAVAILABLE;
		/* Without a fetch pending the last sync point is current: a transaction
		 * that never reached the server has nothing to roll back. */
		if ((attempt > 0 || !tx->conn->in_transaction) &&
		    PQtransactionStatus(conn) == PQTRANS_IDLE)
			break;
		if (!PQsendQueryParams(conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) ||
		    !PQpipelineSync(conn) || PQflush(conn) != 0)
			return MH_DB_UNAVAILABLE;
		tx->req->db_round_trips++;
		r = read_result(conn);
		if (r == NULL)
			return MH_DB_UNAVAILABLE;
		PQclear(r);
		r = PQgetResult(conn);
		if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return MH_DB_UNAVAILABLE;
		}
		PQclear(r);
	}
	tx->conn->in_transaction = 0;
	return PQtransactionStatus(conn) == PQTRANS_IDLE ? MH_DB_OK : MH_DB_UNAVAILABLE;
}

static int fail(struct mh_tx *tx, int rc)
{
	/* app_enter_key found the request's API key revoked: the dispatcher audits it once
	 * the client has its 401. */
	if (strcmp(tx->sqlstate, "MHKRV") == 0)
		tx->req->principal.api_key_revoked = 1;
	mh_metrics_db_error();
	if (rc == MH_DB_UNAVAILABLE || finish_rollback(tx) == MH_DB_UNAVAILABLE ||
	    connection_lost(tx->conn)) {
		drop_connection(tx->conn, tx->error ? tx->error : "connection lost");
		return MH_DB_UNAVAILABLE;
	}
	/* Class 08 (connection exception) and 57P0x (server shutting down) mean
	 * the database went away, not that the request was wrong. */
	if (strncmp(tx->sqlstate, "08", 2) == 0 || strncmp(tx->sqlstate, "57P0", 4) == 0) {
		drop_connection(tx->conn, tx->error);
		return MH_DB_UNAVAILABLE;
	}
	return rc;
}

/*
 * A read-only transaction none of whose results a handler has seen is safe to send again
 * (end = 1: with its COMMIT). On the replica it goes to the primary instead, and the
 * replica is skipped for a while: a replica that is down, or that cancelled the query to
 * go on replaying (40001), must not fail a read the primary can answer. On the primary it
 * is sent once more on a fresh connection (the old one died while idle: PostgreSQL
 * restarted); a write never is, as we cannot know what ran. Returns the new rc, or rc
 * when no replay applies.
 */
static int replay_read(struct mh_tx *tx, int rc, int end, int first_unsent)
{
	if (!(tx->flags & MH_TX_READ_ONLY) || first_unsent != 0)
		return rc;
	if (tx->conn == &replica) {
		if (rc != MH_DB_UNAVAILABLE && strcmp(tx->sqlstate, "40001") != 0)
			return rc;
		mh_log(MH_LOG_WARN, "replica_failed", "%s; the primary answers this read",
		       tx->error ? tx->error : "connection lost");
		if (rc == MH_DB_UNAVAILABLE || finish_rollback(tx) != MH_DB_OK)
			drop_connection(&replica, "given up for this read");
		mh_replica_mark_down();
		tx->conn = &primary;
	} else {
		if (rc != MH_DB_UNAVAILABLE)
			return rc;
		drop_connection(&primary, "connection lost; retrying read-only transaction");
		primary.next_attempt_us = 0;
	}
	if (conn_open(tx->conn) != MH_DB_OK)
		return MH_DB_UNAVAILABLE;
	tx->nfetched = 0;
	tx->sqlstate[0] = '\0';
	tx->error = NULL;
	tx->detail = NULL;
	tx->message = NULL;
	return round_trip(tx, end);
}

int mh_tx_fetch(struct mh_tx *tx)
{
	int first_unsent = tx->nfetched;
	int rc = round_trip(tx, 0);

	if (rc != MH_DB_OK)
		rc = replay_read(tx, rc, 0, first_unsent);
	return rc == MH_DB_OK ? rc : fail(tx, rc);
}

/* After a write: where the WAL is now, at or past its commit record. */
static void note_commit_lsn(struct mh_tx *tx, int idx)
{
	const PGresult *r = mh_tx_result(tx, idx);
	uint64_t lsn;

	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    mh_lsn_parse(PQgetvalue(r, 0, 0), &lsn) == 0 && lsn > tx->req->commit_lsn)
		tx->req->commit_lsn = lsn;
}

int mh_tx_commit(struct mh_tx *tx)
{
	int first_unsent = tx->nfetched, lsn_idx = -1;
	int rc;

	if (queue(tx, "!COMMIT", NULL, 0) < 0)
		return fail(tx, MH_DB_ERROR);
	/* With a replica, the client learns where its write is in the WAL (core/replica.c);
	 * pipelined after the COMMIT, so it costs no round trip. */
	if (!(tx->flags & MH_TX_READ_ONLY) && replica.conninfo[0] != '\0' &&
	    (lsn_idx = queue(tx, "mh_commit_lsn", NULL, 0)) < 0)
		return fail(tx, MH_DB_ERROR);
	rc = round_trip(tx, 1);
	if (rc != MH_DB_OK)
		rc = replay_read(tx, rc, 1, first_unsent);
	if (rc == MH_DB_OK && lsn_idx >= 0)
		note_commit_lsn(tx, lsn_idx);
	return rc == MH_DB_OK ? rc : fail(tx, rc);
}

int mh_tx_rollback(struct mh_tx *tx)
{
	int rc;

	if (queue(tx, "!ROLLBACK", NULL, 0) < 0)
		return fail(tx, MH_DB_ERROR);
	rc = round_trip(tx, 1);
	return rc == MH_DB_OK ? rc : fail(tx, rc);
}

void mh_db_request_done(struct mh_request *req)
{
	struct mh_db_conn *conns[2] = {&primary, &replica};
	struct mh_tx tx;

	/* A handler returned between mh_tx_fetch() and its commit (an early
	 * error reply): nothing it queued may survive into the next request. */
	for (int i = 0; i < 2; i++) {
		if (!conns[i]->in_transaction || conns[i]->pg == NULL)
			continue;
		memset(&tx, 0, sizeof(tx));
		tx.req = req;
		tx.conn = conns[i];
		if (finish_rollback(&tx) != MH_DB_OK)
			drop_connection(conns[i], "cannot roll back an abandoned transaction");
	}
}

const PGresult *mh_tx_result(const struct mh_tx *tx, int idx)
{
	if (idx < 0 || idx >= tx->nfetched)
		return NULL;
	return tx->results[idx];
}

int mh_db_ping(struct mh_request *req)
{
	struct mh_tx tx;
	int rc;

	/* A readiness probe asks about PostgreSQL now: the back-off that spares
	 * ordinary requests a connection attempt each must not answer for it. */
	if (primary.pg == NULL)
		primary.next_attempt_us = 0;
	if (mh_db_connect() != MH_DB_OK)
		return MH_DB_UNAVAILABLE;
	memset(&tx, 0, sizeof(tx));
	tx.req = req;
	tx.conn = &primary;
	queue(&tx, "mh_ping", NULL, 0);
	rc = round_trip(&tx, 1);
	/* A connection that died while idle (PostgreSQL restarted) says nothing
	 * about PostgreSQL now: ask again on a fresh one, as read-only
	 * transactions do, before reporting the database down. */
	if (rc == MH_DB_UNAVAILABLE) {
		drop_connection(&primary, "connection lost; retrying the ping");
		primary.next_attempt_us = 0;
		if (mh_db_connect() == MH_DB_OK) {
			tx.nfetched = 0;
			rc = round_trip(&tx, 1);
		}
	}
	return rc == MH_DB_OK ? rc : fail(&tx, rc);
}

int mh_db_replica_probe(struct mh_request *req, struct mh_replica_status *st)
{
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	if (replica.conninfo[0] == '\0' || conn_open(&replica) != MH_DB_OK)
		return MH_DB_UNAVAILABLE;
	memset(&tx, 0, sizeof(tx));
	tx.req = req;
	tx.conn = &replica;
	queue(&tx, "mh_replica_status", NULL, 0);
	rc = round_trip(&tx, 1);
	if (rc != MH_DB_OK)
		return fail(&tx, rc);
	r = tx.results[0];
	if (PQntuples(r) != 1 || mh_lsn_parse(PQgetvalue(r, 0, 1), &st->replay_lsn) < 0)
		return MH_DB_ERROR;
	st->in_recovery = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	st->lag_ms = atoll(PQgetvalue(r, 0, 2));
	return MH_DB_OK;
}

void mh_db_put_fields(struct mh_buf *b, const PGresult *r, int row, const char *const *names,
		      int ncols)
{
	for (int c = 0; c < ncols; c++) {
		mh_buf_puts(b, c == 0 ? "\"" : ",\"");
		mh_buf_puts(b, names[c]);
		mh_buf_puts(b, "\":");
		if (PQgetisnull(r, row, c))
			mh_buf_puts(b, "null");
		else
			mh_buf_json_cstr(b, PQgetvalue(r, row, c));
	}
}

void mh_db_put_row(struct mh_buf *b, const PGresult *r, int row, const char *const *names,
		   int ncols)
{
	mh_buf_putc(b, '{');
	mh_db_put_fields(b, r, row, names, ncols);
	mh_buf_putc(b, '}');
}

int mh_db_reply_error(struct mh_request *req, struct mh_response *res, const struct mh_tx *tx,
		      int rc)
{
	if (rc == MH_DB_UNAVAILABLE)
		return mh_reply_unavailable(req, res, "the database");
	for (size_t m = 0; mh_modules[m] != NULL; m++)
		if (mh_modules[m]->reply_db_error != NULL &&
		    mh_modules[m]->reply_db_error(req, res, tx) == 1)
			return 0;
	if (strncmp(tx->sqlstate, "MH", 2) != 0)
		mh_log(MH_LOG_ERROR, "db_error", "request %s: SQLSTATE %s: %s", req->request_id,
		       tx->sqlstate, tx->error ? tx->error : "?");
	if (strcmp(tx->sqlstate, "MH403") == 0)
		return mh_reply_error(req, res, 403, "forbidden",
				      "your role in this tenant does not allow this");
	if (req->principal.api_key_id != NULL &&
	    (strcmp(tx->sqlstate, "MH401") == 0 || strcmp(tx->sqlstate, "MHKRV") == 0)) {
		/* app_enter_key refused the key: unknown, revoked, expired, or its creator has
		 * left the tenant. One answer for all, as for an access token. */
		mh_response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		return mh_reply_error(req, res, 401, "invalid_token",
		                      "the API key is invalid, expired or revoked");
	}
	if (strcmp(tx->sqlstate, "MH401") == 0)
		return mh_reply_error(req, res, 401, "unauthenticated", "authentication is required");
	if (strcmp(tx->sqlstate, "23505") == 0)
		return mh_reply_error(req, res, 409, "conflict", "the resource already exists");
	if (strcmp(tx->sqlstate, "57014") == 0)
		return mh_reply_unavailable(req, res, "the database (statement timed out)");
	return mh_reply_error(req, res, 500, "internal_error", "an internal error occurred");
}
