/* internal.h - what the seed module's files share; private to src/modules/seed/. */
#ifndef MH_MODULES_SEED_INTERNAL_H
#define MH_MODULES_SEED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/arena.h"

/* ---- repo.c: the SQL ------------------------------------------------------------------ */

extern const char seed_sql_begin[];
extern const char seed_sql_sync_off[];
extern const char seed_sql_bulk[];
extern const char seed_sql_recount[];
extern const char seed_sql_commit[];
extern const char seed_sql_create_user[];
extern const char seed_sql_create_tenant[];
extern const char seed_sql_enter[];
extern const char seed_sql_add_member[];
extern const char seed_sql_plan[];
extern const char seed_sql_stage[];
extern const char seed_sql_copy[];
extern const char seed_sql_move[];
extern const char seed_sql_unstage[];
extern const char seed_sql_drop_tenant[];
extern const char seed_sql_wait_locks[];

/* ---- conn.c: running statements --------------------------------------------------------- */

/* Runs sql with n text parameters on c and waits. 0 when it succeeded; else -1, having
 * printed the server's message (except for MH409, which the caller explains). value, if
 * not NULL, receives the first column of the first row, copied into a (NULL if no row).
 * The SQLSTATE of the last failure is in seed_last_sqlstate. */
int seed_exec(PGconn *c, struct mh_arena *a, const char *sql, int n, const char *const *p,
              const char **value);
extern char seed_last_sqlstate[6];

/* ---- gen.c: the document generator -------------------------------------------------------- */

/* A COPY line is far below this (ids, ≤ 7 title words, ≤ 4 sentences of ≤ 15 words, tags). */
#define SEED_ROW_MAX 4096

/* One tenant's stream of documents. */
struct seed_gen {
	uint64_t state, salt;
	long count, next;
	long long start_us, step_us;
};

/* A stream of count documents spread over the year before now_us, from seed. */
void seed_gen_init(struct seed_gen *g, uint64_t seed, long count, long long now_us);
/* Writes the next document's COPY line (id, owner_id, title, body, tags, status,
 * created_at) into buf, which has room for SEED_ROW_MAX bytes; returns its length.
 * owners: the owner, admin and member user ids that documents are spread over. */
size_t seed_gen_row(struct seed_gen *g, const char *const owners[3], char *buf);

/* ---- load.c: moving generated documents into a tenant ------------------------------------ */

/* One connection that loads documents, inside a transaction that holds the staging table
 * (seed_sql_stage). buf: its COPY buffer (SEED_COPY_BUF bytes, from the arena). busy: a
 * move was sent and its result not yet read. */
#define SEED_COPY_BUF (1 << 20)
struct seed_loader {
	PGconn *c;
	char *buf;
	int busy;
};

/* A loader on c with its buffer from a; 0 or -1 (out of memory). */
int seed_loader_init(struct seed_loader *l, PGconn *c, struct mh_arena *a);
/* Stages the next count documents of g on l (COPY into the staging table) and sends the
 * statement that moves them into tenant's documents under its RLS context (entered as
 * user, with the owner role), without waiting for it: while PostgreSQL inserts, the
 * caller can stage the next slice on another loader. l must not be busy. 0 or -1. */
int seed_loader_start(struct seed_loader *l, struct mh_arena *a, const char *tenant,
                      const char *user, const char *const owners[3], struct seed_gen *g,
                      long count);
/* Waits for l's move, if one is in flight. 0 when it succeeded (or none was), else -1. */
int seed_loader_wait(struct seed_loader *l);
/* Asks PostgreSQL to cancel l's move, if one is in flight, and waits for it to end. */
void seed_loader_cancel(struct seed_loader *l);

#endif
