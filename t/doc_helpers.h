/* doc_helpers.h - what the documents and isolation suites share: requests with arbitrary
 * headers, a tenant with a user of each role, documents made through the API, reading a
 * request's database round trips from the access log, and PostgreSQL as a tenant. */
#ifndef MH_T_DOC_HELPERS_H
#define MH_T_DOC_HELPERS_H

#include <stddef.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "auth_helpers.h"
#include "helpers.h"

enum t_role { T_OWNER, T_ADMIN, T_MEMBER, T_VIEWER, T_NROLES };
extern const char *const t_role_names[T_NROLES];

/* One tenant with a signed-in user of each role. */
struct t_team {
	struct t_session as[T_NROLES];
};
void t_team_setup(struct t_team *t, const char *tag);

/* One request of s's tenant, so what the stack reads once per tenant (the billing module's
 * rate limits) is read; done by t_team_setup. The suites that count a request's round trips
 * call it first for a tenant of their own. */
void t_doc_warm(const struct t_session *s);

/*
 * Sends a request through nginx with a bearer token (may be NULL), extra header lines
 * ("Name: value", NULL-terminated list, may be NULL) and a JSON body (may be NULL). Fails
 * the test on a transport error.
 */
void t_doc_request(const char *method, const char *path, const char *bearer,
                   const char *const *headers, const char *json, struct http_response *out);

/* POSTs a document with this JSON body as s; asserts 201 and copies its id into id[40]. */
void t_doc_create(const struct t_session *s, const char *json, char id[40]);

/* A string member of the body's "data" object, copied into out (asserts it exists). */
void t_doc_data_str(const struct http_response *r, const char *key, char *out, size_t outlen);

/* The db_round_trips the access log recorded for this response's request (-1: not found). */
int t_doc_round_trips(const struct http_response *r);

/* A menhir_app connection inside a transaction in s's tenant context (app_enter). */
PGconn *t_doc_pg_as(const struct t_session *s);

#endif
