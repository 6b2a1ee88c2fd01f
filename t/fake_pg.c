/* fake_pg.c - libpq results made in memory (fake_pg.h). */
#include "fake_pg.h"

#include <string.h>

#include <criterion/criterion.h>

PGresult *t_fake_result(int ncols, const char *const *names, int nrows, const char *const *values)
{
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[64];

	cr_assert(r != NULL && ncols <= 64);
	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < ncols; c++) {
		attrs[c].name = (char *)names[c];
		attrs[c].typid = 25; /* text */
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	cr_assert(PQsetResultAttrs(r, ncols, attrs));
	for (int row = 0; row < nrows; row++)
		for (int c = 0; c < ncols; c++) {
			const char *v = values[row * ncols + c];

			cr_assert(PQsetvalue(r, row, c, (char *)v, v ? (int)strlen(v) : -1));
		}
	return r;
}
