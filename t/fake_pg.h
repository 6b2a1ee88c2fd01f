/* fake_pg.h - libpq results made in memory, so unit suites can feed the code that reads rows
 * without a database. */
#ifndef MH_T_FAKE_PG_H
#define MH_T_FAKE_PG_H

#include <libpq-fe.h>

/* A PGRES_TUPLES_OK result with ncols text columns named names[] and nrows rows of
 * values[] (row-major; a NULL pointer is SQL NULL). The caller PQclear()s it. */
PGresult *t_fake_result(int ncols, const char *const *names, int nrows, const char *const *values);

#endif
