/* db.h - one PostgreSQL connection per worker; one pipelined transaction per request. */
#ifndef MH_DB_H
#define MH_DB_H

#include <stdint.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/http.h"

enum mh_db_rc {
	MH_DB_OK = 0,
	MH_DB_ERROR = -1,       /* a statement failed: see tx->sqlstate */
	MH_DB_UNAVAILABLE = -2, /* no connection: answer 503 */
};

enum mh_tx_flags {
	MH_TX_READ_WRITE = 0,
	MH_TX_READ_ONLY = 1 << 0,
};

#define MH_TX_MAX_QUERIES 32
#define MH_TX_MESSAGE_MAX 300

/* The RLS context of a transaction with a tenant ($1) and a user ($2), checked against the
 * route's minimum role ($3): the one copy of the statement (db.c says why it looks like
 * this), which bench/floor and the peers run word for word (a test suite checks). */
#define MH_DB_ENTER_SQL                                                                    \
	"SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),"  \
	" set_config('app.role', coalesce((SELECT m.role FROM memberships m"                  \
	" JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1::uuid"                      \
	" AND m.user_id = $2::uuid AND u.disabled_at IS NULL"                                 \
	" AND app_role_rank(m.role) >= app_role_rank(coalesce(nullif($3, ''), 'viewer'))),"   \
	" app_refuse('MH403', 'not an enabled member with the role this route needs')), true)"

/* A prepared statement a module declares once; parameters are always bound
 * ($1, $2 ...), never spliced into the SQL text. */
struct mh_db_statement {
	const char *name;
	const char *sql;
	int nparams;
};

struct mh_tx_query {
	const char *name;
	const char *const *params;
	int nparams;
};

/*
 * A request's transaction. BEGIN, the RLS context (set_config(..., true) of
 * app.tenant_id, app.user_id, app.role), the module's statements and COMMIT
 * are queued in libpq pipeline mode and sent together, so the whole
 * transaction costs one round trip unless the handler asks for results
 * midway with mh_tx_fetch().
 */
struct mh_db_conn; /* the primary's or the replica's connection (db.c) */

struct mh_tx {
	struct mh_request *req;
	struct mh_db_conn *conn;
	unsigned flags;
	int nqueries;
	int nfetched;
	int began;
	int refused; /* a statement did not fit: no round trip may happen any more */
	int revocation_check; /* index of mh_token_check (Redis down), 0 when none */
	struct mh_tx_query queries[MH_TX_MAX_QUERIES];
	PGresult *results[MH_TX_MAX_QUERIES];
	char sqlstate[6];
	const char *error; /* server message, for the log only: never sent to clients */
	/* The first error's DETAIL (NULL when none): what a module's own SQLSTATE carries for
	 * its reply_db_error hook (core/module.h); never sent to clients as is. */
	const char *detail;
	/* The first error's primary message, at most MH_TX_MESSAGE_MAX bytes (cut on a UTF-8
	 * character boundary), NULL when none: what `menhir work` records in a refused job's
	 * error. Unlike `error` it has no DETAIL or CONTEXT, which can quote row values. */
	const char *message;
};

/* Registers a module's statements (array ends with a NULL name); the array
 * must be static. Call from a module's init, before the workers fork. */
int mh_db_register(const struct mh_db_statement *statements);

/* Remembers the connection settings; called in the master. */
void mh_db_configure(const struct mh_config *cfg);

/* The application_name connections report (pg_stat_activity): "menhir" by default,
 * "menhir-work" for the job runners. Call before connecting. */
void mh_db_set_application_name(const char *name);

/* Connects and prepares every registered statement. Returns MH_DB_OK or
 * MH_DB_UNAVAILABLE; a worker keeps serving (503) and retries later. */
int mh_db_connect(void);
void mh_db_disconnect(void);

/* For `menhir work`, which waits on the connection for LISTEN/NOTIFY: the connection's
 * socket (-1 when there is none), and a count of successful connects, so a caller that set
 * session state (LISTEN) knows when a reconnect lost it. */
int mh_db_socket(void);
unsigned mh_db_connection_serial(void);

/* Reads what the server sent while idle and discards its notifications. Returns how many
 * there were, or MH_DB_UNAVAILABLE when the connection is gone (it is dropped). */
int mh_db_drain_notifications(void);

/* One round trip to check PostgreSQL answers (for /readyz). */
int mh_db_ping(struct mh_request *req);

/* Starts a transaction for req with req->principal as RLS context. Queues
 * only; nothing is sent yet. Returns MH_DB_OK or MH_DB_UNAVAILABLE. */
int mh_tx_begin(struct mh_tx *tx, struct mh_request *req, unsigned flags);

/* Queues a prepared statement; params must stay valid until the results are
 * read (arena or caller's frame). Returns the query's index for
 * mh_tx_result(), or MH_DB_ERROR when the transaction is full; the
 * transaction is then refused as a whole (its next fetch or commit fails with
 * MH_DB_ERROR), so a statement that was not queued can never be skipped. */
int mh_tx_query(struct mh_tx *tx, const char *statement, const char *const *params, int nparams);

/* Sends what is queued and reads its results (one round trip) without ending
 * the transaction, for a handler that needs a result to decide what to queue
 * next. Returns an mh_db_rc. */
int mh_tx_fetch(struct mh_tx *tx);

/* Queues COMMIT, sends and reads everything. On failure the transaction is
 * rolled back. Returns an mh_db_rc. */
int mh_tx_commit(struct mh_tx *tx);

/* Ends the transaction without keeping its changes. */
int mh_tx_rollback(struct mh_tx *tx);

/* Called by the worker after every request: rolls back a transaction that a
 * handler left open after mh_tx_fetch(). */
void mh_db_request_done(struct mh_request *req);

/* Result of query idx after fetch/commit (freed with the request arena). */
const PGresult *mh_tx_result(const struct mh_tx *tx, int idx);

/* Appends row `row` of r as the JSON members "names[i]": column i (text as a JSON
 * string, SQL NULL as null), without braces, so callers can add members of
 * their own; mh_db_put_row wraps them in an object. */
void mh_db_put_fields(struct mh_buf *b, const PGresult *r, int row, const char *const *names,
		      int ncols);
void mh_db_put_row(struct mh_buf *b, const PGresult *r, int row, const char *const *names,
		   int ncols);

/* What a read replica says about itself (core/replica.c decides with it). */
struct mh_replica_status {
	int in_recovery;     /* 0 once promoted: no longer a copy of our primary */
	uint64_t replay_lsn; /* WAL replayed so far */
	long long lag_ms;    /* 0 when it replayed all it received */
};

/* One round trip to the replica (database_replica_url) for its status. Returns MH_DB_OK,
 * or MH_DB_UNAVAILABLE / MH_DB_ERROR when it cannot say (it is then to be skipped). */
int mh_db_replica_probe(struct mh_request *req, struct mh_replica_status *st);

/* Maps a failed transaction to the client's answer: 503 + Retry-After when the
 * database is unreachable; a SQLSTATE a module claims (its reply_db_error hook) as that
 * module answers; 409 for a uniqueness conflict, otherwise 500; logs the server's
 * message. Returns 0. */
int mh_db_reply_error(struct mh_request *req, struct mh_response *res, const struct mh_tx *tx,
		      int rc);

#endif
