/* job_helpers.c - see job_helpers.h. */
#include "job_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

static const char *const feature_names[] = {"stats", "keywords", "summary", "redact"};

void t_job_feature(const struct t_session *s, const char *name, int enabled)
{
	struct http_response r;
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/tenants/current/features/%s", name);
	t_doc_request("PUT", path, s->access, NULL,
	              enabled ? "{\"enabled\":true}" : "{\"enabled\":false}", &r);
	cr_assert_eq(r.status, 200, "PUT %s: %ld %s", path, r.status, r.body);
	t_http_free(&r);
}

void t_job_features_all(const struct t_session *s, int enabled)
{
	/* Features follow the plan (schema 0016): business has every one of them. */
	if (enabled)
		t_auth_set_plan(s->tenant_id, "business");
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		t_job_feature(s, feature_names[i], enabled);
}

long t_job_process(const struct t_session *s, const char *doc, const char *body,
                   const char *const *headers, struct http_response *out)
{
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/documents/%s/process", doc);
	t_doc_request("POST", path, s->access, headers, body, out);
	return out->status;
}

void t_job_process_ok(const struct t_session *s, const char *doc, const char *body, char id[40])
{
	struct http_response r;

	cr_assert_eq(t_job_process(s, doc, body, NULL, &r), 202, "process %s: %ld %s", body,
	             r.status, r.body);
	t_doc_data_str(&r, "job_id", id, 40);
	t_http_free(&r);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_object *t_job_wait(const struct t_session *s, const char *id, int timeout_ms)
{
	static const char *const final[] = {"succeeded", "failed", "dead", "cancelled"};
	long long deadline = now_ms() + timeout_ms;
	char path[200];

	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	for (;;) {
		struct http_response r;
		json_object *root, *data;
		const char *status;

		t_doc_request("GET", path, s->access, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
		root = json_tokener_parse(r.body);
		cr_assert(root != NULL && json_object_object_get_ex(root, "data", &data));
		status = t_job_str(data, "status");
		for (size_t i = 0; i < sizeof(final) / sizeof(final[0]); i++)
			if (strcmp(status, final[i]) == 0) {
				json_object_get(data);
				json_object_put(root);
				t_http_free(&r);
				return data;
			}
		cr_assert(now_ms() < deadline, "job %s still %s after %d ms: %s", id, status,
		          timeout_ms, r.body);
		json_object_put(root);
		t_http_free(&r);
		usleep(50000);
	}
}

const char *t_job_str(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
	          json_object_to_json_string(o));
	return v == NULL ? "" : json_object_get_string(v);
}

json_object *t_job_obj(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_object),
	          "no object %s in %s", key, json_object_to_json_string(o));
	return v;
}

void t_job_insert(const char *kind, const char *tenant_id, const char *user_id,
                  const char *document_id, const char *payload, const char *unique_key,
                  int delay_seconds, char id[40])
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	char delay[16];
	const char *p[7] = {kind, tenant_id, user_id, document_id, payload, unique_key, delay};
	PGresult *r;

	snprintf(delay, sizeof(delay), "%d", delay_seconds);
	r = PQexecParams(su,
	                 "INSERT INTO jobs (kind, tenant_id, created_by, payload, unique_key, run_at)"
	                 " VALUES ($1, $2, $3,"
	                 "         $5::jsonb || jsonb_strip_nulls(jsonb_build_object('document_id', $4::text)),"
	                 "         $6, now() + make_interval(secs => $7::int)) RETURNING id",
	                 7, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
	snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);
}

long t_job_audit_count(const struct t_session *s, const char *action, const char *target_prefix)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	const char *p[3] = {s->tenant_id, action, target_prefix};
	PGresult *r = PQexecParams(su,
	                           "SELECT count(*) FROM audit_log WHERE tenant_id = $1"
	                           " AND action = $2 AND starts_with(coalesce(target, ''), $3)",
	                           3, NULL, p, NULL, NULL, 0);
	long n;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);
	return n;
}
