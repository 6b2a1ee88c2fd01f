/* it_webhooks.c - webhooks end to end: the tenant's secret (shown once, admin+, audited),
 * signed deliveries to a receiver on loopback that verifies them with that secret, retries
 * until a failing receiver takes the event, the deliveries list, and that neither the secret,
 * a signature nor the webhook URL's query string reaches any log.
 *
 * The stack must run with webhook_allow_private = true (script/test sets
 * MENHIR_WEBHOOK_ALLOW_PRIVATE), since the receiver is on 127.0.0.1. Jobs with a webhook_url
 * are queued in two ways: the processing endpoint (POST /documents/:id/process), the
 * production path, when the binary has it; and test.echo jobs (modules/testsupport) inserted
 * with a webhook_url, which exercise the delivery whatever queued the job. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job_helpers.h"
#include "jsonschema.h"
#include "modules/webhooks/webhooks.h"
#include "secrets.h"
#include "webhook_receiver.h"

TestSuite(webhooks, .timeout = 120);

#define SECRET_PATH "/api/v1/tenants/current/webhook-secret"
#define DELIVERIES "/api/v1/jobs/:id/deliveries"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void expect_documented(const char *method, const char *pattern,
			      const struct http_response *r)
{
	char err[2048];

	cr_expect_eq(t_contract_validate(method, pattern, r->status, r->body, err, sizeof(err)), 0,
		     "%s %s %ld: %s", method, pattern, r->status, err);
}

/* POSTs a new secret as s; asserts 201 and copies it into out. */
static void new_secret(const struct t_session *s, char out[WEBHOOKS_SECRET_SIZE])
{
	struct http_response r;

	t_doc_request("POST", SECRET_PATH, s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	expect_documented("POST", SECRET_PATH, &r);
	t_doc_data_str(&r, "secret", out, WEBHOOKS_SECRET_SIZE);
	t_http_free(&r);
}

/* A test.echo job of s's with this payload plus the webhook_url member (when url is not
 * NULL), inserted as PostgreSQL's superuser (the API that sets a webhook_url belongs to the
 * processing module). */
static void insert_job(const struct t_session *s, const char *payload, const char *url,
		       int max_attempts, char id[40])
{
	char ma[16];
	const char *p[5] = { s->tenant_id, s->user_id, payload, url, ma };
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *r;

	snprintf(ma, sizeof(ma), "%d", max_attempts);
	r = PQexecParams(su,
			 "INSERT INTO jobs (tenant_id, created_by, kind, payload, max_attempts)"
			 " VALUES ($1, $2, 'test.echo',"
			 "         $3::jsonb || jsonb_strip_nulls(jsonb_build_object('webhook_url', $4::text)),"
			 "         $5::int) RETURNING id",
			 5, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);
}

/* The delivery job of job_id once it is final: status, attempts, result, error. */
struct delivery_job {
	char id[40], status[16], result[256], error[512];
	int attempts;
};

static void wait_delivery_job(const char *job_id, const char *want, struct delivery_job *d,
			      int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	const char *p[1] = { job_id };
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	for (;;) {
		PGresult *r = PQexecParams(
			su,
			"SELECT id, status, attempts, coalesce(result::text, ''), coalesce(error, '')"
			"  FROM jobs WHERE kind = 'webhook.deliver' AND payload->>'job_id' = $1",
			1, NULL, p, NULL, NULL, 0);
		cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
		int n = PQntuples(r);

		cr_assert(n <= 1, "more than one delivery job for %s", job_id);
		if (n == 1) {
			snprintf(d->id, sizeof(d->id), "%s", PQgetvalue(r, 0, 0));
			snprintf(d->status, sizeof(d->status), "%s", PQgetvalue(r, 0, 1));
			d->attempts = atoi(PQgetvalue(r, 0, 2));
			snprintf(d->result, sizeof(d->result), "%s", PQgetvalue(r, 0, 3));
			snprintf(d->error, sizeof(d->error), "%s", PQgetvalue(r, 0, 4));
		}
		PQclear(r);
		if (n == 1 && strcmp(d->status, want) == 0)
			break;
		cr_assert(now_ms() < end, "the delivery of job %s is not %s (%s)", job_id, want,
			  d->status);
		sleep_ms(50);
	}
	PQfinish(su);
}

/* GET the job's deliveries as s (query may be ""); returns the parsed body (caller puts). */
static json_object *deliveries(const struct t_session *s, const char *job_id, const char *query,
			       long want_status)
{
	char path[256];
	struct http_response r;
	json_object *root;

	snprintf(path, sizeof(path), "/api/v1/jobs/%s/deliveries%s", job_id, query);
	t_doc_request("GET", path, s->access, NULL, NULL, &r);
	cr_assert_eq(r.status, want_status, "GET %s: %ld %s", path, r.status, r.body);
	expect_documented("GET", DELIVERIES, &r);
	root = json_tokener_parse(r.body);
	cr_assert_not_null(root);
	t_http_free(&r);
	return root;
}

static json_object *member(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s in %s", key,
		  json_object_to_json_string(o));
	return v;
}

static const char *str(json_object *o, const char *key)
{
	return json_object_get_string(member(o, key));
}

/* A received delivery: signed with secret, within the window; returns the parsed event
 * (caller puts). */
static json_object *verified_event(const struct t_received *q, const char *secret)
{
	char *sig = t_received_header(q, "Menhir-Signature"), *evt, *ua, *ct;
	json_object *event;
	int rc;

	cr_assert_not_null(sig, "no Menhir-Signature in %s", q->head);
	rc = webhooks_verify(secret, sig, q->body, q->body_len, (long long)time(NULL), 300);
	cr_assert_eq(rc, WEBHOOKS_SIG_OK, "signature %s does not verify (%d)", sig, rc);
	cr_assert(strncmp(sig, "t=", 2) == 0 && strstr(sig, ",v1=") != NULL, "%s", sig);
	event = json_tokener_parse(q->body);
	cr_assert_not_null(event, "the body is not JSON: %s", q->body);
	evt = t_received_header(q, "Menhir-Event-Id");
	cr_assert(evt != NULL && strcmp(evt, str(event, "id")) == 0, "Menhir-Event-Id %s",
		  evt ? evt : "(none)");
	ua = t_received_header(q, "User-Agent");
	cr_assert_str_eq(ua, "Menhir-Webhooks/1");
	ct = t_received_header(q, "Content-Type");
	cr_assert_str_eq(ct, "application/json");
	free(sig);
	free(evt);
	free(ua);
	free(ct);
	return event;
}

/* ---- The secret ------------------------------------------------------------------------ */

Test(webhooks, secret_is_shown_once_to_admins_and_audited)
{
	struct t_team t;
	struct http_response r;
	char first[WEBHOOKS_SECRET_SIZE], second[WEBHOOKS_SECRET_SIZE], made[40], *loc;

	t_team_setup(&t, "wh-secret");
	t_doc_request("GET", SECRET_PATH, t.as[T_ADMIN].access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	expect_documented("GET", SECRET_PATH, &r);
	cr_assert(strstr(r.body, "\"exists\":false") != NULL, "%s", r.body);
	t_http_free(&r);

	t_doc_request("POST", SECRET_PATH, t.as[T_OWNER].access, NULL, NULL, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	loc = t_header(&r, "Location");
	cr_assert(loc != NULL && strcmp(loc, SECRET_PATH) == 0);
	free(loc);
	loc = t_header(&r, "Cache-Control");
	cr_assert(loc != NULL && strstr(loc, "no-store") != NULL, "the secret may be cached");
	free(loc);
	t_doc_data_str(&r, "secret", first, sizeof(first));
	t_doc_data_str(&r, "created_at", made, sizeof(made));
	t_http_free(&r);
	cr_assert_eq(strlen(first), WEBHOOKS_SECRET_SIZE - 1, "%s", first);
	cr_assert_eq(strncmp(first, "whsec_", 6), 0);

	/* Afterwards only whether it exists and since when: never the secret. */
	t_doc_request("GET", SECRET_PATH, t.as[T_OWNER].access, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "\"exists\":true") != NULL && strstr(r.body, made) != NULL,
		  "%s", r.body);
	cr_assert(strstr(r.body, first) == NULL && strstr(r.body, "whsec_") == NULL);
	t_http_free(&r);

	/* An admin may make a new one, which replaces the first. */
	new_secret(&t.as[T_ADMIN], second);
	cr_assert_str_neq(first, second);
	{
		PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
		const char *p[1] = { t.as[T_OWNER].tenant_id };
		PGresult *q = PQexecParams(su,
					   "SELECT secret FROM tenant_webhook_secrets"
					   " WHERE tenant_id = $1",
					   1, NULL, p, NULL, NULL, 0);
		cr_assert_eq(PQntuples(q), 1);
		cr_assert_str_eq(PQgetvalue(q, 0, 0), second);
		PQclear(q);
		/* Audited, without the secret. */
		q = PQexecParams(su,
				 "SELECT count(*) FILTER (WHERE action = 'webhook_secret.rotated'),"
				 "       count(*) FILTER (WHERE coalesce(target, '') LIKE '%whsec_%')"
				 "  FROM audit_log WHERE tenant_id = $1",
				 1, NULL, p, NULL, NULL, 0);
		cr_assert_str_eq(PQgetvalue(q, 0, 0), "2");
		cr_assert_str_eq(PQgetvalue(q, 0, 1), "0");
		PQclear(q);
		PQfinish(su);
	}

	/* Members and viewers neither make nor see it. */
	for (int role = T_MEMBER; role <= T_VIEWER; role++) {
		t_doc_request("POST", SECRET_PATH, t.as[role].access, NULL, NULL, &r);
		t_assert_error(&r, 403, "forbidden");
		t_http_free(&r);
		t_doc_request("GET", SECRET_PATH, t.as[role].access, NULL, NULL, &r);
		t_assert_error(&r, 403, "forbidden");
		t_http_free(&r);
	}
	/* The route takes no body and no query. */
	t_doc_request("POST", SECRET_PATH, t.as[T_OWNER].access, NULL, "{\"secret\":\"mine\"}", &r);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
	t_doc_request("GET", SECRET_PATH "?reveal=1", t.as[T_OWNER].access, NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

/* ---- Deliveries ------------------------------------------------------------------------ */

/* The log files of the stack under test. */
static const char *const log_files[] = { "menhir.log", "work.log", "nginx/access.log",
					 "nginx/error.log", "pg.log" };

static void assert_not_logged(const char *what, const char *value)
{
	for (size_t i = 0; i < sizeof(log_files) / sizeof(*log_files); i++) {
		char path[1024], *data;
		size_t n = 0, got;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", t_env("MENHIR_TEST_STATE"), log_files[i]);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		data = malloc((size_t)ftell(f) + 1);
		cr_assert_not_null(data);
		rewind(f);
		while ((got = fread(data + n, 1, 1 << 16, f)) > 0)
			n += got;
		fclose(f);
		cr_expect(memmem(data, n, value, strlen(value)) == NULL, "%s (%s) is in %s", what,
			  value, log_files[i]);
		free(data);
	}
}

Test(webhooks, delivery_is_signed_with_the_current_secret)
{
	static const char *const script[] = { T_HTTP_200 };
	struct t_receiver rcv;
	struct t_team t;
	struct delivery_job d;
	char old[WEBHOOKS_SECRET_SIZE], secret[WEBHOOKS_SECRET_SIZE], job[40], url[256];
	char *sig;
	json_object *event, *data, *list, *row;

	t_team_setup(&t, "wh-deliver");
	new_secret(&t.as[T_OWNER], old);
	new_secret(&t.as[T_OWNER], secret);
	cr_assert_eq(t_receiver_start(&rcv, script, 1), 0);
	/* The query string is the kind of place receivers put a token: it must stay out of
	 * every log (script/test greps them for T_SECRET_WEBHOOK_QUERY too). */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hooks/menhir?token=%s", rcv.port,
		 T_SECRET_WEBHOOK_QUERY);
	insert_job(&t.as[T_MEMBER], "{\"n\":7}", url, 3, job);

	cr_assert_eq(t_receiver_wait(&rcv, 1, 20000), 1, "no delivery arrived");
	cr_assert(strncmp(rcv.received[0].head, "POST /hooks/menhir?token=", 25) == 0, "%s",
		  rcv.received[0].head);
	event = verified_event(&rcv.received[0], secret);
	/* Not with the secret it replaced. */
	sig = t_received_header(&rcv.received[0], "Menhir-Signature");
	cr_assert_eq(webhooks_verify(old, sig, rcv.received[0].body, rcv.received[0].body_len,
				     (long long)time(NULL), 300),
		     WEBHOOKS_SIG_MISMATCH);
	/* Nor after the body changed by one byte. */
	rcv.received[0].body[rcv.received[0].body_len - 2] ^= 1;
	cr_assert_eq(webhooks_verify(secret, sig, rcv.received[0].body, rcv.received[0].body_len,
				     (long long)time(NULL), 300),
		     WEBHOOKS_SIG_MISMATCH);
	rcv.received[0].body[rcv.received[0].body_len - 2] ^= 1;

	/* The event: the job as GET /jobs/:id shows it, in its final state. */
	cr_assert_str_eq(str(event, "type"), "job.succeeded");
	cr_assert_eq(strncmp(str(event, "id"), "evt_", 4), 0);
	cr_assert_eq(strlen(str(event, "created_at")), 27, "%s", str(event, "created_at"));
	data = member(event, "data");
	cr_assert_str_eq(str(data, "id"), job);
	cr_assert_str_eq(str(data, "kind"), "test.echo");
	cr_assert_str_eq(str(data, "status"), "succeeded");
	cr_assert_str_eq(str(data, "webhook_url"), url);
	cr_assert_eq(json_object_get_int(member(member(data, "result"), "n")), 7);
	{
		char path[128];
		struct http_response r;
		json_object *root;

		snprintf(path, sizeof(path), "/api/v1/jobs/%s", job);
		t_doc_request("GET", path, t.as[T_VIEWER].access, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		root = json_tokener_parse(r.body);
		cr_assert(json_object_equal(member(root, "data"), data), "event %s, API %s",
			  json_object_to_json_string(data), r.body);
		json_object_put(root);
		t_http_free(&r);
	}

	wait_delivery_job(job, "succeeded", &d, 30000);
	cr_assert_str_eq(d.result, "{\"attempt\": 1, \"status_code\": 200}");
	cr_assert_str_eq(str(event, "id") + 4, d.id);

	/* One attempt, listed for any member of the tenant. */
	list = deliveries(&t.as[T_VIEWER], job, "", 200);
	cr_assert_eq(json_object_array_length(member(list, "data")), 1);
	row = json_object_array_get_idx(member(list, "data"), 0);
	cr_assert_eq(json_object_get_int(member(row, "attempt")), 1);
	cr_assert_eq(json_object_get_int(member(row, "status_code")), 200);
	cr_assert(json_object_get_type(member(row, "error")) == json_type_null);
	cr_assert(json_object_get_int(member(row, "duration_ms")) >= 0);
	cr_assert_str_eq(str(row, "job_id"), job);
	cr_assert(json_object_get_type(member(list, "next_cursor")) == json_type_null);
	json_object_put(list);

	t_receiver_stop(&rcv);
	/* Nothing of the signing reached a log: not the secrets, not the signature (which is a
	 * MAC a replay could reuse within its window), not the URL's query. */
	assert_not_logged("the secret", secret);
	assert_not_logged("the replaced secret", old);
	assert_not_logged("the signature", strstr(sig, "v1=") + 3);
	assert_not_logged("the URL's query", T_SECRET_WEBHOOK_QUERY);
	free(sig);
	json_object_put(event);
}

Test(webhooks, a_receiver_that_fails_twice_gets_the_third_delivery)
{
	static const char *const script[] = { T_HTTP_500, T_HTTP_500, T_HTTP_204 };
	struct t_receiver rcv;
	struct t_team t;
	struct delivery_job d;
	char secret[WEBHOOKS_SECRET_SIZE], job[40], url[128], cursor[256];
	char *first_id = NULL;
	json_object *list, *rows, *page;

	t_team_setup(&t, "wh-retry");
	new_secret(&t.as[T_ADMIN], secret);
	cr_assert_eq(t_receiver_start(&rcv, script, 3), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", rcv.port);
	insert_job(&t.as[T_OWNER], "{}", url, 1, job);

	cr_assert_eq(t_receiver_wait(&rcv, 3, 30000), 3, "the receiver got %d deliveries",
		     rcv.nreceived);
	wait_delivery_job(job, "succeeded", &d, 30000);
	cr_assert_eq(d.attempts, 3);
	cr_assert_str_eq(d.result, "{\"attempt\": 3, \"status_code\": 204}");
	/* The same event each time (receivers deduplicate on its id), signed each time. */
	for (int i = 0; i < 3; i++) {
		json_object *event = verified_event(&rcv.received[i], secret);
		if (i == 0)
			first_id = strdup(str(event, "id"));
		else
			cr_assert_str_eq(str(event, "id"), first_id);
		json_object_put(event);
	}
	free(first_id);
	sleep_ms(300);
	cr_assert_eq(rcv.nreceived, 3, "delivered again after a 2xx");
	t_receiver_stop(&rcv);

	/* Three rows, oldest first: 500, 500, 204. */
	list = deliveries(&t.as[T_MEMBER], job, "", 200);
	rows = member(list, "data");
	cr_assert_eq(json_object_array_length(rows), 3, "%s", json_object_to_json_string(list));
	for (int i = 0; i < 3; i++) {
		json_object *row = json_object_array_get_idx(rows, (size_t)i);
		cr_assert_eq(json_object_get_int(member(row, "attempt")), i + 1);
		cr_assert_eq(json_object_get_int(member(row, "status_code")), i < 2 ? 500 : 204);
		if (i < 2)
			cr_assert(strstr(str(row, "error"), "500") != NULL, "%s", str(row, "error"));
	}
	/* Keyset pages of one. */
	page = deliveries(&t.as[T_MEMBER], job, "?limit=2", 200);
	cr_assert_eq(json_object_array_length(member(page, "data")), 2);
	snprintf(cursor, sizeof(cursor), "?limit=2&cursor=%s", str(page, "next_cursor"));
	json_object_put(page);
	page = deliveries(&t.as[T_MEMBER], job, cursor, 200);
	cr_assert_eq(json_object_array_length(member(page, "data")), 1);
	cr_assert_eq(json_object_get_int(member(json_object_array_get_idx(member(page, "data"), 0),
						"attempt")),
		     3);
	cr_assert(json_object_get_type(member(page, "next_cursor")) == json_type_null);
	json_object_put(page);
	json_object_put(list);
}

Test(webhooks, failed_and_dead_jobs_are_reported_too)
{
	static const char *const script[] = { T_HTTP_200 };
	struct t_receiver rcv;
	struct t_team t;
	char secret[WEBHOOKS_SECRET_SIZE], failed[40], dead[40], url[128];
	int seen_failed = 0, seen_dead = 0;

	t_team_setup(&t, "wh-events");
	new_secret(&t.as[T_OWNER], secret);
	cr_assert_eq(t_receiver_start(&rcv, script, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	insert_job(&t.as[T_MEMBER], "{\"permanent\":true}", url, 3, failed);
	insert_job(&t.as[T_MEMBER], "{\"fail_until\":5}", url, 2, dead);
	cr_assert_eq(t_receiver_wait(&rcv, 2, 20000), 2);
	for (int i = 0; i < 2; i++) {
		json_object *event = verified_event(&rcv.received[i], secret);
		json_object *data = member(event, "data");
		if (strcmp(str(data, "id"), failed) == 0) {
			cr_assert_str_eq(str(event, "type"), "job.failed");
			cr_assert_str_eq(str(data, "status"), "failed");
			cr_assert(strstr(str(data, "error"), "test_failure") != NULL);
			seen_failed++;
		} else {
			cr_assert_str_eq(str(data, "id"), dead);
			cr_assert_str_eq(str(event, "type"), "job.dead");
			cr_assert_str_eq(str(data, "status"), "dead");
			seen_dead++;
		}
		json_object_put(event);
	}
	cr_assert(seen_failed == 1 && seen_dead == 1);
	/* A retry that is not final sends nothing: the dead job sent one event, not two. */
	sleep_ms(300);
	cr_assert_eq(rcv.nreceived, 2);
	t_receiver_stop(&rcv);
}

Test(webhooks, a_tenant_without_a_secret_gets_nothing)
{
	struct t_receiver rcv;
	struct t_team t;
	struct delivery_job d;
	char job[40], url[128];
	json_object *list, *row;

	t_team_setup(&t, "wh-nosecret");
	cr_assert_eq(t_receiver_start(&rcv, NULL, 0), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", rcv.port);
	insert_job(&t.as[T_MEMBER], "{}", url, 3, job);
	wait_delivery_job(job, "failed", &d, 20000);
	cr_assert(strstr(d.error, "no_webhook_secret") != NULL, "%s", d.error);
	cr_assert_eq(d.attempts, 1, "a missing secret is not retried");
	cr_assert_eq(t_receiver_connections(&rcv), 0, "an unsigned event was sent");
	t_receiver_stop(&rcv);
	list = deliveries(&t.as[T_VIEWER], job, "", 200);
	cr_assert_eq(json_object_array_length(member(list, "data")), 1);
	row = json_object_array_get_idx(member(list, "data"), 0);
	cr_assert_str_eq(str(row, "error"), "no_webhook_secret");
	cr_assert(json_object_get_type(member(row, "status_code")) == json_type_null);
	json_object_put(list);
}

/* The URL is checked again when the delivery runs, whatever let it into the job. */
Test(webhooks, the_delivery_checks_the_url_again)
{
	struct t_team t;
	struct delivery_job d;
	char secret[WEBHOOKS_SECRET_SIZE], job[40];
	json_object *list;

	t_team_setup(&t, "wh-recheck");
	new_secret(&t.as[T_OWNER], secret);
	insert_job(&t.as[T_MEMBER], "{}", "https://user:pass@127.0.0.1:9/", 3, job);
	wait_delivery_job(job, "failed", &d, 20000);
	cr_assert(strstr(d.error, "url_refused") != NULL, "%s", d.error);
	list = deliveries(&t.as[T_VIEWER], job, "", 200);
	cr_assert_eq(json_object_array_length(member(list, "data")), 1);
	cr_assert(strstr(str(json_object_array_get_idx(member(list, "data"), 0), "error"),
			 "user name") != NULL);
	json_object_put(list);
}

Test(webhooks, deliveries_are_the_tenants_own)
{
	struct t_team t;
	struct t_session b;
	struct http_response r;
	char job[40];
	json_object *list;

	t_team_setup(&t, "wh-iso");
	t_auth_signup(&b, "wh-iso-b");
	/* Due in an hour: nothing runs, the list is empty but the job exists. */
	{
		PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
		const char *p[2] = { t.as[T_MEMBER].tenant_id, t.as[T_MEMBER].user_id };
		PGresult *q = PQexecParams(
			su,
			"INSERT INTO jobs (tenant_id, created_by, kind, payload, run_at)"
			" VALUES ($1, $2, 'test.echo', '{\"webhook_url\": \"http://127.0.0.1:9/\"}',"
			"         now() + interval '1 hour')"
			" RETURNING id",
			2, NULL, p, NULL, NULL, 0);
		cr_assert_eq(PQresultStatus(q), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(q));
		snprintf(job, sizeof(job), "%s", PQgetvalue(q, 0, 0));
		PQclear(q);
		PQfinish(su);
	}
	list = deliveries(&t.as[T_VIEWER], job, "", 200);
	cr_assert_eq(json_object_array_length(member(list, "data")), 0);
	json_object_put(list);
	/* Another tenant's job does not exist for B; neither does a malformed id. */
	list = deliveries(&b, job, "", 404);
	cr_assert_str_eq(str(list, "error"), "not_found");
	json_object_put(list);
	t_doc_request("GET", "/api/v1/jobs/not-a-uuid/deliveries", b.access, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_doc_request("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/deliveries",
		      t.as[T_OWNER].access, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	/* Declared parameters only, in range. */
	for (int i = 0; i < 4; i++) {
		static const char *const bad[] = { "?limit=0", "?limit=101", "?cursor=%21%21",
						   "?status=failed" };
		char path[160];

		snprintf(path, sizeof(path), "/api/v1/jobs/%s/deliveries%s", job, bad[i]);
		t_doc_request("GET", path, t.as[T_OWNER].access, NULL, NULL, &r);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
	}
	/* Without a token: 401, like every tenant route. */
	t_doc_request("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/deliveries", NULL,
		      NULL, NULL, &r);
	t_assert_error(&r, 401, "unauthenticated");
	t_http_free(&r);
}

/* ---- Through the processing endpoint (the production path) ------------------------------ */

/* POSTs /documents/:id/process; skips the test when the binary has no such route yet. */
static void process(const struct t_session *s, const char *doc, const char *url,
		    struct http_response *r)
{
	char path[128], body[512];

	snprintf(path, sizeof(path), "/api/v1/documents/%s/process", doc);
	snprintf(body, sizeof(body), "{\"feature\":\"stats\",\"webhook_url\":\"%s\"}", url);
	t_doc_request("POST", path, s->access, NULL, body, r);
	if (r->status == 404 && strstr(r->body, "no such endpoint") != NULL) {
		t_http_free(r);
		cr_skip_test("POST /api/v1/documents/:id/process is not in this binary yet");
	}
}

static void enable_stats(const struct t_session *admin)
{
	struct http_response r;

	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", admin->access, NULL,
		      "{\"enabled\":true}", &r);
	if (r.status == 404 && strstr(r.body, "no such endpoint") != NULL) {
		t_http_free(&r);
		cr_skip_test("the processing module's routes are not in this binary yet");
	}
	cr_assert(r.status == 200 || r.status == 204, "enabling stats: %ld %s", r.status, r.body);
	t_http_free(&r);
}

Test(webhooks, process_endpoint_refuses_bad_webhook_urls)
{
	struct t_team t;
	struct http_response r;
	char doc[40];
	/* Refused in every configuration; with webhook_allow_private = false (production), a
	 * loopback target too. */
	const char *const always[] = { "ftp://example.com/hook", "https://user:pw@example.com/",
				       "https://example.com/#frag", "not a url" };
	int strict = strcmp(t_auth_config("webhook_allow_private"), "false") == 0;

	t_team_setup(&t, "wh-process-bad");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Hooked\",\"body\":\"One. Two.\"}", doc);
	enable_stats(&t.as[T_ADMIN]);
	for (size_t i = 0; i < sizeof(always) / sizeof(*always); i++) {
		process(&t.as[T_MEMBER], doc, always[i], &r);
		cr_expect_eq(r.status, 400, "%s: %ld %s", always[i], r.status, r.body);
		cr_expect(strstr(r.body, "webhook_url") != NULL, "%s", r.body);
		t_http_free(&r);
	}
	if (strict) {
		process(&t.as[T_MEMBER], doc, "https://127.0.0.1/hook", &r);
		cr_expect_eq(r.status, 400, "%s", r.body);
		t_http_free(&r);
		process(&t.as[T_MEMBER], doc, "https://[::ffff:10.0.0.1]/hook", &r);
		cr_expect_eq(r.status, 400, "%s", r.body);
		t_http_free(&r);
	}
}

Test(webhooks, processing_result_is_delivered)
{
	static const char *const script[] = { T_HTTP_200 };
	struct t_receiver rcv;
	struct t_team t;
	struct http_response r;
	char secret[WEBHOOKS_SECRET_SIZE], doc[40], url[128], job[40];
	json_object *event, *data;

	t_team_setup(&t, "wh-process");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Hooked\",\"body\":\"One two. Three.\"}", doc);
	enable_stats(&t.as[T_ADMIN]);
	new_secret(&t.as[T_OWNER], secret);
	cr_assert_eq(t_receiver_start(&rcv, script, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/processed", rcv.port);
	process(&t.as[T_MEMBER], doc, url, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	t_doc_data_str(&r, "job_id", job, sizeof(job));
	t_http_free(&r);
	cr_assert_eq(t_receiver_wait(&rcv, 1, 20000), 1, "no delivery arrived");
	event = verified_event(&rcv.received[0], secret);
	cr_assert_str_eq(str(event, "type"), "job.succeeded");
	data = member(event, "data");
	cr_assert_str_eq(str(data, "id"), job);
	cr_assert_str_eq(str(data, "document_id"), doc);
	cr_assert(json_object_is_type(member(data, "result"), json_type_object));
	json_object_put(event);
	t_receiver_stop(&rcv);
}

/* Lines of work.log that hold both a and b. */
static int work_log_lines_with(const char *a, const char *b)
{
	char path[1024], line[8192];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/work.log", t_env("MENHIR_TEST_STATE"));
	f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, a) != NULL && strstr(line, b) != NULL;
	fclose(f);
	return n;
}

/* W3C Trace Context end to end: the request's trace goes with the job it queues (its log
 * lines in menhir work) and with the webhook that job's end sends, whose traceparent has
 * the same trace id and a span of Menhir's own. */
Test(webhooks, the_request_trace_reaches_the_job_and_its_webhook)
{
	static const char *const script[] = {T_HTTP_200};
	static const char trace_id[] = "6e0c63257de34c92bf9efcd03927272e";
	const char *const headers[] = {
	        "traceparent: 00-6e0c63257de34c92bf9efcd03927272e-00f067aa0ba902b7-01", NULL};
	struct t_receiver rcv;
	struct t_team t;
	struct http_response r;
	char secret[WEBHOOKS_SECRET_SIZE], doc[40], url[128], job[40], path[128], body[256];
	char *tp;

	t_team_setup(&t, "wh-trace");
	t_doc_create(&t.as[T_MEMBER], "{\"title\":\"Traced\",\"body\":\"One two.\"}", doc);
	enable_stats(&t.as[T_ADMIN]);
	new_secret(&t.as[T_OWNER], secret);
	cr_assert_eq(t_receiver_start(&rcv, script, 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/traced", rcv.port);
	snprintf(path, sizeof(path), "/api/v1/documents/%s/process", doc);
	snprintf(body, sizeof(body), "{\"feature\":\"stats\",\"webhook_url\":\"%s\"}", url);
	t_doc_request("POST", path, t.as[T_MEMBER].access, headers, body, &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	t_doc_data_str(&r, "job_id", job, sizeof(job));
	t_http_free(&r);

	cr_assert_eq(t_receiver_wait(&rcv, 1, 20000), 1, "no delivery arrived");
	tp = t_received_header(&rcv.received[0], "traceparent");
	cr_assert_not_null(tp, "no traceparent in %s", rcv.received[0].head);
	cr_assert_eq(strncmp(tp, "00-", 3), 0, "%s", tp);
	cr_assert_eq(strncmp(tp + 3, trace_id, 32), 0, "another trace: %s", tp);
	cr_assert(strstr(tp, "00f067aa0ba902b7") == NULL, "the caller's span was passed on: %s",
	          tp);
	free(tp);
	t_receiver_stop(&rcv);
	/* The processing job's own log line (menhir work) carries the request's trace. */
	for (int i = 0; i < 300 && work_log_lines_with(job, trace_id) == 0; i++)
		sleep_ms(100);
	cr_assert_gt(work_log_lines_with(job, trace_id), 0, "no line of job %s has trace %s", job,
	             trace_id);
}
