/* conforms.h - a response checked against doc/openapi.json, as a Criterion expectation. */
#ifndef T_CONFORMS_H
#define T_CONFORMS_H

#include "helpers.h"

/* Expects r (status, Content-Type, headers, body) to be what doc/openapi.json documents for
 * the operation (method, pattern) and r's status; a mismatch fails the test, which goes on. */
void t_expect_conforms(const char *method, const char *pattern, const struct http_response *r);

#endif
