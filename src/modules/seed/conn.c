/* conn.c - the seed command's one way of running a statement and reporting its failure. */
#include <stdio.h>
#include <string.h>

#include "modules/seed/internal.h"

char seed_last_sqlstate[6];

int seed_exec(PGconn *c, struct mh_arena *a, const char *sql, int n, const char *const *p,
              const char **value)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(seed_last_sqlstate, sizeof(seed_last_sqlstate), "%s", state ? state : "");
	/* A demo run that finds its users already there is not an error (seed.c says so). */
	if (!ok && strcmp(seed_last_sqlstate, "MH409") != 0)
		fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
	if (ok && value != NULL)
		*value = PQntuples(r) > 0 ? mh_arena_strdup(a, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return ok ? 0 : -1;
}
