/* load.c - moving generated documents into a tenant: COPY into a staging table, then one
 * INSERT … SELECT under the tenant's RLS context, sent without waiting.
 *
 * Almost all of a large seed's time is that INSERT, spent by one PostgreSQL backend on one
 * core: the generated tsvector column (about a third), two foreign-key checks and the
 * tags CHECK per row, and nine indexes (two GIN). The COPY before it is cheap. So the
 * INSERT is sent asynchronously: with several loaders (one connection each), the caller
 * stages the next slice on one while PostgreSQL inserts on another, and every core works. */
#include <stdio.h>

#include "modules/seed/internal.h"

int seed_loader_init(struct seed_loader *l, PGconn *c, struct mh_arena *a)
{
	l->c = c;
	l->busy = 0;
	l->buf = mh_arena_alloc(a, SEED_COPY_BUF);
	return l->buf != NULL ? 0 : -1;
}

static int put(struct seed_loader *l, size_t len)
{
	if (PQputCopyData(l->c, l->buf, (int)len) == 1)
		return 0;
	fprintf(stderr, "menhir: seed: %s", PQerrorMessage(l->c));
	return -1;
}

/* COPY count rows of g into the staging table; 0 or -1. */
static int stage(struct seed_loader *l, const char *const owners[3], struct seed_gen *g, long count)
{
	PGresult *r = PQexec(l->c, seed_sql_copy);
	size_t len = 0;
	int failed = 0;

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	for (long i = 0; i < count && !failed; i++) {
		if (len > SEED_COPY_BUF - SEED_ROW_MAX) {
			failed = put(l, len) < 0;
			len = 0;
		}
		len += seed_gen_row(g, owners, l->buf + len);
	}
	if (!failed && len > 0)
		failed = put(l, len) < 0;
	if (PQputCopyEnd(l->c, failed ? "generator failed" : NULL) != 1) {
		fprintf(stderr, "menhir: seed: %s", PQerrorMessage(l->c));
		return -1;
	}
	failed = 0;
	while ((r = PQgetResult(l->c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			if (!failed)
				fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
			failed = 1;
		}
		PQclear(r);
	}
	return failed ? -1 : 0;
}

int seed_loader_start(struct seed_loader *l, struct mh_arena *a, const char *tenant,
                      const char *user, const char *const owners[3], struct seed_gen *g, long count)
{
	if (seed_exec(l->c, a, seed_sql_enter, 2, (const char *const[]){tenant, user}, NULL) < 0 ||
	    seed_exec(l->c, a, seed_sql_unstage, 0, NULL, NULL) < 0 ||
	    stage(l, owners, g, count) < 0)
		return -1;
	if (!PQsendQueryParams(l->c, seed_sql_move, 1, NULL, (const char *const[]){tenant}, NULL,
	                       NULL, 0)) {
		fprintf(stderr, "menhir: seed: %s", PQerrorMessage(l->c));
		return -1;
	}
	l->busy = 1;
	return 0;
}

int seed_loader_wait(struct seed_loader *l)
{
	PGresult *r;
	int failed = 0;

	if (!l->busy)
		return 0;
	l->busy = 0;
	while ((r = PQgetResult(l->c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			if (!failed)
				fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
			failed = 1;
		}
		PQclear(r);
	}
	return failed ? -1 : 0;
}

void seed_loader_cancel(struct seed_loader *l)
{
	PGcancel *cancel;
	PGresult *r;
	char err[256];

	if (!l->busy)
		return;
	cancel = PQgetCancel(l->c);
	if (cancel != NULL) {
		PQcancel(cancel, err, sizeof(err));
		PQfreeCancel(cancel);
	}
	/* Its error ("canceling statement due to user request") is ours, not news. */
	while ((r = PQgetResult(l->c)) != NULL)
		PQclear(r);
	l->busy = 0;
}
