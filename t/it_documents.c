/* it_documents.c - the documents module end to end through nginx: CRUD, keyset pagination
 * (and its plan: no Sort, no OFFSET, page N costs what page 1 costs), filters and search,
 * strict input, ETag/304, If-Match/412, Idempotency-Key (replay, 422, 409 under real
 * concurrency), soft delete and restore, audit rows, the role rules, one database round
 * trip per request, and RLS alone hiding another tenant's rows from the repository's SQL. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "doc_helpers.h"
#include "modules/documents/internal.h"

TestSuite(documents, .timeout = 180);

/* ---- Small helpers ------------------------------------------------------------------- */

static void get(const struct t_session *s, const char *path, struct http_response *r)
{
	t_doc_request("GET", path, s->access, NULL, NULL, r);
}

static void assert_status(const struct http_response *r, long want)
{
	cr_assert_eq(r->status, want, "want %ld, got %ld: %s", want, r->status, r->body);
}

/* The ids of a list page, in order, into ids (each 40 bytes); returns how many; copies
 * next_cursor into cursor ("" when null). */
static int page_ids(const struct http_response *r, char (*ids)[40], int max, char *cursor,
                    size_t clen)
{
	json_object *root = t_auth_json(r), *data, *next, *v;
	int n;

	cr_assert(json_object_object_get_ex(root, "data", &data) &&
	                  json_object_is_type(data, json_type_array),
	          "%s", r->body);
	cr_assert(json_object_object_get_ex(root, "next_cursor", &next), "%s", r->body);
	n = (int)json_object_array_length(data);
	cr_assert(n <= max);
	for (int i = 0; i < n; i++) {
		cr_assert(json_object_object_get_ex(json_object_array_get_idx(data, i), "id", &v));
		snprintf(ids[i], 40, "%s", json_object_get_string(v));
		/* List items leave the body out. */
		cr_assert(!json_object_object_get_ex(json_object_array_get_idx(data, i), "body",
		                                     NULL));
	}
	snprintf(cursor, clen, "%s",
	         next && !json_object_is_type(next, json_type_null) ? json_object_get_string(next)
	                                                            : "");
	json_object_put(root);
	return n;
}

/* Follows next_cursor from base (a path with a query) to the end; returns all ids. */
static int walk(const struct t_session *s, const char *base, char (*ids)[40], int max)
{
	char cursor[4096] = "", path[8192];
	int total = 0;

	do {
		struct http_response r;

		snprintf(path, sizeof(path), "%s%s%s", base, cursor[0] ? "&cursor=" : "", cursor);
		get(s, path, &r);
		assert_status(&r, 200);
		total += page_ids(&r, ids + total, max - total, cursor, sizeof(cursor));
		t_http_free(&r);
	} while (cursor[0] != '\0');
	return total;
}

static int contains(char (*ids)[40], int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

/* Inserts n documents straight into the tenant as the superuser (no RLS), one second
 * apart, titles "<prefix> <n>"; returns nothing, the suite reads them back through the API. */
static void bulk_insert(const struct t_session *s, int n, const char *prefix)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	char count[16];
	const char *p[4] = {s->tenant_id, s->user_id, prefix, count};
	PGresult *r;

	snprintf(count, sizeof(count), "%d", n);
	/* More documents than the free plan allows (schema 0016): the plan without a limit. */
	t_auth_set_plan(s->tenant_id, "business");
	r = PQexecParams(su,
	                 "INSERT INTO documents (tenant_id, owner_id, title, body, tags, status,"
	                 " created_at, updated_at)"
	                 " SELECT $1::uuid, $2::uuid, $3 || ' ' || lpad(g::text, 6, '0'),"
	                 "        'bulk body ' || g, ARRAY['bulk'], 'published',"
	                 "        now() - g * interval '1 second', now() - g * interval '1 second'"
	                 "   FROM generate_series(1, $4::int) g",
	                 4, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(su));
	PQclear(r);
	PQclear(t_pg_ok(su, "ANALYZE documents"));
	PQfinish(su);
}

/* Audit actions recorded for a document, oldest first, comma-joined. */
static void audit_actions(const char *id, char *out, size_t outlen)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	const char *p[1] = {id};
	PGresult *r =
	        PQexecParams(su,
	                     "SELECT coalesce(string_agg(action, ',' ORDER BY created_at), '')"
	                     "  FROM audit_log WHERE split_part(target, ' ', 1) = $1",
	                     1, NULL, p, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
	snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);
}

static const char *statement_sql(const char *name)
{
	for (const struct mh_db_statement *s = documents_statements; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s->sql;
	cr_assert_fail("no statement %s", name);
	return NULL;
}

/* ---- CRUD, ETag, round trips ---------------------------------------------------------- */

Test(documents, create_then_get_with_etag_and_304)
{
	struct t_session s;
	struct http_response r, g;
	char id[40], *loc, *etag, *etag2, want_loc[128], inm[200];
	const char *h[2] = {inm, NULL};

	t_auth_signup(&s, "doc-crud");
	t_doc_warm(&s);
	t_doc_request("POST", "/api/v1/documents", s.access, NULL,
	              "{\"title\":\"Quarterly plan\",\"body\":\"Line one\\nline two\","
	              "\"tags\":[\"plan\",\"q3\"],\"status\":\"published\"}",
	              &r);
	assert_status(&r, 201);
	cr_assert_eq(t_doc_round_trips(&r), 1);
	t_doc_data_str(&r, "id", id, sizeof(id));
	loc = t_header(&r, "Location");
	etag = t_header(&r, "ETag");
	snprintf(want_loc, sizeof(want_loc), "/api/v1/documents/%s", id);
	cr_assert_str_eq(loc, want_loc);
	cr_assert(etag != NULL && etag[0] == '"' && strlen(etag) == 34, "%s", etag);
	cr_assert(strstr(r.body, "\"owner_id\":\"") && strstr(r.body, s.user_id));
	cr_assert(strstr(r.body, "\"version\":1"));
	cr_assert(strstr(r.body, "\"tags\":[\"plan\",\"q3\"]"));

	get(&s, loc, &g);
	assert_status(&g, 200);
	cr_assert_eq(t_doc_round_trips(&g), 1);
	cr_assert_str_eq(g.body, r.body, "GET and POST render the same document");
	etag2 = t_header(&g, "ETag");
	cr_assert_str_eq(etag2, etag);
	free(etag2);
	etag2 = t_header(&g, "Cache-Control");
	cr_assert_str_eq(etag2, "private, no-cache");
	free(etag2);
	t_http_free(&g);

	/* If-None-Match: exact, weak form, in a list, and "*" all give 304 without a body. */
	const char *prefixes[] = {"", "W/", "\"nope\", ", NULL};
	for (size_t i = 0; i < 4; i++) {
		if (prefixes[i] != NULL)
			snprintf(inm, sizeof(inm), "If-None-Match: %s%s", prefixes[i], etag);
		else
			snprintf(inm, sizeof(inm), "If-None-Match: *");
		t_doc_request("GET", loc, s.access, h, NULL, &g);
		assert_status(&g, 304);
		cr_assert_eq(g.body_len, 0);
		etag2 = t_header(&g, "ETag");
		cr_assert_str_eq(etag2, etag);
		free(etag2);
		t_http_free(&g);
	}
	snprintf(inm, sizeof(inm), "If-None-Match: \"0123456789abcdef0123456789abcdef\"");
	t_doc_request("GET", loc, s.access, h, NULL, &g);
	assert_status(&g, 200);
	t_http_free(&g);

	free(loc);
	free(etag);
	t_http_free(&r);
}

Test(documents, unknown_and_malformed_ids_are_404)
{
	struct t_session s;
	struct http_response r;

	t_auth_signup(&s, "doc-404");
	get(&s, "/api/v1/documents/00000000-0000-4000-8000-000000000000", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	get(&s, "/api/v1/documents/not-a-uuid", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_doc_request("PATCH", "/api/v1/documents/00000000-0000-4000-8000-000000000000", s.access,
	              NULL, "{\"title\":\"x\"}", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_doc_request("DELETE", "/api/v1/documents/00000000-0000-4000-8000-000000000000", s.access,
	              NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
}

/* ---- Input validation ---------------------------------------------------------------- */

Test(documents, create_rejects_mass_assignment_and_unknown_fields_with_400)
{
	struct t_session s;
	struct http_response r;
	const char *fields[] = {"id",         "tenant_id",  "owner_id",   "version",
	                        "created_at", "updated_at", "deleted_at", "color"};

	t_auth_signup(&s, "doc-mass");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char body[256], needle[64];

		snprintf(body, sizeof(body), "{\"title\":\"T\",\"%s\":\"%s\"}", fields[i],
		         s.tenant_id);
		t_doc_request("POST", "/api/v1/documents", s.access, NULL, body, &r);
		t_assert_error(&r, 400, "validation_failed");
		snprintf(needle, sizeof(needle), "\"field\":\"%s\"", fields[i]);
		cr_assert(strstr(r.body, needle), "%s", r.body);
		t_http_free(&r);
	}
	/* Every offending field is listed at once. */
	t_doc_request("POST", "/api/v1/documents", s.access, NULL,
	              "{\"title\":\"T\",\"owner_id\":\"x\",\"tenant_id\":\"y\",\"junk\":1}", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"owner_id\"") && strstr(r.body, "\"tenant_id\"") &&
	                  strstr(r.body, "\"junk\""),
	          "%s", r.body);
	t_http_free(&r);
	/* Nothing was created by any of it. */
	get(&s, "/api/v1/documents", &r);
	assert_status(&r, 200);
	cr_assert(strstr(r.body, "\"data\":[]"), "%s", r.body);
	t_http_free(&r);
}

Test(documents, create_rejects_bad_values_with_400_details_naming_each_path)
{
	struct t_session s;
	struct http_response r;
	char long_title[260], body[600];
	static const struct {
		const char *json;
		const char *field;
	} cases[] = {
	        {"{}", "title"},
	        {"{\"title\":\"\"}", "title"},
	        {"{\"title\":42}", "title"},
	        {"{\"title\":\"a\\u0000b\"}", "title"},
	        {"{\"title\":\"bell\\u0007\"}", "title"},
	        {"{\"title\":\"T\",\"body\":5}", "body"},
	        {"{\"title\":\"T\",\"status\":\"gone\"}", "status"},
	        {"{\"title\":\"T\",\"tags\":\"a\"}", "tags"},
	        {"{\"title\":\"T\",\"tags\":[1]}", "tags[0]"},
	        {"{\"title\":\"T\",\"tags\":[\"\"]}", "tags[0]"},
	        {"{\"title\":\"T\",\"tags\":[\"a\",\"a\"]}", "tags[1]"},
	        {"{\"title\":\"T\",\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\","
	         "\"10\",\"11\",\"12\",\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\","
	         "\"21\"]}",
	         "tags"},
	};

	t_auth_signup(&s, "doc-values");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char needle[64];

		t_doc_request("POST", "/api/v1/documents", s.access, NULL, cases[i].json, &r);
		t_assert_error(&r, 400, "validation_failed");
		snprintf(needle, sizeof(needle), "\"field\":\"%s\"", cases[i].field);
		cr_assert(strstr(r.body, needle), "%s -> %s", cases[i].json, r.body);
		t_http_free(&r);
	}
	memset(long_title, 'x', 201);
	long_title[201] = '\0';
	snprintf(body, sizeof(body), "{\"title\":\"%s\"}", long_title);
	t_doc_request("POST", "/api/v1/documents", s.access, NULL, body, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	/* 200 characters (not bytes) is fine: "é" is two bytes. */
	snprintf(body, sizeof(body), "{\"title\":\"");
	for (int i = 0; i < 200; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	t_doc_request("POST", "/api/v1/documents", s.access, NULL, body, &r);
	assert_status(&r, 201);
	t_http_free(&r);
	/* Query parameters on a write are unknown input too. */
	t_doc_request("POST", "/api/v1/documents?owner_id=x", s.access, NULL, "{\"title\":\"T\"}",
	              &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

/* ---- Pagination ------------------------------------------------------------------------ */

Test(documents, keyset_walk_every_order_sees_each_row_once_in_order)
{
	struct t_session s;
	static char ids[200][40];
	static const char *const sorts[] = {"-created_at", "created_at", "title", "-updated_at"};

	t_auth_signup(&s, "doc-walk");
	bulk_insert(&s, 45, "Walk");
	for (size_t k = 0; k < 4; k++) {
		char base[128];
		int n;

		snprintf(base, sizeof(base), "/api/v1/documents?limit=7&sort=%s", sorts[k]);
		n = walk(&s, base, ids, 200);
		cr_assert_eq(n, 45, "%s: %d rows", sorts[k], n);
		for (int i = 0; i < n; i++)
			for (int j = 0; j < i; j++)
				cr_assert(strcmp(ids[i], ids[j]) != 0, "%s repeats a row",
				          sorts[k]);
	}
	/* Order: titles "Walk 000001" (newest) … "Walk 000045" (oldest). */
	{
		struct http_response r;
		const char *a, *b;

		get(&s, "/api/v1/documents?limit=3&sort=title", &r);
		a = strstr(r.body, "Walk 000001");
		b = strstr(r.body, "Walk 000002");
		cr_assert(a && b && a < b, "%s", r.body);
		t_http_free(&r);
		get(&s, "/api/v1/documents?limit=2&sort=created_at", &r);
		a = strstr(r.body, "Walk 000045");
		b = strstr(r.body, "Walk 000044");
		cr_assert(a && b && a < b, "%s", r.body);
		t_http_free(&r);
		get(&s, "/api/v1/documents?limit=2", &r);
		a = strstr(r.body, "Walk 000001");
		b = strstr(r.body, "Walk 000002");
		cr_assert(a && b && a < b, "%s", r.body);
		cr_assert_eq(t_doc_round_trips(&r), 1);
		t_http_free(&r);
	}
}

Test(documents, keyset_breaks_ties_on_id)
{
	struct t_session s;
	PGconn *su;
	const char *p[2];
	static char ids[40][40];
	PGresult *r;

	t_auth_signup(&s, "doc-ties");
	su = t_pg("MENHIR_TEST_PG_SUPER");
	p[0] = s.tenant_id;
	p[1] = s.user_id;
	/* Twelve documents created at the very same microsecond, same title. */
	r = PQexecParams(
	        su,
	        "INSERT INTO documents (tenant_id, owner_id, title, created_at, updated_at)"
	        " SELECT $1::uuid, $2::uuid, 'Same', '2020-01-01Z', '2020-01-01Z'"
	        "   FROM generate_series(1, 12)",
	        2, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(su));
	PQclear(r);
	PQfinish(su);
	cr_assert_eq(walk(&s, "/api/v1/documents?limit=5", ids, 40), 12);
	cr_assert_eq(walk(&s, "/api/v1/documents?limit=5&sort=title", ids, 40), 12);
	cr_assert_eq(walk(&s, "/api/v1/documents?limit=5&sort=created_at", ids, 40), 12);
	for (int i = 0; i < 12; i++)
		for (int j = 0; j < i; j++)
			cr_assert(strcmp(ids[i], ids[j]) != 0);
}

Test(documents, limits_and_defaults)
{
	struct t_session s;
	struct http_response r;
	char ids[128][40], cursor[4096];

	t_auth_signup(&s, "doc-limit");
	bulk_insert(&s, 105, "Lim");
	get(&s, "/api/v1/documents", &r);
	cr_assert_eq(page_ids(&r, ids, 128, cursor, sizeof(cursor)), 20, "default page is 20");
	cr_assert(cursor[0] != '\0');
	t_http_free(&r);
	get(&s, "/api/v1/documents?limit=100", &r);
	cr_assert_eq(page_ids(&r, ids, 128, cursor, sizeof(cursor)), 100);
	t_http_free(&r);
	const char *bad[] = {"limit=0",       "limit=101",           "limit=abc", "limit=",
	                     "limit=5x",      "sort=-title",         "sort=",     "status=deleted",
	                     "owner_id=nope", "include_deleted=yes", "tag=",      "q="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128], field[32], needle[64];

		snprintf(path, sizeof(path), "/api/v1/documents?%s", bad[i]);
		get(&s, path, &r);
		t_assert_error(&r, 400, "validation_failed");
		snprintf(field, sizeof(field), "%.*s", (int)strcspn(bad[i], "="), bad[i]);
		snprintf(needle, sizeof(needle), "\"field\":\"%s\"", field);
		cr_assert(strstr(r.body, needle), "%s -> %s", bad[i], r.body);
		cr_assert_eq(t_doc_round_trips(&r), 0, "bad input never reaches the database");
		t_http_free(&r);
	}
}

Test(documents, unknown_and_repeated_parameters_are_400_with_every_detail)
{
	struct t_session s;
	struct http_response r;

	t_auth_signup(&s, "doc-params");
	get(&s, "/api/v1/documents?offset=20&page=3&limit=5&limit=6&sort=nope", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"offset\""), "%s", r.body);
	cr_assert(strstr(r.body, "\"field\":\"page\""), "%s", r.body);
	cr_assert(strstr(r.body, "given more than once"), "%s", r.body);
	cr_assert(strstr(r.body, "\"field\":\"sort\""), "%s", r.body);
	t_http_free(&r);
	get(&s, "/api/v1/documents/00000000-0000-4000-8000-000000000000?fields=title", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

Test(documents, cursor_is_opaque_and_validated)
{
	struct t_session s;
	struct http_response r;
	char ids[8][40], cursor[4096], path[8192];

	t_auth_signup(&s, "doc-cursor");
	bulk_insert(&s, 6, "Cur");
	get(&s, "/api/v1/documents?limit=2", &r);
	page_ids(&r, ids, 8, cursor, sizeof(cursor));
	t_http_free(&r);
	cr_assert(cursor[0] != '\0');
	cr_assert(strchr(cursor, '=') == NULL && strchr(cursor, '+') == NULL &&
	                  strchr(cursor, '/') == NULL,
	          "base64url without padding: %s", cursor);

	/* The cursor works for its own query... */
	snprintf(path, sizeof(path), "/api/v1/documents?limit=2&cursor=%s", cursor);
	get(&s, path, &r);
	assert_status(&r, 200);
	cr_assert(strstr(r.body, ids[0]) == NULL && strstr(r.body, ids[1]) == NULL);
	t_http_free(&r);
	/* ...the limit may change between pages... */
	snprintf(path, sizeof(path), "/api/v1/documents?limit=3&cursor=%s", cursor);
	get(&s, path, &r);
	assert_status(&r, 200);
	t_http_free(&r);
	/* ...but not the order or the filters, and garbage is refused. */
	const char *bad_queries[] = {"sort=title", "sort=created_at", "status=draft",
	                             "q=bulk",     "tag=bulk",        "include_deleted=true"};
	for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/documents?%s&cursor=%s", bad_queries[i],
		         cursor);
		get(&s, path, &r);
		t_assert_error(&r, 400, "validation_failed");
		cr_assert(strstr(r.body, "\"field\":\"cursor\""), "%s", r.body);
		t_http_free(&r);
	}
	/* Forged cursors: not base64url, not JSON, wrong shape, SQL in the key. */
	const char *forged[] = {
	        "!!!",
	        "bm90IGpzb24", /* "not json" */
	        /* {"s":"-created_at","k":"yesterday","i":"00000000-0000-4000-8000-000000000000","f":"x"}
	         */
	        "eyJzIjoiLWNyZWF0ZWRfYXQiLCJrIjoieWVzdGVyZGF5IiwiaSI6IjAwMDAwMDAwLTAwMDAtNDAwMC04MD"
	        "AwLTAwMDAwMDAwMDAwMCIsImYiOiJ4In0",
	        /* {"s":"-created_at","k":"2024-01-01T00:00:00.000000Z'; DROP TABLE documents;
	           --","i":"x","f":"y"} */
	        "eyJzIjoiLWNyZWF0ZWRfYXQiLCJrIjoiMjAyNC0wMS0wMVQwMDowMDowMC4wMDAwMDBaJzsgRFJPUCBUQU"
	        "JMRSBkb2N1bWVudHM7IC0tIiwiaSI6IngiLCJmIjoieSJ9",
	};
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		snprintf(path, sizeof(path), "/api/v1/documents?cursor=%s", forged[i]);
		get(&s, path, &r);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
	}
	/* A tampered byte in a real cursor. */
	cursor[5] = cursor[5] == 'A' ? 'B' : 'A';
	snprintf(path, sizeof(path), "/api/v1/documents?limit=2&cursor=%s", cursor);
	get(&s, path, &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	t_http_free(&r);
}

/* The list writes its items in C (render.c), GET /:id has PostgreSQL's row_to_json write
 * the document: the same document must come out as the same bytes, body aside, whatever
 * its title and tags hold (escapes, UTF-8, control characters that only hand-written SQL
 * can store) and whether or not it is deleted. */
Test(documents, list_items_are_the_bytes_get_answers_without_body)
{
	struct t_session s;
	char ids[3][40], path[160], sql[512];
	struct http_response list, one;
	PGconn *su;
	PGresult *r;

	t_auth_signup(&s, "doc-render");
	t_doc_create(&s,
	             "{\"title\":\"Tricky \\\"q\\\" \\\\ / <> \\u00e9 \\u2713 \\ud83d\\ude00\","
	             "\"tags\":[\"a\\\"b\",\"c\\\\d\",\"\\u00fc\"],\"status\":\"published\"}",
	             ids[0]);
	t_doc_create(&s, "{\"title\":\"Deleted one\"}", ids[1]);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", ids[1]);
	t_doc_request("DELETE", path, s.access, NULL, NULL, &one);
	assert_status(&one, 204);
	t_http_free(&one);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO documents (tenant_id, owner_id, title, tags) VALUES ('%s', '%s',"
	         " E'Ctl \\b\\f\\n\\r\\t \\x01\\x1f end', ARRAY[E'x\\by', E'\\x02']) RETURNING id",
	         s.tenant_id, s.user_id);
	r = t_pg_ok(su, sql);
	snprintf(ids[2], sizeof(ids[2]), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);

	get(&s, "/api/v1/documents?include_deleted=true", &list);
	assert_status(&list, 200);
	for (int i = 0; i < 3; i++) {
		char *item, *body;

		snprintf(path, sizeof(path), "/api/v1/documents/%s?include_deleted=true", ids[i]);
		get(&s, path, &one);
		assert_status(&one, 200);
		/* {"data":{…,"title":…,"body":"","tags":…}} → {…,"title":…,"tags":…} */
		cr_assert(strncmp(one.body, "{\"data\":", 8) == 0, "%s", one.body);
		item = strdup(one.body + 8);
		item[strlen(item) - 1] = '\0';
		body = strstr(item, ",\"body\":\"\"");
		cr_assert(body != NULL, "%s", item);
		memmove(body, body + 10, strlen(body + 10) + 1);
		cr_assert(strstr(list.body, item) != NULL, "list item differs from GET:\n%s\nin\n%s",
		          item, list.body);
		free(item);
		t_http_free(&one);
	}
	t_http_free(&list);
}

/* bench/floor runs Menhir's list transaction by hand; its ratio means something only while
 * its statements are the ones the service queues for GET /documents?limit=20. */
Test(documents, bench_floor_runs_the_same_list_statements)
{
	static const struct {
		const char *flag, *statement;
	} same[] = {{"--print-list-sql", "documents_list_created_desc"},
	            {"--print-plan-sql", "documents_keyset_plan_generic"},
	            {"--print-enter-sql", NULL}}; /* the core's RLS context (core/db.h) */
	char cmd[4200], *dir = strdup(t_env("MENHIR_TEST_BIN")), *slash = strrchr(dir, '/');

	cr_assert(slash != NULL);
	*slash = '\0';
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		static char out[8192];
		size_t n;
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s/bench/floor %s", dir, same[i].flag);
		f = popen(cmd, "r");
		cr_assert(f != NULL);
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		cr_assert_eq(pclose(f), 0, "%s", cmd);
		if (n > 0 && out[n - 1] == '\n')
			out[n - 1] = '\0';
		cr_assert_str_eq(out, same[i].statement ? statement_sql(same[i].statement) : MH_DB_ENTER_SQL,
		                 "%s", same[i].flag);
	}
	free(dir);
}

/* EXPLAIN the list statements as menhir_app with the generic plan a prepared statement
 * gets: an index range scan in the list's order, no Sort, and a deep page touching no
 * more buffers than the first. */
static double plan_buffers(PGconn *c, const char *stmt, const char *key, const char *id,
                           char *plan_text, size_t plen)
{
	char sql[512];
	PGresult *r;
	json_object *root, *plan, *v;
	double hits;

	snprintf(sql, sizeof(sql),
	         "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, FORMAT JSON) EXECUTE %s('%s', '%s', NULL,"
	         " NULL, NULL, 21)",
	         stmt, key, id);
	r = t_pg_ok(c, sql);
	snprintf(plan_text, plen, "%s", PQgetvalue(r, 0, 0));
	root = json_tokener_parse(PQgetvalue(r, 0, 0));
	cr_assert(root != NULL);
	plan = json_object_object_get(json_object_array_get_idx(root, 0), "Plan");
	cr_assert(json_object_object_get_ex(plan, "Shared Hit Blocks", &v));
	hits = json_object_get_double(v);
	cr_assert(json_object_object_get_ex(plan, "Shared Read Blocks", &v));
	hits += json_object_get_double(v);
	json_object_put(root);
	PQclear(r);
	return hits;
}

Test(documents, list_plan_uses_the_index_and_page_n_costs_page_1)
{
	struct t_session s;
	static const struct {
		const char *stmt, *index, *first_key, *first_id, *order;
	} sorts[] = {
	        {"documents_list_created_desc", "documents_live_created", "infinity",
	         "ffffffff-ffff-ffff-ffff-ffffffffffff", "created_at DESC, id DESC"},
	        {"documents_list_created_asc", "documents_live_created", "-infinity",
	         "00000000-0000-0000-0000-000000000000", "created_at, id"},
	        {"documents_list_title_asc", "documents_live_title", "",
	         "00000000-0000-0000-0000-000000000000", "title, id"},
	        {"documents_list_updated_desc", "documents_live_updated", "infinity",
	         "ffffffff-ffff-ffff-ffff-ffffffffffff", "updated_at DESC, id DESC"},
	};
	PGconn *c, *su;
	static char plan[65536];

	t_auth_signup(&s, "doc-plan");
	bulk_insert(&s, 5000, "Plan");
	c = t_doc_pg_as(&s);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	PQclear(t_pg_ok(c, "SET LOCAL plan_cache_mode = force_generic_plan"));
	/* What the service queues before a list statement. */
	PQclear(t_pg_ok(c, statement_sql("documents_keyset_plan")));
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		PGresult *r = PQprepare(c, sorts[i].stmt, statement_sql(sorts[i].stmt), 6, NULL);
		char deep_sql[512], key[256], id[40];
		double first, deep;

		cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
		PQclear(r);
		cr_assert(strstr(statement_sql(sorts[i].stmt), "OFFSET") == NULL);
		first = plan_buffers(c, sorts[i].stmt, sorts[i].first_key, sorts[i].first_id, plan,
		                     sizeof(plan));
		/* The created_at orders may walk documents_all_created (same columns, every row)
		 * instead: equally in order, so the test accepts either. */
		cr_assert(strstr(plan, sorts[i].index) || (strstr(sorts[i].index, "created") &&
		                                           strstr(plan, "documents_all_created")),
		          "%s: %s", sorts[i].stmt, plan);
		cr_assert(strstr(plan, "\"Index Scan\""), "%s: %s", sorts[i].stmt, plan);
		cr_assert(strstr(plan, "Bitmap") == NULL, "%s: %s", sorts[i].stmt, plan);
		cr_assert(strstr(plan, "\"Sort\"") == NULL, "%s sorts: %s", sorts[i].stmt, plan);
		cr_assert(strstr(plan, "\"Seq Scan\"") == NULL, "%s: %s", sorts[i].stmt, plan);

		/* The position of row 4,500 in this order, as a cursor would carry it. */
		snprintf(
		        deep_sql, sizeof(deep_sql),
		        "SELECT %s, id FROM documents WHERE tenant_id = '%s' AND deleted_at IS NULL"
		        " ORDER BY %s OFFSET 4500 LIMIT 1",
		        strncmp(sorts[i].order, "title", 5) == 0 ? "title"
		        : strncmp(sorts[i].order, "updated", 7) == 0
		                ? "to_char(updated_at AT TIME ZONE 'UTC', "
		                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
		                : "to_char(created_at AT TIME ZONE 'UTC', "
		                  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
		        s.tenant_id, sorts[i].order);
		r = t_pg_ok(su, deep_sql);
		snprintf(key, sizeof(key), "%s", PQgetvalue(r, 0, 0));
		snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 1));
		PQclear(r);
		deep = plan_buffers(c, sorts[i].stmt, key, id, plan, sizeof(plan));
		cr_assert(strstr(plan, "\"Sort\"") == NULL, "%s: %s", sorts[i].stmt, plan);
		cr_assert(deep <= first + 4, "%s: page 226 touched %.0f buffers, page 1 %.0f",
		          sorts[i].stmt, deep, first);
	}
	PQclear(t_pg_ok(c, "ROLLBACK"));
	PQfinish(c);
	PQfinish(su);

	/* Through the API too: a deep page is one round trip like the first. */
	{
		struct http_response r;
		char ids[100][40], cursor[4096], path[8192];

		get(&s, "/api/v1/documents?limit=100", &r);
		page_ids(&r, ids, 100, cursor, sizeof(cursor));
		t_http_free(&r);
		for (int p = 0; p < 30; p++) {
			snprintf(path, sizeof(path), "/api/v1/documents?limit=100&cursor=%s",
			         cursor);
			get(&s, path, &r);
			assert_status(&r, 200);
			cr_assert_eq(t_doc_round_trips(&r), 1);
			page_ids(&r, ids, 100, cursor, sizeof(cursor));
			t_http_free(&r);
		}
	}
}

/* ---- Filters and search ---------------------------------------------------------------- */

Test(documents, filters_status_tag_owner_and_full_text)
{
	struct t_team t;
	struct http_response r;
	char a[40], b[40], c[40], d[40], ids[20][40], path[256];

	t_team_setup(&t, "doc-filter");
	t_doc_create(&t.as[T_OWNER],
	             "{\"title\":\"Rocket engine notes\",\"body\":\"liquid oxygen and kerosene\","
	             "\"tags\":[\"space\",\"eng\"],\"status\":\"published\"}",
	             a);
	t_doc_create(&t.as[T_OWNER],
	             "{\"title\":\"Garden plan\",\"body\":\"tomatoes, kerosene lamp\","
	             "\"tags\":[\"home\"]}",
	             b);
	t_doc_create(&t.as[T_MEMBER],
	             "{\"title\":\"Engine maintenance\",\"body\":\"oil change\","
	             "\"tags\":[\"eng\"],\"status\":\"archived\"}",
	             c);
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Élan vital\",\"body\":\"philosophy\"}", d);

	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?status=published", ids, 20), 1);
	cr_assert_str_eq(ids[0], a);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?status=draft", ids, 20), 2);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?tag=eng", ids, 20), 2);
	cr_assert(contains(ids, 2, a) && contains(ids, 2, c));
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?tag=eng&status=archived", ids, 20),
	             1);
	cr_assert_str_eq(ids[0], c);
	snprintf(path, sizeof(path), "/api/v1/documents?owner_id=%s", t.as[T_MEMBER].user_id);
	cr_assert_eq(walk(&t.as[T_VIEWER], path, ids, 20), 2);
	cr_assert(contains(ids, 2, c) && contains(ids, 2, d));
	/* Full text over title and body, websearch syntax, accent- and case-sensitive as the
	 * 'simple' configuration is (no stemming). */
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?q=kerosene", ids, 20), 2);
	cr_assert(contains(ids, 2, a) && contains(ids, 2, b));
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?q=ENGINE", ids, 20), 2);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?q=kerosene+-lamp", ids, 20), 1);
	cr_assert_str_eq(ids[0], a);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?q=%22oil+change%22", ids, 20), 1);
	cr_assert_str_eq(ids[0], c);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents?q=%C3%89lan", ids, 20), 1);
	cr_assert_str_eq(ids[0], d);
	cr_assert_eq(
	        walk(&t.as[T_VIEWER], "/api/v1/documents?q=engine&sort=title&limit=1", ids, 20), 2);
	cr_assert_str_eq(ids[0], c); /* "Engine maintenance" < "Rocket engine notes" */
	/* Operators and quotes that would break a raw to_tsquery are just words here. */
	get(&t.as[T_VIEWER], "/api/v1/documents?q=%27%29%7C%26%21%3A*", &r);
	assert_status(&r, 200);
	cr_assert_eq(t_doc_round_trips(&r), 1);
	t_http_free(&r);
}

/* ---- PATCH, If-Match ------------------------------------------------------------------- */

Test(documents, patch_updates_whitelisted_fields_and_bumps_version)
{
	struct t_session s;
	struct http_response r;
	char id[40], path[128], *etag, *etag2;

	t_auth_signup(&s, "doc-patch");
	t_doc_create(&s, "{\"title\":\"Before\",\"body\":\"keep me\",\"tags\":[\"x\"]}", id);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
	get(&s, path, &r);
	etag = t_header(&r, "ETag");
	t_http_free(&r);

	t_doc_request("PATCH", path, s.access, NULL,
	              "{\"title\":\"After\",\"tags\":[],\"status\":\"published\"}", &r);
	assert_status(&r, 200);
	cr_assert_eq(t_doc_round_trips(&r), 1);
	cr_assert(strstr(r.body, "\"title\":\"After\"") && strstr(r.body, "\"body\":\"keep me\"") &&
	                  strstr(r.body, "\"tags\":[]") &&
	                  strstr(r.body, "\"status\":\"published\"") &&
	                  strstr(r.body, "\"version\":2"),
	          "%s", r.body);
	etag2 = t_header(&r, "ETag");
	cr_assert(etag2 && strcmp(etag, etag2) != 0, "the ETag changes with the document");
	t_http_free(&r);
	get(&s, path, &r);
	cr_assert(strstr(r.body, "\"title\":\"After\""));
	free(etag);
	etag = t_header(&r, "ETag");
	cr_assert_str_eq(etag, etag2);
	t_http_free(&r);

	/* Mass assignment and unknown fields: 400, nothing changes. */
	const char *bad[] = {"{\"owner_id\":\"00000000-0000-4000-8000-000000000000\"}",
	                     "{\"tenant_id\":\"00000000-0000-4000-8000-000000000000\"}",
	                     "{\"id\":\"00000000-0000-4000-8000-000000000000\"}",
	                     "{\"title\":\"X\",\"version\":99}",
	                     "{\"created_at\":\"2020-01-01T00:00:00Z\"}",
	                     "{\"updated_at\":\"2020-01-01T00:00:00Z\"}",
	                     "{\"deleted_at\":null}",
	                     "{\"search\":\"x\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_doc_request("PATCH", path, s.access, NULL, bad[i], &r);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
	}
	t_doc_request("PATCH", path, s.access, NULL, "{}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_doc_request("PATCH", path, s.access, NULL, "{\"title\":null}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	get(&s, path, &r);
	cr_assert(strstr(r.body, "\"version\":2"), "%s", r.body);
	cr_assert(strstr(r.body, s.user_id));
	t_http_free(&r);
	free(etag);
	free(etag2);
}

Test(documents, if_match_gives_optimistic_concurrency)
{
	struct t_session s;
	struct http_response r;
	char id[40], path[128], hdr[200], *etag, *now;
	const char *h[2] = {hdr, NULL};
	char audit[256];

	t_auth_signup(&s, "doc-ifmatch");
	t_doc_create(&s, "{\"title\":\"Draft\"}", id);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
	get(&s, path, &r);
	etag = t_header(&r, "ETag");
	t_http_free(&r);

	/* Alice writes with the current ETag: fine. */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Alice\"}", &r);
	assert_status(&r, 200);
	now = t_header(&r, "ETag");
	t_http_free(&r);
	/* Bob still holds the old ETag: 412, his write is lost on purpose, and told the
	 * current ETag. */
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Bob\"}", &r);
	t_assert_error(&r, 412, "precondition_failed");
	cr_assert_eq(t_doc_round_trips(&r), 1);
	{
		char *cur = t_header(&r, "ETag");
		cr_assert_str_eq(cur, now);
		free(cur);
	}
	t_http_free(&r);
	/* A weak tag never satisfies If-Match (strong comparison); a list may hold the right
	 * one; "*" means "any version". */
	snprintf(hdr, sizeof(hdr), "If-Match: W/%s", now);
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Weak\"}", &r);
	t_assert_error(&r, 412, "precondition_failed");
	t_http_free(&r);
	snprintf(hdr, sizeof(hdr), "If-Match: %s, %s", etag, now);
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Listed\"}", &r);
	assert_status(&r, 200);
	t_http_free(&r);
	snprintf(hdr, sizeof(hdr), "If-Match: *");
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Star\"}", &r);
	assert_status(&r, 200);
	t_http_free(&r);
	snprintf(hdr, sizeof(hdr), "If-Match: not-quoted");
	t_doc_request("PATCH", path, s.access, h, "{\"title\":\"Bad\"}", &r);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
	/* DELETE honours it too. */
	snprintf(hdr, sizeof(hdr), "If-Match: %s", etag);
	t_doc_request("DELETE", path, s.access, h, NULL, &r);
	t_assert_error(&r, 412, "precondition_failed");
	t_http_free(&r);
	get(&s, path, &r);
	cr_assert(strstr(r.body, "\"title\":\"Star\""), "%s", r.body);
	cr_assert(strstr(r.body, "\"version\":4"), "%s", r.body);
	t_http_free(&r);
	/* Refused writes leave no audit row: created + three updates. */
	audit_actions(id, audit, sizeof(audit));
	cr_assert_str_eq(audit,
	                 "document_created,document_updated,document_updated,document_updated");
	free(etag);
	free(now);
}

/* ---- Delete, restore, include_deleted --------------------------------------------------- */

Test(documents, soft_delete_restore_and_include_deleted)
{
	struct t_team t;
	struct http_response r;
	char id[40], path[128], ids[20][40], audit[256];

	t_team_setup(&t, "doc-delete");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Doomed\"}", id);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", id);

	t_doc_request("DELETE", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	assert_status(&r, 204);
	cr_assert_eq(r.body_len, 0);
	cr_assert_eq(t_doc_round_trips(&r), 1);
	t_http_free(&r);
	get(&t.as[T_OWNER], path, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_doc_request("DELETE", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_doc_request("PATCH", path, t.as[T_OWNER].access, NULL, "{\"title\":\"x\"}", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	cr_assert_eq(walk(&t.as[T_OWNER], "/api/v1/documents", ids, 20), 0);

	/* Deleted rows: admin+ only, in the list and by id. */
	get(&t.as[T_MEMBER], "/api/v1/documents?include_deleted=true", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s?include_deleted=true", id);
	get(&t.as[T_VIEWER], path, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	get(&t.as[T_ADMIN], path, &r);
	assert_status(&r, 200);
	cr_assert(strstr(r.body, "\"deleted_at\":\"20"), "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(walk(&t.as[T_ADMIN], "/api/v1/documents?include_deleted=true", ids, 20), 1);
	cr_assert_eq(walk(&t.as[T_OWNER], "/api/v1/documents?include_deleted=false", ids, 20), 0);
	cr_assert_eq(
	        walk(&t.as[T_OWNER], "/api/v1/documents?include_deleted=true&sort=title", ids, 20),
	        1);

	/* Restore: admin+; a member (even the owner of the document) may not. */
	snprintf(path, sizeof(path), "/api/v1/documents/%s/restore", id);
	t_doc_request("POST", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_doc_request("POST", path, t.as[T_ADMIN].access, NULL, NULL, &r);
	assert_status(&r, 200);
	cr_assert(strstr(r.body, "\"deleted_at\":null"), "%s", r.body);
	cr_assert_eq(t_doc_round_trips(&r), 1);
	t_http_free(&r);
	t_doc_request("POST", path, t.as[T_OWNER].access, NULL, NULL, &r);
	t_assert_error(&r, 409, "not_deleted");
	t_http_free(&r);
	t_doc_request("POST", "/api/v1/documents/00000000-0000-4000-8000-000000000000/restore",
	              t.as[T_OWNER].access, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	cr_assert_eq(walk(&t.as[T_VIEWER], "/api/v1/documents", ids, 20), 1);

	audit_actions(id, audit, sizeof(audit));
	cr_assert_str_eq(audit, "document_created,document_deleted,document_restored");
}

/* ---- Roles ----------------------------------------------------------------------------- */

Test(documents, role_rules_viewer_reads_member_writes_own_admin_writes_all)
{
	struct t_team t;
	struct http_response r;
	char mine[40], theirs[40], path[128], id[40];
	static const long want_patch_theirs[T_NROLES] = {200, 200, 403, 403};
	static const long want_patch_mine[T_NROLES] = {200, 200, 200, 403};

	t_team_setup(&t, "doc-roles");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Member's\"}", mine);
	t_doc_create(&t.as[T_OWNER], "{\"title\":\"Owner's\"}", theirs);

	for (int role = 0; role < T_NROLES; role++) {
		const struct t_session *s = &t.as[role];

		get(s, "/api/v1/documents", &r);
		assert_status(&r, 200);
		t_http_free(&r);
		snprintf(path, sizeof(path), "/api/v1/documents/%s", theirs);
		get(s, path, &r);
		assert_status(&r, 200);
		t_http_free(&r);
		t_doc_request("POST", "/api/v1/documents", s->access, NULL, "{\"title\":\"Mine\"}",
		              &r);
		cr_assert_eq(r.status, role == T_VIEWER ? 403 : 201, "%s: %s", t_role_names[role],
		             r.body);
		t_http_free(&r);
		t_doc_request("PATCH", path, s->access, NULL, "{\"status\":\"published\"}", &r);
		cr_assert_eq(r.status, want_patch_theirs[role], "%s: %s", t_role_names[role],
		             r.body);
		t_http_free(&r);
		snprintf(path, sizeof(path), "/api/v1/documents/%s", mine);
		t_doc_request("PATCH", path, s->access, NULL, "{\"status\":\"published\"}", &r);
		cr_assert_eq(r.status, want_patch_mine[role], "%s: %s", t_role_names[role], r.body);
		t_http_free(&r);
	}
	/* Deleting someone else's document: admin+ only. */
	for (int role = T_VIEWER; role >= 0; role--) {
		const struct t_session *s = &t.as[role];

		t_doc_create(&t.as[T_OWNER], "{\"title\":\"Target\"}", id);
		snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
		t_doc_request("DELETE", path, s->access, NULL, NULL, &r);
		cr_assert_eq(r.status, role <= T_ADMIN ? 204 : 403, "%s: %s", t_role_names[role],
		             r.body);
		t_http_free(&r);
	}
	/* A member deletes their own. */
	snprintf(path, sizeof(path), "/api/v1/documents/%s", mine);
	t_doc_request("DELETE", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	assert_status(&r, 204);
	t_http_free(&r);
}

Test(documents, demotion_takes_effect_on_the_next_request)
{
	struct t_team t;
	struct http_response r;
	char path[160], body[64];

	t_team_setup(&t, "doc-demote");
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[T_MEMBER].user_id);
	snprintf(body, sizeof(body), "{\"role\":\"viewer\"}");
	t_doc_request("PATCH", path, t.as[T_OWNER].access, NULL, body, &r);
	assert_status(&r, 200);
	t_http_free(&r);
	/* The member's token still says "member"; the database knows better. */
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, NULL,
	              "{\"title\":\"Too late\"}", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
}

/* ---- Idempotency ----------------------------------------------------------------------- */

Test(documents, idempotency_key_replays_the_first_response)
{
	struct t_team t;
	struct http_response r1, r2, r3;
	const char *h[] = {"Idempotency-Key: order-7f1c", NULL};
	const char *hq[] = {"Idempotency-Key: \"order-7f1c\"", NULL};
	const char *body = "{\"title\":\"Invoice 7\",\"tags\":[\"billing\"]}";
	char *l1, *l2, *rep, ids[20][40], id[40], audit[256];

	t_team_setup(&t, "doc-idem");
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, h, body, &r1);
	assert_status(&r1, 201);
	cr_assert_eq(t_doc_round_trips(&r1), 1);
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, h, body, &r2);
	assert_status(&r2, 201);
	cr_assert_eq(t_doc_round_trips(&r2), 1);
	cr_assert_str_eq(r2.body, r1.body, "the replay is the first response, byte for byte");
	l1 = t_header(&r1, "Location");
	l2 = t_header(&r2, "Location");
	cr_assert_str_eq(l1, l2);
	rep = t_header(&r2, "Idempotent-Replayed");
	cr_assert_str_eq(rep, "true");
	free(rep);
	cr_assert_null(t_header(&r1, "Idempotent-Replayed"));
	/* The quoted (structured field) spelling is the same key. */
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, hq, body, &r3);
	assert_status(&r3, 201);
	cr_assert_str_eq(r3.body, r1.body);
	t_http_free(&r3);

	/* Same key, different body: 422, nothing created. */
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, h,
	              "{\"title\":\"Invoice 8\"}", &r3);
	t_assert_error(&r3, 422, "idempotency_key_reused");
	t_http_free(&r3);
	/* Keys belong to a user: another user's identical key is a new request. */
	t_doc_request("POST", "/api/v1/documents", t.as[T_ADMIN].access, h, body, &r3);
	assert_status(&r3, 201);
	cr_assert(strcmp(r3.body, r1.body) != 0);
	t_http_free(&r3);
	cr_assert_eq(walk(&t.as[T_OWNER], "/api/v1/documents?tag=billing", ids, 20), 2);

	/* After 24 hours the key is forgotten and may be used again. */
	{
		PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
		const char *p[2] = {t.as[T_MEMBER].user_id, "order-7f1c"};
		PGresult *r =
		        PQexecParams(su,
		                     "UPDATE idempotency_keys SET created_at = now() - interval"
		                     " '25 hours' WHERE user_id = $1 AND key = $2",
		                     2, NULL, p, NULL, NULL, 0);
		cr_assert_str_eq(PQcmdTuples(r), "1");
		PQclear(r);
		PQfinish(su);
	}
	t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, h,
	              "{\"title\":\"Invoice 9\",\"tags\":[\"billing\"]}", &r3);
	assert_status(&r3, 201);
	t_http_free(&r3);
	cr_assert_eq(walk(&t.as[T_OWNER], "/api/v1/documents?tag=billing", ids, 20), 3);

	/* Exactly one audit row for the replayed creation. */
	t_doc_data_str(&r1, "id", id, sizeof(id));
	audit_actions(id, audit, sizeof(audit));
	cr_assert_str_eq(audit, "document_created");

	/* Malformed keys are refused. */
	const char *bad[] = {"Idempotency-Key: has space", "Idempotency-Key: \"\"",
	                     "Idempotency-Key: caf\xc3\xa9"};
	for (size_t i = 0; i < 3; i++) {
		const char *hb[] = {bad[i], NULL};
		t_doc_request("POST", "/api/v1/documents", t.as[T_MEMBER].access, hb, body, &r3);
		t_assert_error(&r3, 400, "bad_request");
		t_http_free(&r3);
	}
	free(l1);
	free(l2);
	t_http_free(&r1);
	t_http_free(&r2);
}

struct racer {
	const char *token;
	const char *key_header;
	const char *body;
	struct http_response r;
};

static void *race(void *arg)
{
	struct racer *x = arg;
	const char *h[] = {x->key_header, NULL};

	t_doc_request("POST", "/api/v1/documents", x->token, h, x->body, &x->r);
	return NULL;
}

static int waiting_on_lock(PGconn *su)
{
	PGresult *r = t_pg_ok(su, "SELECT count(*) FROM pg_stat_activity"
	                          " WHERE wait_event_type = 'Lock' AND usename = 'menhir_app'");
	int n = atoi(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

/*
 * Two requests with the same key in flight at once. The first is held inside its
 * transaction (after taking the key's advisory lock) by a row the test keeps locked; the
 * second, on another thread, must get 409 at once rather than wait or create a duplicate.
 * Released, the first completes with 201, and a retry replays it.
 */
Test(documents, idempotency_key_concurrent_duplicate_gets_409)
{
	struct t_session s;
	PGconn *su;
	pthread_t t1, t2;
	struct racer a, b;
	const char *body = "{\"title\":\"Race winner\"}";
	const char *p[3];
	struct http_response r;
	char ids[10][40];
	PGresult *res;

	t_auth_signup(&s, "doc-race");
	su = t_pg("MENHIR_TEST_PG_SUPER");
	p[0] = s.tenant_id;
	p[1] = s.user_id;
	p[2] = "race-key-1";
	PQclear(t_pg_ok(su, "BEGIN"));
	res = PQexecParams(
	        su,
	        "INSERT INTO idempotency_keys (tenant_id, user_id, route, key, body_hash,"
	        " status, body) VALUES ($1, $2, 'POST /api/v1/documents', $3,"
	        " decode(repeat('00', 32), 'hex'), 201, '{}')",
	        3, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s", PQerrorMessage(su));
	PQclear(res);

	a = (struct racer){s.access, "Idempotency-Key: race-key-1", body, {0}};
	b = a;
	pthread_create(&t1, NULL, race, &a);
	{
		PGconn *watch = t_pg("MENHIR_TEST_PG_SUPER");
		int tries = 0;

		/* Up to 15 s: a loaded machine can take seconds to get the request there. */
		while (waiting_on_lock(watch) == 0 && tries++ < 3000)
			usleep(5000);
		PQfinish(watch);
		cr_assert(tries < 3000, "the first request never reached the key row");
	}
	pthread_create(&t2, NULL, race, &b);
	pthread_join(t2, NULL);
	t_assert_error(&b.r, 409, "idempotency_key_in_use");
	{
		char *ra = t_header(&b.r, "Retry-After");
		cr_assert_str_eq(ra, "1");
		free(ra);
	}
	PQclear(t_pg_ok(su, "ROLLBACK"));
	pthread_join(t1, NULL);
	assert_status(&a.r, 201);
	PQfinish(su);

	t_doc_request("POST", "/api/v1/documents", s.access,
	              (const char *[]){"Idempotency-Key: race-key-1", NULL}, body, &r);
	assert_status(&r, 201);
	cr_assert_str_eq(r.body, a.r.body);
	t_http_free(&r);
	cr_assert_eq(walk(&s, "/api/v1/documents", ids, 10), 1, "exactly one document");
	t_http_free(&a.r);
	t_http_free(&b.r);
}

/* Many parallel twins, no stage management: whatever interleaving happens, one document. */
Test(documents, idempotency_key_parallel_burst_creates_one_document)
{
	enum { N = 8 };
	struct t_session s;
	pthread_t th[N];
	struct racer x[N];
	char ids[10][40], *loc0 = NULL;
	int created = 0;

	t_auth_signup(&s, "doc-burst");
	for (int i = 0; i < N; i++) {
		x[i] = (struct racer){
		        s.access, "Idempotency-Key: burst-1", "{\"title\":\"Burst\"}", {0}};
		pthread_create(&th[i], NULL, race, &x[i]);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		cr_assert(x[i].r.status == 201 || x[i].r.status == 409, "%ld %s", x[i].r.status,
		          x[i].r.body);
		if (x[i].r.status == 201) {
			char *loc = t_header(&x[i].r, "Location");

			if (loc0 == NULL)
				loc0 = loc;
			else {
				cr_assert_str_eq(loc, loc0);
				free(loc);
			}
			created++;
		}
		t_http_free(&x[i].r);
	}
	cr_assert(created >= 1);
	cr_assert_eq(walk(&s, "/api/v1/documents", ids, 10), 1);
	free(loc0);
}

/* ---- Audit ----------------------------------------------------------------------------- */

Test(documents, every_write_is_audited_with_actor_and_request)
{
	struct t_team t;
	struct http_response r;
	char id[40], path[128];
	PGconn *su;
	PGresult *res;
	const char *p[1];
	char *rid;

	t_team_setup(&t, "doc-audit");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Audited\"}", id);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
	t_doc_request("PATCH", path, t.as[T_ADMIN].access, NULL, "{\"title\":\"Edited\"}", &r);
	assert_status(&r, 200);
	rid = t_header(&r, "X-Request-Id");
	t_http_free(&r);
	t_doc_request("DELETE", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s/restore", id);
	t_doc_request("POST", path, t.as[T_OWNER].access, NULL, NULL, &r);
	t_http_free(&r);

	su = t_pg("MENHIR_TEST_PG_SUPER");
	p[0] = id;
	res = PQexecParams(su,
	                   "SELECT action, actor_id, tenant_id, target, request_id FROM audit_log"
	                   " WHERE split_part(target, ' ', 1) = $1 ORDER BY created_at",
	                   1, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQntuples(res), 4);
	cr_assert_str_eq(PQgetvalue(res, 0, 0), "document_created");
	cr_assert_str_eq(PQgetvalue(res, 0, 1), t.as[T_MEMBER].user_id);
	cr_assert_str_eq(PQgetvalue(res, 1, 0), "document_updated");
	cr_assert_str_eq(PQgetvalue(res, 1, 1), t.as[T_ADMIN].user_id);
	cr_assert(strstr(PQgetvalue(res, 1, 3), "title"), "the fields changed: %s",
	          PQgetvalue(res, 1, 3));
	cr_assert_str_eq(PQgetvalue(res, 1, 4), rid);
	cr_assert_str_eq(PQgetvalue(res, 2, 0), "document_deleted");
	cr_assert_str_eq(PQgetvalue(res, 3, 0), "document_restored");
	cr_assert_str_eq(PQgetvalue(res, 3, 1), t.as[T_OWNER].user_id);
	for (int i = 0; i < 4; i++)
		cr_assert_str_eq(PQgetvalue(res, i, 2), t.as[T_OWNER].tenant_id);
	PQclear(res);
	PQfinish(su);
	free(rid);
	/* And the admin reads it through the API. */
	get(&t.as[T_ADMIN], "/api/v1/tenants/current/audit?limit=100", &r);
	cr_assert(strstr(r.body, "document_restored"), "%s", r.body);
	t_http_free(&r);
}

/* ---- RLS alone ------------------------------------------------------------------------- */

/* Runs a statement of the repository (by name, its exact SQL) in c; returns its rows. */
static int run_statement(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	int rows;

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	rows = PQntuples(r);
	PQclear(r);
	return rows;
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *out;

	cr_assert(at != NULL, "no \"%s\" in %s", from, s);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

Test(documents, rls_alone_hides_another_tenants_rows_from_the_repository)
{
	struct t_team a;
	struct t_session b;
	char doc[40], own[40];
	PGconn *cb, *ca;
	const char *get_sql = statement_sql("documents_get");
	const char *p_get[2] = {doc, "true"};
	char *list_sql;
	const char *p_list[6] = {
	        "infinity", "ffffffff-ffff-ffff-ffff-ffffffffffff", NULL, NULL, NULL, "100"};

	t_team_setup(&a, "doc-rls-a");
	t_auth_signup(&b, "doc-rls-b");
	t_doc_create(&a.as[T_OWNER], "{\"title\":\"A secret\"}", doc);
	t_doc_create(&b, "{\"title\":\"B own\"}", own);

	/* The by-id statement names no tenant at all: only RLS can stop it. */
	cr_assert(strstr(get_sql, "tenant_id") == NULL, "%s", get_sql);
	cb = t_doc_pg_as(&b);
	cr_assert_eq(run_statement(cb, get_sql, 2, p_get), 0, "tenant B read A's row");
	ca = t_doc_pg_as(&a.as[T_VIEWER]);
	cr_assert_eq(run_statement(ca, get_sql, 2, p_get), 1);

	/* The list statement with its tenant filter cut out: still only the caller's rows. */
	list_sql = replace(statement_sql("documents_list_created_desc_all"),
	                   DOCUMENTS_TENANT_FILTER, "true");
	cr_assert_eq(run_statement(cb, list_sql, 6, p_list), 1, "B sees exactly its own row");
	cr_assert_eq(run_statement(ca, list_sql, 6, p_list), 1);
	free(list_sql);

	/* Writes: the policies refuse what the role rules forbid, whatever the SQL says. */
	{
		const char *p[1] = {doc};
		PGresult *r = PQexecParams(cb, "UPDATE documents SET title = 'pwned' WHERE id = $1",
		                           1, NULL, p, NULL, NULL, 0);
		cr_assert_str_eq(PQcmdTuples(r), "0");
		PQclear(r);
	}
	PQclear(t_pg_ok(cb, "ROLLBACK"));
	PQfinish(cb);
	PQclear(t_pg_ok(ca, "ROLLBACK"));
	PQfinish(ca);
	{
		PGconn *cm = t_doc_pg_as(&a.as[T_MEMBER]);
		const char *p[1] = {doc};
		char state[6];
		PGresult *r =
		        PQexecParams(cm, "UPDATE documents SET title = 'mine now' WHERE id = $1", 1,
		                     NULL, p, NULL, NULL, 0);

		cr_assert_str_eq(PQcmdTuples(r), "0", "a member updated someone else's row");
		PQclear(r);
		/* Inserting a row owned by someone else: refused by WITH CHECK. */
		r = PQexecParams(cm,
		                 "INSERT INTO documents (tenant_id, owner_id, title)"
		                 " SELECT app_tenant_id(), m.user_id, 'forged' FROM memberships m"
		                 "  WHERE m.role = 'owner'",
		                 0, NULL, NULL, NULL, NULL, 0);
		snprintf(state, sizeof(state), "%s",
		         PQresultErrorField(r, PG_DIAG_SQLSTATE)
		                 ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
		                 : "");
		cr_assert_str_eq(state, "42501");
		PQclear(r);
		PQclear(t_pg_ok(cm, "ROLLBACK"));
		PQfinish(cm);
	}
	{
		/* A viewer cannot insert even their own; tenant_id cannot be changed at all. */
		PGconn *cv = t_doc_pg_as(&a.as[T_VIEWER]);
		char state[6];

		t_pg_state(cv,
		           "INSERT INTO documents (tenant_id, owner_id, title)"
		           " VALUES (app_tenant_id(), app_user_id(), 'viewer')",
		           state);
		cr_assert_str_eq(state, "42501");
		PQfinish(cv);
		cv = t_doc_pg_as(&a.as[T_OWNER]);
		t_pg_state(cv, "UPDATE documents SET tenant_id = gen_random_uuid()", state);
		cr_assert_str_eq(state, "42501", "tenant_id is not updatable by menhir_app");
		PQfinish(cv);
	}
}

Test(documents, restore_is_admin_only_in_the_database_too)
{
	struct t_team t;
	struct http_response r;
	char id[40], path[128], state[6];
	PGconn *cm;

	t_team_setup(&t, "doc-rls-restore");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Own\"}", id);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", id);
	t_doc_request("DELETE", path, t.as[T_MEMBER].access, NULL, NULL, &r);
	assert_status(&r, 204);
	t_http_free(&r);
	cm = t_doc_pg_as(&t.as[T_MEMBER]);
	snprintf(path, sizeof(path), "UPDATE documents SET deleted_at = NULL WHERE id = '%s'", id);
	t_pg_state(cm, path, state);
	cr_assert_str_eq(state, "MH403");
	PQfinish(cm);
}
