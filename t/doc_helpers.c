/* doc_helpers.c - see doc_helpers.h. */
#include "doc_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

const char *const t_role_names[T_NROLES] = {"owner", "admin", "member", "viewer"};

void t_team_setup(struct t_team *t, const char *tag)
{
	char sub[64];

	snprintf(sub, sizeof(sub), "%s-owner", tag);
	t_auth_signup(&t->as[T_OWNER], sub);
	for (int r = T_ADMIN; r < T_NROLES; r++) {
		snprintf(sub, sizeof(sub), "%s-%s", tag, t_role_names[r]);
		t_auth_member(&t->as[r], &t->as[T_OWNER], t_role_names[r], sub);
	}
	t_doc_warm(&t->as[T_OWNER]);
}

void t_doc_warm(const struct t_session *s)
{
	struct http_response r;

	t_doc_request("GET", "/api/v1/tenants/current", s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
}

void t_doc_request(const char *method, const char *path, const char *bearer,
                   const char *const *headers, const char *json, struct http_response *out)
{
	char auth[4200];
	const char *all[40] = { NULL };
	size_t n = 0;

	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		all[n++] = auth;
	}
	for (size_t i = 0; headers != NULL && headers[i] != NULL && n < 37; i++)
		all[n++] = headers[i];
	if (json != NULL)
		all[n++] = "Content-Type: application/json";
	cr_assert_eq(t_http_request(NULL, method, path, all, json, json ? strlen(json) : 0, out), 0,
		     "%s %s: transport error", method, path);
}

void t_doc_data_str(const struct http_response *r, const char *key, char *out, size_t outlen)
{
	json_object *root = t_auth_json(r);
	const char *v = t_auth_data_str(root, key);

	cr_assert(v != NULL, "no data.%s in %s", key, r->body);
	snprintf(out, outlen, "%s", v);
	json_object_put(root);
}

void t_doc_create(const struct t_session *s, const char *json, char id[40])
{
	struct http_response r;

	t_doc_request("POST", "/api/v1/documents", s->access, NULL, json, &r);
	cr_assert_eq(r.status, 201, "create %s: %ld %s", json, r.status, r.body);
	t_doc_data_str(&r, "id", id, 40);
	t_http_free(&r);
}

int t_doc_round_trips(const struct http_response *r)
{
	char *rid = t_header(r, "X-Request-Id"), path[1024], needle[128];
	int found = -1;

	cr_assert(rid != NULL);
	snprintf(path, sizeof(path), "%s/menhir.log", t_env("MENHIR_TEST_STATE"));
	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", rid);
	/* The worker logs after it has answered: wait for the line (up to 15 s, as soon as it
	 * is there). */
	for (int tries = 0; tries < 750 && found < 0; tries++) {
		FILE *f = fopen(path, "r");
		char line[8192];

		cr_assert(f != NULL, "cannot read %s", path);
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *p;

			if (strstr(line, needle) && strstr(line, "\"event\":\"request\"") &&
			    (p = strstr(line, "\"db_round_trips\":")) != NULL)
				found = atoi(p + strlen("\"db_round_trips\":"));
		}
		fclose(f);
		if (found < 0)
			usleep(20000);
	}
	free(rid);
	return found;
}

PGconn *t_doc_pg_as(const struct t_session *s)
{
	PGconn *c = t_pg("MENHIR_TEST_PG_APP");
	const char *p[3] = {s->tenant_id, s->user_id, "viewer"};
	PGresult *r;

	PQclear(t_pg_ok(c, "BEGIN"));
	r = PQexecParams(c, "SELECT app_enter($1, $2, $3)", 3, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	PQclear(r);
	return c;
}
