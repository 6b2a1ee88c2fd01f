/* conforms.c - a response checked against doc/openapi.json (conforms.h). */
#include "conforms.h"

#include <stdlib.h>

#include <criterion/criterion.h>

#include "jsonschema.h"

void t_expect_conforms(const char *method, const char *pattern, const struct http_response *r)
{
	char err[2048], *ct = t_header(r, "Content-Type");

	cr_expect_eq(t_contract_validate_ex(method, pattern, r->status, ct ? ct : "", r->headers,
	                                    r->body, err, sizeof(err)),
	             0, "%s %s %ld: %s", method, pattern, r->status, err);
	free(ct);
}
