/* it_processing.c - document processing through nginx against the real stack: the
 * features routes (list, switch, roles, audit), POST /documents/:id/process (validation, roles,
 * tenant isolation, the tenant's switch, duplicates, Idempotency-Key, round trips), and the
 * document.process jobs that `menhir work` runs (each feature's result, redact's new version
 * and audit row, a feature switched off or a document deleted before the job runs, a creator
 * who may no longer change the document, a cancelled statement retried). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "job_helpers.h"
#include "conforms.h"
#include "jsonschema.h"

TestSuite(processing, .timeout = 120);

#define WAIT_MS 30000

/* One tenant with every role and every feature on, shared by the tests that only read it. */
static struct t_team a;
static int ready;

static void team(void)
{
	if (ready)
		return;
	t_team_setup(&a, "proc");
	t_job_features_all(&a.as[T_ADMIN], 1);
	ready = 1;
}

#define PROCESS  "/api/v1/documents/:id/process"
#define FEATURES "/api/v1/tenants/current/features"
#define FEATURE  "/api/v1/tenants/current/features/:feature"

/* A document of s with this body (a JSON string literal's contents). */
static void doc_of(const struct t_session *s, const char *body_json, char id[40])
{
	char *json = malloc(strlen(body_json) + 64);

	sprintf(json, "{\"title\":\"Processing\",\"body\":\"%s\"}", body_json);
	t_doc_create(s, json, id);
	free(json);
}

static void expect_process(const struct t_session *s, const char *doc, const char *body,
                           long status, const char *code)
{
	struct http_response r;

	t_job_process(s, doc, body, NULL, &r);
	cr_assert_eq(r.status, status, "%s: %ld %s", body, r.status, r.body);
	if (code != NULL)
		t_assert_error(&r, status, code);
	t_expect_conforms("POST", PROCESS, &r);
	t_http_free(&r);
}

/* The 400's details name this field. */
static void expect_400_field(const struct t_session *s, const char *doc, const char *body,
                             const char *field)
{
	struct http_response r;

	t_job_process(s, doc, body, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, field) != NULL, "%s: no detail for %s in %s", body, field, r.body);
	t_expect_conforms("POST", PROCESS, &r);
	t_http_free(&r);
}

/* Runs a feature on a new document of the team's member and waits for the job's result. */
static json_object *processed(const char *body_json, const char *request, char doc[40])
{
	char job[40];
	json_object *j;

	team();
	doc_of(&a.as[T_MEMBER], body_json, doc);
	t_job_process_ok(&a.as[T_MEMBER], doc, request, job);
	j = t_job_wait(&a.as[T_MEMBER], job, WAIT_MS);
	cr_assert_str_eq(t_job_str(j, "status"), "succeeded", "%s", json_object_to_json_string(j));
	return j;
}

static long long int_at(json_object *o, const char *key)
{
	json_object *v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
	          json_object_to_json_string(o));
	return json_object_get_int64(v);
}

/* ---- GET and PUT /tenants/current/features ---------------------------------------------- */

Test(processing, features_list_every_feature_off_by_default)
{
	struct t_session s;
	struct http_response r;
	json_object *root, *data;
	static const char *const names[] = {"stats", "keywords", "summary", "redact"};

	t_auth_signup(&s, "proc-list");
	t_doc_request("GET", "/api/v1/tenants/current/features", s.access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_expect_conforms("GET", FEATURES, &r);
	root = json_tokener_parse(r.body);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	cr_assert_eq(json_object_array_length(data), 4);
	for (size_t i = 0; i < 4; i++) {
		json_object *f = json_object_array_get_idx(data, i), *v;

		cr_assert_str_eq(t_job_str(f, "name"), names[i]);
		/* A new tenant is on the free plan: stats and keywords, on until switched off. */
		cr_assert(json_object_object_get_ex(f, "enabled", &v));
		cr_assert_eq(json_object_get_boolean(v), i < 2, "%s", names[i]);
		cr_assert(json_object_object_get_ex(f, "in_plan", &v));
		cr_assert_eq(json_object_get_boolean(v), i < 2, "%s", names[i]);
		cr_assert(json_object_object_get_ex(f, "rewrites_document", &v));
		cr_assert_eq(json_object_get_boolean(v), i == 3);
	}
	json_object_put(root);
	t_http_free(&r);
}

Test(processing, features_switch_is_admin_only_and_audited)
{
	struct t_team t;
	struct http_response r;

	t_team_setup(&t, "proc-switch");
	/* Viewer and member read the list but may not switch. */
	t_doc_request("GET", "/api/v1/tenants/current/features", t.as[T_VIEWER].access, NULL, NULL,
	              &r);
	cr_assert_eq(r.status, 200);
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", t.as[T_MEMBER].access, NULL,
	              "{\"enabled\":true}", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	/* A feature outside the plan cannot be switched on: 403 naming the plan with it. */
	t_doc_request("PUT", "/api/v1/tenants/current/features/summary", t.as[T_ADMIN].access, NULL,
	              "{\"enabled\":true}", &r);
	t_assert_error(&r, 403, "feature_not_in_plan");
	cr_assert(strstr(r.body, "the pro plan includes it") != NULL, "%s", r.body);
	t_expect_conforms("PUT", FEATURE, &r);
	t_http_free(&r);
	/* Admin switches one of the plan's off, the list says so, then on; each is audited. */
	t_job_feature(&t.as[T_ADMIN], "stats", 0);
	t_doc_request("GET", "/api/v1/tenants/current/features", t.as[T_VIEWER].access, NULL, NULL,
	              &r);
	cr_assert(strstr(r.body, "\"name\":\"summary\",\"description\"") != NULL);
	cr_assert(strstr(r.body, "(sentences: 1-20, default 3)\",\"in_plan\":false,"
	                         "\"enabled\":false") != NULL,
	          "%s", r.body);
	cr_assert(strstr(r.body,
	                 "\"name\":\"stats\",\"description\":\"words, characters, "
	                 "sentences, paragraphs and reading time\",\"in_plan\":true,"
	                 "\"enabled\":false") != NULL,
	          "%s", r.body);
	t_http_free(&r);
	t_job_feature(&t.as[T_OWNER], "stats", 1);
	cr_assert_eq(t_job_audit_count(&t.as[T_OWNER], "feature.enabled", "stats"), 1);
	cr_assert_eq(t_job_audit_count(&t.as[T_OWNER], "feature.disabled", "stats"), 1);
	cr_assert_eq(t_job_audit_count(&t.as[T_OWNER], "feature.enabled", "summary"), 0);
	/* The database refuses a member's write regardless of the route (RLS of 0006). */
	{
		PGconn *c = t_pg("MENHIR_TEST_PG_APP");
		const char *p[3] = {t.as[T_MEMBER].tenant_id, t.as[T_MEMBER].user_id, "member"};
		PGresult *q;
		char state[6];

		PQclear(t_pg_ok(c, "BEGIN"));
		q = PQexecParams(c, "SELECT app_enter($1, $2, $3)", 3, NULL, p, NULL, NULL, 0);
		cr_assert_eq(PQresultStatus(q), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
		PQclear(q);
		t_pg_state(c,
		           "INSERT INTO tenant_features (tenant_id, feature, enabled)"
		           " VALUES (app_tenant_id(), 'stats', true)",
		           state);
		cr_assert_str_eq(state, "42501", "RLS let a member switch a feature");
		PQfinish(c);
	}
}

Test(processing, features_switch_validation)
{
	struct t_session s;
	struct http_response r;

	t_auth_signup(&s, "proc-switch-bad");
	t_doc_request("PUT", "/api/v1/tenants/current/features/translate", s.access, NULL,
	              "{\"enabled\":true}", &r);
	t_assert_error(&r, 404, "not_found");
	t_expect_conforms("PUT", FEATURE, &r);
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", s.access, NULL,
	              "{\"enabled\":\"yes\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_expect_conforms("PUT", FEATURE, &r);
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", s.access, NULL,
	              "{\"enabled\":true}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"enabled\":true") != NULL);
	t_expect_conforms("PUT", FEATURE, &r);
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", s.access, NULL, "{}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", s.access, NULL,
	              "{\"enabled\":true,\"feature\":\"x\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats?x=1", s.access, NULL,
	              "{\"enabled\":true}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/tenants/current/features?all=1", s.access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

/* ---- POST /documents/:id/process: validation -------------------------------------------- */

Test(processing, process_validation)
{
	struct http_response r;
	char doc[40], path[200];
	static const char *const bad_key[] = {"Idempotency-Key: \"\"", NULL};

	team();
	doc_of(&a.as[T_MEMBER], "Some text.", doc);
	/* 404: malformed or unknown ids. */
	expect_process(&a.as[T_MEMBER], "not-a-uuid", "{\"feature\":\"stats\"}", 404, "not_found");
	expect_process(&a.as[T_MEMBER], "6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b",
	               "{\"feature\":\"stats\"}", 404, "not_found");
	/* 415 / 400: the body's media type and shape. */
	snprintf(path, sizeof(path), "/api/v1/documents/%s/process", doc);
	{
		char auth[4200];

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.as[T_MEMBER].access);
		cr_assert_eq(
		        t_http_ex(NULL, "POST", path, auth, "text/plain", "feature=stats", 13, &r),
		        0);
		t_assert_error(&r, 415, "unsupported_media_type");
		t_expect_conforms("POST", PROCESS, &r);
		t_http_free(&r);
	}
	expect_process(&a.as[T_MEMBER], doc, "{\"feature\":", 400, "invalid_json");
	expect_process(&a.as[T_MEMBER], doc, "[\"stats\"]", 400, "invalid_json");
	expect_process(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\",\"priority\":1}", 400,
	               "validation_failed");
	strcat(path, "?dry_run=true");
	t_doc_request("POST", path, a.as[T_MEMBER].access, NULL, "{\"feature\":\"stats\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_job_process(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\"}", bad_key, &r);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
	/* 400 validation_failed: each field named. */
	expect_400_field(&a.as[T_MEMBER], doc, "{}", "\"feature\"");
	expect_400_field(&a.as[T_MEMBER], doc, "{\"feature\":\"translate\"}", "\"feature\"");
	expect_400_field(&a.as[T_MEMBER], doc, "{\"feature\":7}", "\"feature\"");
	expect_400_field(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\",\"parameters\":[]}",
	                 "\"parameters\"");
	expect_400_field(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\",\"parameters\":{\"k\":1}}",
	                 "\"parameters.k\"");
	expect_400_field(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"keywords\",\"parameters\":{\"k\":0}}", "\"parameters.k\"");
	expect_400_field(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"keywords\",\"parameters\":{\"k\":\"5\"}}",
	                 "\"parameters.k\"");
	expect_400_field(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"summary\",\"parameters\":{\"sentences\":21}}",
	                 "\"parameters.sentences\"");
	expect_400_field(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"stats\",\"webhook_url\":\"ftp://x.example/h\"}",
	                 "\"webhook_url\"");
	expect_400_field(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"stats\",\"webhook_url\":\"https://u:p@x.example/h\"}",
	                 "\"webhook_url\"");
	expect_400_field(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\",\"webhook_url\":5}",
	                 "\"webhook_url\"");
	/* Every problem at once. */
	t_job_process(
	        &a.as[T_MEMBER], doc,
	        "{\"feature\":\"keywords\",\"parameters\":{\"k\":0,\"x\":1},\"webhook_url\":\"x\"}",
	        NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "parameters.k") && strstr(r.body, "parameters.x") &&
	                  strstr(r.body, "webhook_url"),
	          "%s", r.body);
	t_http_free(&r);
}

/* ---- Roles, isolation, the tenant's switch ------------------------------------------------ */

Test(processing, roles)
{
	char own[40], own2[40], admins[40], job[40];

	team();
	doc_of(&a.as[T_MEMBER], "Mine: me@example.com.", own);
	doc_of(&a.as[T_MEMBER], "Also mine: me@example.com.", own2);
	doc_of(&a.as[T_ADMIN], "The admin's: boss@example.com.", admins);
	/* Viewers read documents but queue no work. */
	expect_process(&a.as[T_VIEWER], own, "{\"feature\":\"stats\"}", 403, "forbidden");
	/* A member analyses any document it can read ... */
	t_job_process_ok(&a.as[T_MEMBER], admins, "{\"feature\":\"stats\"}", job);
	/* ... but rewrites only its own, like PATCH. */
	expect_process(&a.as[T_MEMBER], admins, "{\"feature\":\"redact\"}", 403, "forbidden");
	t_job_process_ok(&a.as[T_MEMBER], own, "{\"feature\":\"redact\"}", job);
	/* Admins rewrite anyone's. */
	t_job_process_ok(&a.as[T_ADMIN], own2, "{\"feature\":\"redact\",\"parameters\":{}}", job);
}

Test(processing, other_tenant_gets_404)
{
	struct t_session b;
	char doc[40];
	struct http_response r;

	team();
	doc_of(&a.as[T_MEMBER], "Tenant A's secret text.", doc);
	t_auth_signup(&b, "proc-b");
	t_job_features_all(&b, 1);
	for (int i = 0; i < 2; i++) {
		t_job_process(&b, doc, i ? "{\"feature\":\"redact\"}" : "{\"feature\":\"stats\"}",
		              NULL, &r);
		t_assert_error(&r, 404, "not_found");
		cr_assert(strstr(r.body, doc) == NULL && strstr(r.body, "secret") == NULL);
		t_http_free(&r);
	}
	/* With the feature off in B, still 404: nothing about A's document leaks. */
	t_job_feature(&b, "stats", 0);
	expect_process(&b, doc, "{\"feature\":\"stats\"}", 404, "not_found");
}

Test(processing, disabled_feature_is_403_and_queues_nothing)
{
	struct t_session s;
	char doc[40], job[40];
	PGconn *su;
	PGresult *q;
	const char *p[1];

	t_auth_signup(&s, "proc-off");
	doc_of(&s, "Some words here.", doc);
	/* Outside the free plan: 403 feature_not_in_plan, naming the plan that has it. */
	expect_process(&s, doc, "{\"feature\":\"redact\"}", 403, "feature_not_in_plan");
	/* In the plan but switched off by an admin: feature_disabled. */
	t_job_feature(&s, "stats", 0);
	expect_process(&s, doc, "{\"feature\":\"stats\"}", 403, "feature_disabled");
	t_job_process_ok(&s, doc, "{\"feature\":\"keywords\"}", job);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	p[0] = s.tenant_id;
	q = PQexecParams(su, "SELECT count(*) FROM jobs WHERE tenant_id = $1", 1, NULL, p, NULL,
	                 NULL, 0);
	cr_assert_str_eq(PQgetvalue(q, 0, 0), "1", "only the enabled feature's job exists");
	PQclear(q);
	PQfinish(su);
}

/* ---- Duplicates, Idempotency-Key, the 202 itself ----------------------------------------- */

static const char *sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	cr_assert_eq(EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL), 1);
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return out;
}

Test(processing, same_work_queued_twice_is_409)
{
	char doc[40], waiting[40], hash[65], key[200], job[40], location[100];
	struct http_response r;
	char *loc;

	team();
	doc_of(&a.as[T_MEMBER], "Duplicate work.", doc);
	/* An active job of the same work, due in an hour (the runner leaves it alone): the key
	 * is the document, the feature and the hash of the canonical parameters. */
	snprintf(key, sizeof(key), "%s:keywords:%s", doc, sha256_hex("{\"k\":10}", hash));
	t_job_insert("document.process", a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id, doc,
	             "{\"feature\":\"keywords\",\"parameters\":{\"k\":10}}", key, 3600, waiting);
	/* {} means k = 10: the same work, whoever asks. */
	t_job_process(&a.as[T_ADMIN], doc, "{\"feature\":\"keywords\",\"parameters\":{}}", NULL,
	              &r);
	t_assert_error(&r, 409, "already_queued");
	t_expect_conforms("POST", PROCESS, &r);
	loc = t_header(&r, "Location");
	snprintf(location, sizeof(location), "/api/v1/jobs/%s", waiting);
	cr_assert(loc != NULL && strcmp(loc, location) == 0, "Location %s", loc ? loc : "none");
	cr_assert(strstr(r.body, waiting) != NULL);
	free(loc);
	t_http_free(&r);
	expect_process(&a.as[T_MEMBER], doc, "{\"feature\":\"keywords\",\"parameters\":{\"k\":10}}",
	               409, "already_queued");
	/* Other parameters, or another feature, are other work. */
	t_job_process_ok(&a.as[T_MEMBER], doc,
	                 "{\"feature\":\"keywords\",\"parameters\":{\"k\":5}}", job);
	t_job_process_ok(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\"}", job);
}

Test(processing, accepted_job_and_its_audit_row)
{
	char doc[40], job[40], location[100];
	struct http_response r;
	json_object *root, *data, *j;
	char *loc;

	team();
	doc_of(&a.as[T_MEMBER], "Accepted.", doc);
	t_job_process(&a.as[T_MEMBER], doc,
	              "{\"feature\":\"summary\",\"parameters\":{\"sentences\":2},"
	              "\"webhook_url\":\"http://127.0.0.1:9/hook\"}",
	              NULL, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	t_expect_conforms("POST", PROCESS, &r);
	root = json_tokener_parse(r.body);
	data = t_job_obj(root, "data");
	snprintf(job, sizeof(job), "%s", t_job_str(data, "job_id"));
	cr_assert_str_eq(t_job_str(data, "status"), "queued");
	j = t_job_obj(data, "job");
	cr_assert_str_eq(t_job_str(j, "id"), job);
	cr_assert_str_eq(t_job_str(j, "kind"), "document.process");
	cr_assert_str_eq(t_job_str(j, "document_id"), doc);
	cr_assert_str_eq(t_job_str(j, "created_by"), a.as[T_MEMBER].user_id);
	cr_assert_str_eq(t_job_str(j, "webhook_url"), "http://127.0.0.1:9/hook");
	loc = t_header(&r, "Location");
	snprintf(location, sizeof(location), "/api/v1/jobs/%s", job);
	cr_assert(loc != NULL && strcmp(loc, location) == 0);
	free(loc);
	/* The checks, the INSERT (read back: its "queued" event goes out before the commit, see
	 * processing_enqueue) and the COMMIT: three round trips. */
	cr_assert_eq(t_doc_round_trips(&r), 3);
	json_object_put(root);
	t_http_free(&r);
	cr_assert_eq(t_job_audit_count(&a.as[T_MEMBER], "job.queued", job), 1);
	/* What the job will read: its document, the canonical parameters and the webhook, all
	 * in the payload the module owns (the queue has no column for either). */
	{
		PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
		const char *p[1] = {job};
		PGresult *q = PQexecParams(su, "SELECT payload::text FROM jobs WHERE id = $1", 1,
		                           NULL, p, NULL, NULL, 0);
		char want[300];

		snprintf(want, sizeof(want),
		         "{\"feature\": \"summary\", \"parameters\": {\"sentences\": 2},"
		         " \"document_id\": \"%s\", \"webhook_url\": \"http://127.0.0.1:9/hook\"}",
		         doc);
		cr_assert_str_eq(PQgetvalue(q, 0, 0), want);
		PQclear(q);
		PQfinish(su);
	}
}

Test(processing, idempotency_key_replays_the_first_202)
{
	char doc[40], doc2[40], header[100];
	const char *headers[2] = {header, NULL};
	struct http_response first, again, other;
	char *replayed;

	team();
	doc_of(&a.as[T_MEMBER], "Idempotent.", doc);
	snprintf(header, sizeof(header), "Idempotency-Key: proc-%ld-%s", (long)getpid(), doc);
	t_job_process(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\"}", headers, &first);
	cr_assert_eq(first.status, 202, "%s", first.body);
	t_job_process(&a.as[T_MEMBER], doc, "{\"feature\":\"stats\"}", headers, &again);
	cr_assert_eq(again.status, 202, "%s", again.body);
	cr_assert_str_eq(again.body, first.body, "the first response, byte for byte");
	replayed = t_header(&again, "Idempotent-Replayed");
	cr_assert(replayed != NULL && strcmp(replayed, "true") == 0);
	free(replayed);
	t_expect_conforms("POST", PROCESS, &again);
	t_job_process(&a.as[T_MEMBER], doc, "{\"feature\":\"keywords\"}", headers, &other);
	t_assert_error(&other, 422, "idempotency_key_reused");
	t_expect_conforms("POST", PROCESS, &other);
	t_http_free(&other);
	/* A key names one request to one document: the same key and body elsewhere is new. */
	doc_of(&a.as[T_MEMBER], "Idempotent too.", doc2);
	t_job_process(&a.as[T_MEMBER], doc2, "{\"feature\":\"stats\"}", headers, &other);
	cr_assert_eq(other.status, 202, "%s", other.body);
	cr_assert(strstr(other.body, doc2) != NULL && strcmp(other.body, first.body) != 0);
	t_http_free(&first);
	t_http_free(&again);
	t_http_free(&other);
}

/* ---- The jobs: each feature's result ------------------------------------------------------ */

Test(processing, stats_job)
{
	char doc[40];
	json_object *j = processed("The quick brown fox. It jumps!\\n\\nCafé 日本語 😀.",
	                           "{\"feature\":\"stats\"}", doc),
	            *result, *stats;

	result = t_job_obj(j, "result");
	cr_assert_str_eq(t_job_str(result, "feature"), "stats");
	cr_assert_eq(int_at(result, "version"), 1);
	stats = t_job_obj(result, "stats");
	cr_assert_eq(int_at(stats, "words"), 10);
	cr_assert_eq(int_at(stats, "sentences"), 3);
	cr_assert_eq(int_at(stats, "paragraphs"), 2);
	cr_assert_eq(int_at(stats, "reading_time_seconds"), 3);
	cr_assert_str_eq(t_job_str(j, "error"), "");
	json_object_put(j);
}

Test(processing, keywords_job)
{
	char doc[40];
	json_object *j = processed("Menhirs stand. Menhirs are stones. Stones stand tall. Menhirs!",
	                           "{\"feature\":\"keywords\",\"parameters\":{\"k\":2}}", doc);
	json_object *kw = t_job_obj(t_job_obj(j, "result"), "keywords"), *list;

	cr_assert(json_object_object_get_ex(kw, "keywords", &list));
	cr_assert_str_eq(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN),
	                 "[{\"term\":\"menhirs\",\"count\":3},{\"term\":\"stand\",\"count\":2}]");
	json_object_put(j);
}

Test(processing, summary_job)
{
	char doc[40];
	json_object *j =
	        processed("Cats are great pets. Dogs are loyal pets. The weather is nice "
	                  "today. Cats and dogs can live together as pets. Rain.",
	                  "{\"feature\":\"summary\",\"parameters\":{\"sentences\":2}}", doc);
	json_object *s = t_job_obj(t_job_obj(j, "result"), "summary");

	cr_assert_str_eq(t_job_str(s, "summary"), "Cats are great pets. Dogs are loyal pets.");
	cr_assert_eq(int_at(s, "total_sentences"), 5);
	json_object_put(j);
}

Test(processing, redact_job_writes_a_new_version)
{
	char doc[40], path[100];
	struct http_response r;
	json_object *j = processed("Mail ann@example.org, call +1 (555) 123-4567, card "
	                           "4111 1111 1111 1111. Released 2024-01-15, v1.2.3.",
	                           "{\"feature\":\"redact\"}", doc);
	json_object *result = t_job_obj(j, "result"), *red = t_job_obj(result, "redact"), *root;

	cr_assert_eq(int_at(result, "version"), 2);
	cr_assert_eq(int_at(result, "source_version"), 1);
	cr_assert_eq(int_at(t_job_obj(red, "counts"), "email"), 1);
	cr_assert_eq(int_at(t_job_obj(red, "counts"), "phone"), 1);
	cr_assert_eq(int_at(t_job_obj(red, "counts"), "card"), 1);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc);
	t_doc_request("GET", path, a.as[T_MEMBER].access, NULL, NULL, &r);
	root = json_tokener_parse(r.body);
	cr_assert_str_eq(t_job_str(t_job_obj(root, "data"), "body"),
	                 "Mail [email], call [phone], card [card]. Released 2024-01-15, v1.2.3.");
	cr_assert_eq(int_at(t_job_obj(root, "data"), "version"), 2);
	json_object_put(root);
	t_http_free(&r);
	cr_assert_eq(t_job_audit_count(&a.as[T_MEMBER], "document.redacted", doc), 1);
	json_object_put(j);
}

Test(processing, redact_with_nothing_to_mask_keeps_the_version)
{
	char doc[40];
	json_object *j = processed("Nothing personal, version 10.0.19041.1.",
	                           "{\"feature\":\"redact\"}", doc);
	json_object *result = t_job_obj(j, "result");

	cr_assert_eq(int_at(result, "version"), 1);
	cr_assert_eq(int_at(t_job_obj(result, "redact"), "redactions"), 0);
	cr_assert_eq(t_job_audit_count(&a.as[T_MEMBER], "document.redacted", doc), 0);
	json_object_put(j);
}

/* ---- A transient database failure is retried ---------------------------------------------- */

/* The redact job's write waits on a row lock held here and is cancelled (57014, what a
 * statement_timeout raises too): that came from the moment, not from the job, so the runner
 * retries it, and the next attempt, with the lock gone, succeeds. */
Test(processing, a_cancelled_statement_is_retried_and_the_next_attempt_succeeds)
{
	PGconn *holder, *watcher;
	PGresult *res;
	char doc[40], job[40], sql[300];
	json_object *j;
	int cancelled = 0;

	team();
	doc_of(&a.as[T_MEMBER], "Mail ann@example.org today.", doc);
	holder = t_pg("MENHIR_TEST_PG_SUPER");
	watcher = t_pg("MENHIR_TEST_PG_SUPER");
	PQclear(t_pg_ok(holder, "BEGIN"));
	snprintf(sql, sizeof(sql), "SELECT 1 FROM documents WHERE id = '%s' FOR UPDATE", doc);
	PQclear(t_pg_ok(holder, sql));
	t_job_process_ok(&a.as[T_MEMBER], doc, "{\"feature\":\"redact\"}", job);
	/* Another connection watches: pg_stat_activity is a snapshot per transaction. */
	snprintf(sql, sizeof(sql),
	         "SELECT pg_cancel_backend(pid) FROM pg_stat_activity"
	         " WHERE %d = ANY (pg_blocking_pids(pid))",
	         PQbackendPID(holder));
	for (int i = 0; i < 150 && !cancelled; i++) {
		res = t_pg_ok(watcher, sql);
		cancelled = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!cancelled)
			usleep(100 * 1000);
	}
	PQclear(t_pg_ok(holder, "COMMIT"));
	PQfinish(holder);
	PQfinish(watcher);
	cr_assert(cancelled, "the job never waited for the lock");
	j = t_job_wait(&a.as[T_MEMBER], job, WAIT_MS);
	cr_assert_str_eq(t_job_str(j, "status"), "succeeded", "%s", json_object_to_json_string(j));
	cr_assert_eq(int_at(j, "attempts"), 2, "%s", json_object_to_json_string(j));
	cr_assert_eq(int_at(t_job_obj(j, "result"), "version"), 2);
	json_object_put(j);
}

/* ---- The jobs: what changed between the request and the run ------------------------------ */

/* A job queued behind the API's back (the API would refuse it now): runs at once. */
static json_object *run_inserted(const struct t_session *s, const char *doc, const char *feature)
{
	char job[40], payload[100];

	snprintf(payload, sizeof(payload), "{\"feature\":\"%s\",\"parameters\":{}}", feature);
	t_job_insert("document.process", s->tenant_id, s->user_id, doc, payload, NULL, 0, job);
	return t_job_wait(s, job, WAIT_MS);
}

static void assert_failed(json_object *j, const char *code)
{
	cr_assert_str_eq(t_job_str(j, "status"), "failed", "%s", json_object_to_json_string(j));
	cr_assert(strncmp(t_job_str(j, "error"), code, strlen(code)) == 0, "error %s, want %s",
	          t_job_str(j, "error"), code);
	json_object_put(j);
}

Test(processing, job_fails_when_the_feature_was_switched_off)
{
	struct t_session s;
	char doc[40];

	t_auth_signup(&s, "proc-late-off");
	doc_of(&s, "Text.", doc);
	t_job_feature(&s, "stats", 0);
	assert_failed(run_inserted(&s, doc, "stats"), "feature_disabled");
}

Test(processing, job_fails_when_the_document_was_deleted)
{
	char doc[40], path[100];
	struct http_response r;

	team();
	doc_of(&a.as[T_MEMBER], "Soon gone: x@y.org.", doc);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc);
	t_doc_request("DELETE", path, a.as[T_MEMBER].access, NULL, NULL, &r);
	cr_assert_eq(r.status, 204);
	t_http_free(&r);
	assert_failed(run_inserted(&a.as[T_MEMBER], doc, "stats"), "document_not_found");
	assert_failed(run_inserted(&a.as[T_MEMBER], doc, "redact"), "document_not_found");
}

/* The job names its document in its payload, with no foreign key behind it: the module's own
 * check under RLS is what keeps a job to its tenant's documents. */
Test(processing, job_naming_another_tenants_document_fails_not_found)
{
	struct t_session other;
	char doc[40];

	team();
	t_auth_signup(&other, "proc-foreign");
	doc_of(&other, "Not yours: x@y.org.", doc);
	assert_failed(run_inserted(&a.as[T_MEMBER], doc, "stats"), "document_not_found");
	assert_failed(run_inserted(&a.as[T_MEMBER], doc, "redact"), "document_not_found");
}

Test(processing, job_naming_no_document_fails_on_its_payload)
{
	char job[40];

	team();
	t_job_insert("document.process", a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id, NULL,
	             "{\"feature\":\"stats\"}", NULL, 0, job);
	assert_failed(t_job_wait(&a.as[T_MEMBER], job, WAIT_MS), "invalid_payload");
	t_job_insert("document.process", a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id, NULL,
	             "{\"feature\":\"stats\",\"document_id\":\"not-a-uuid\"}", NULL, 0, job);
	assert_failed(t_job_wait(&a.as[T_MEMBER], job, WAIT_MS), "invalid_payload");
}

/* The job list reads the document from the payload: ?document_id= finds a document's jobs,
 * alone or with ?status=, and each job shows its document. */
Test(processing, jobs_list_filters_by_the_document_in_the_payload)
{
	char doc1[40], doc2[40], job1[40], job2[40], path[200];
	struct http_response r;
	json_object *root, *list, *j;

	team();
	doc_of(&a.as[T_MEMBER], "First.", doc1);
	doc_of(&a.as[T_MEMBER], "Second.", doc2);
	t_job_process_ok(&a.as[T_MEMBER], doc1, "{\"feature\":\"stats\"}", job1);
	t_job_process_ok(&a.as[T_MEMBER], doc2, "{\"feature\":\"stats\"}", job2);
	json_object_put(t_job_wait(&a.as[T_MEMBER], job1, WAIT_MS));
	json_object_put(t_job_wait(&a.as[T_MEMBER], job2, WAIT_MS));
	for (int with_status = 0; with_status < 2; with_status++) {
		snprintf(path, sizeof(path), "/api/v1/jobs?document_id=%s%s", doc1,
		         with_status ? "&status=succeeded" : "");
		t_doc_request("GET", path, a.as[T_VIEWER].access, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
		root = json_tokener_parse(r.body);
		cr_assert(json_object_object_get_ex(root, "data", &list));
		cr_assert_eq(json_object_array_length(list), 1, "%s: %s", path, r.body);
		j = json_object_array_get_idx(list, 0);
		cr_assert_str_eq(t_job_str(j, "id"), job1);
		cr_assert_str_eq(t_job_str(j, "document_id"), doc1);
		json_object_put(root);
		t_http_free(&r);
	}
	snprintf(path, sizeof(path), "/api/v1/jobs?document_id=%s&status=failed", doc1);
	t_doc_request("GET", path, a.as[T_VIEWER].access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "\"data\":[]") != NULL, "%s", r.body);
	t_http_free(&r);
}

Test(processing, job_fails_when_its_creator_may_no_longer_rewrite)
{
	char doc[40], path[100];
	struct http_response r;
	json_object *j;

	team();
	/* The member's job on the admin's document (as if the member had been an admin when it
	 * was queued): the lock needs the right to write, and the body stays as it was. */
	doc_of(&a.as[T_ADMIN], "Keep boss@example.com.", doc);
	assert_failed(run_inserted(&a.as[T_MEMBER], doc, "redact"), "forbidden");
	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc);
	t_doc_request("GET", path, a.as[T_ADMIN].access, NULL, NULL, &r);
	cr_assert(strstr(r.body, "\"body\":\"Keep boss@example.com.\"") != NULL, "%s", r.body);
	cr_assert(strstr(r.body, "\"version\":1") != NULL);
	t_http_free(&r);
	/* Reading it is still fine. */
	j = run_inserted(&a.as[T_MEMBER], doc, "stats");
	cr_assert_str_eq(t_job_str(j, "status"), "succeeded");
	json_object_put(j);
}

Test(processing, job_fails_on_a_payload_it_cannot_read)
{
	char doc[40], job[40];

	team();
	doc_of(&a.as[T_MEMBER], "Text.", doc);
	t_job_insert("document.process", a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id, doc,
	             "{\"feature\":\"translate\"}", NULL, 0, job);
	assert_failed(t_job_wait(&a.as[T_MEMBER], job, WAIT_MS), "invalid_payload");
	t_job_insert("document.process", a.as[T_MEMBER].tenant_id, a.as[T_MEMBER].user_id, doc,
	             "{\"feature\":\"keywords\",\"parameters\":{\"k\":500}}", NULL, 0, job);
	assert_failed(t_job_wait(&a.as[T_MEMBER], job, WAIT_MS), "invalid_parameters");
}

/*
 * Invalid UTF-8 never reaches a job through the database: the API refuses it (400) and
 * PostgreSQL (a UTF8 database) refuses it even from the superuser, so the job's
 * invalid_utf8 failure (t/unit_features.c) guards a body that can only come from elsewhere.
 * This test fails if that guarantee goes (a SQL_ASCII database, say).
 */
Test(processing, invalid_utf8_cannot_be_stored)
{
	char doc[40], state[6];
	struct http_response r;
	PGconn *su;
	char sql[300];

	team();
	t_doc_request("POST", "/api/v1/documents", a.as[T_MEMBER].access, NULL,
	              "{\"title\":\"Bad\",\"body\":\"trunc\xe2\x82\"}", &r);
	t_assert_error(&r, 400, "invalid_json");
	t_http_free(&r);
	doc_of(&a.as[T_MEMBER], "Good.", doc);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	snprintf(sql, sizeof(sql),
	         "UPDATE documents SET body = convert_from('\\xc0af'::bytea, 'UTF8') WHERE id = "
	         "'%s'",
	         doc);
	cr_assert_str_eq(t_pg_state(su, sql, state), "22021");
	snprintf(sql, sizeof(sql), "UPDATE documents SET body = E'\\xed\\xa0\\x80' WHERE id = '%s'",
	         doc);
	cr_assert_str_eq(t_pg_state(su, sql, state), "22021");
	PQfinish(su);
}
