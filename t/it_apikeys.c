/* it_apikeys.c - API keys through nginx: the secret is shown once and listed as prefix and
 * last four only; a key's role is never above its creator's; a key acts in its own tenant
 * only, through the same RLS path as a person; a revoked key is refused on the next
 * request on every worker (and audited), even when only the database knows it is revoked;
 * keys cannot call the routes that are about a person; the last use is recorded, batched. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "jsonschema.h"
#include "secrets.h"

TestSuite(apikeys, .timeout = 120);

/* Asserts the response is what doc/openapi.json documents for the operation and status. */
static void conforms(const char *method, const char *pattern, const struct http_response *r)
{
	char err[512];

	cr_assert_eq(t_contract_validate(method, pattern, r->status, r->body, err, sizeof(err)), 0,
	             "%s %s %ld: %s", method, pattern, r->status, err);
}

#define KEYS "/api/v1/tenants/current/api-keys"

struct key {
	char id[40];
	char secret[128];
};

/* POSTs a key as bearer; returns the status and, on 201, fills k. */
static long create_key(const char *bearer, const char *json, struct key *k)
{
	struct http_response r;
	long status;

	t_auth_request("POST", KEYS, bearer, NULL, NULL, json, &r);
	status = r.status;
	conforms("POST", KEYS, &r);
	if (status == 201 && k != NULL) {
		json_object *root = t_auth_json(&r);

		snprintf(k->id, sizeof(k->id), "%s", t_auth_data_str(root, "id"));
		snprintf(k->secret, sizeof(k->secret), "%s", t_auth_data_str(root, "secret"));
		json_object_put(root);
	}
	t_http_free(&r);
	return status;
}

static void create_key_ok(const char *bearer, const char *role, struct key *k)
{
	char json[128];

	snprintf(json, sizeof(json), "{\"name\":\"ci %s\",\"role\":\"%s\"}", role, role);
	cr_assert_eq(create_key(bearer, json, k), 201, "creating a %s key", role);
}

static long status_of(const char *method, const char *path, const char *bearer, const char *json)
{
	struct http_response r;
	long s;

	t_auth_request(method, path, bearer, NULL, NULL, json, &r);
	s = r.status;
	t_http_free(&r);
	return s;
}

static long audit_count(const char *action, const char *target)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM audit_log WHERE action = '%s' AND target LIKE '%s%%'",
	         action, target);
	return t_auth_sql_long(sql);
}

/* The audit of a refused key is written once its answer has gone: wait for it (up to 15 s;
 * as soon as there is one). */
static long audit_count_soon(const char *action, const char *target)
{
	long n = 0;

	for (int i = 0; i < 300 && (n = audit_count(action, target)) == 0; i++)
		usleep(50 * 1000);
	return n;
}

/*
 * Sends n requests at once (one process each, so that several workers must answer) and
 * asserts each got want. Returns how many distinct workers answered, read from the access
 * log by request id.
 */
static int parallel_status(const char *path, const char *bearer, int n, long want)
{
	int fds[2], workers = 0;
	char ids[32][64], line[256], *log;
	long pids[32], offset = t_menhir_log_size();
	FILE *in;

	cr_assert(n <= 32);
	cr_assert_eq(pipe(fds), 0);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		cr_assert(p >= 0);
		if (p == 0) {
			struct http_response r;
			char *rid;

			close(fds[0]);
			t_auth_request("GET", path, bearer, NULL, NULL, NULL, &r);
			rid = t_header(&r, "X-Request-Id");
			dprintf(fds[1], "%ld %s\n", r.status, rid ? rid : "-");
			_exit(0);
		}
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	for (int i = 0; i < n; i++) {
		long status;

		cr_assert(fgets(line, sizeof(line), in) != NULL, "a request got no answer");
		cr_assert_eq(sscanf(line, "%ld %63s", &status, ids[i]), 2);
		cr_assert_eq(status, want, "request %d: %ld, not %ld", i, status, want);
	}
	fclose(in);
	while (wait(NULL) > 0)
		;
	/* Which worker answered each: the access-log line with its request id names its pid
	 * (written after the answer: wait for them all). */
	log = t_menhir_log_with_requests(offset, (const char(*)[64])ids, n, 15000);
	for (int i = 0; i < n; i++) {
		char needle[128];
		const char *p = log, *eol, *q;

		pids[i] = 0;
		snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", ids[i]);
		while (pids[i] == 0 && (p = strstr(p, needle)) != NULL) {
			const char *bol = p;

			while (bol > log && bol[-1] != '\n')
				bol--;
			eol = strchr(p, '\n');
			if (eol == NULL)
				break;
			q = strstr(bol, "\"event\":\"request\"");
			if (q != NULL && q < eol && (q = strstr(bol, "\"pid\":")) != NULL &&
			    q < eol)
				pids[i] = strtol(q + 6, NULL, 10);
			p = eol;
		}
	}
	free(log);
	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int j = 0; j < i; j++)
			seen |= pids[j] == pids[i];
		workers += !seen && pids[i] != 0;
	}
	return workers;
}

/* The secret is in the 201 and nowhere else: the list and the key's own page show its
 * prefix and last four characters, and the database holds only its hash. */
Test(apikeys, the_secret_is_shown_once_and_lists_show_prefix_and_last_four_only)
{
	struct t_session o;
	struct key k;
	struct http_response r;
	char path[256], sql[256], hash[80];
	json_object *root, *data, *first, *v;

	t_auth_signup(&o, "key-once");
	create_key_ok(o.access, "member", &k);
	cr_assert_eq(strncmp(k.secret, "mhk_", 4), 0, "no recognisable prefix: %s", k.secret);
	cr_assert_eq(strlen(k.secret), 90, "4 + base64url of 64 bytes (256 random bits)");
	t_auth_request("GET", KEYS, o.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	conforms("GET", KEYS, &r);
	cr_assert(strstr(r.body, k.secret + 4) == NULL, "the list shows the secret");
	cr_assert(strstr(r.body, "\"secret\"") == NULL);
	root = t_auth_json(&r);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	cr_assert_eq(json_object_array_length(data), 1);
	first = json_object_array_get_idx(data, 0);
	cr_assert(json_object_object_get_ex(first, "prefix", &v));
	cr_assert_str_eq(json_object_get_string(v), "mhk_");
	cr_assert(json_object_object_get_ex(first, "last_four", &v));
	cr_assert_str_eq(json_object_get_string(v), k.secret + 86);
	json_object_put(root);
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/api-keys/%s", k.id);
	t_auth_request("GET", path, o.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	conforms("GET", KEYS "/:id", &r);
	cr_assert(strstr(r.body, k.secret + 4) == NULL, "the key's page shows the secret");
	cr_assert(strstr(r.body, "\"secret\"") == NULL);
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
	         "SELECT encode(key_hash, 'hex') = encode(sha256('%s'::bytea), 'hex')"
	         " FROM api_keys WHERE id = '%s'",
	         k.secret, k.id);
	t_auth_sql_str(sql, hash, sizeof(hash));
	cr_assert_str_eq(hash, "t", "the database keeps the SHA-256 of the key, nothing else");
	cr_assert_eq(audit_count("api_key_created", k.id), 1);
}

/* The default unverified-address policy: an account may log in before it confirms its
 * address, but may not mint a credential that outlives its sessions. */
Test(apikeys, an_unverified_account_cannot_create_a_key_until_it_confirms)
{
	struct t_session o;
	struct http_response r;
	char sql[256];

	t_auth_signup_unverified(&o, "key-unverified");
	t_auth_request("POST", KEYS, o.access, NULL, NULL, "{\"name\":\"ci\",\"role\":\"member\"}",
	               &r);
	t_assert_error(&r, 403, "email_unverified");
	t_http_free(&r);
	cr_assert_eq(status_of("GET", KEYS, o.access, NULL), 200, "listing stays allowed");
	snprintf(sql, sizeof(sql), "UPDATE users SET email_verified_at = now() WHERE id = '%s'",
	         o.user_id);
	t_auth_sql(sql);
	cr_assert_eq(create_key(o.access, "{\"name\":\"ci\",\"role\":\"member\"}", NULL), 201);
}

Test(apikeys, a_key_cannot_get_a_role_above_its_creators)
{
	struct t_session o, admin, member;
	struct key k;
	struct http_response r;

	t_auth_signup(&o, "key-role");
	t_auth_member(&admin, &o, "admin", "key-role-admin");
	t_auth_member(&member, &o, "member", "key-role-member");
	t_auth_request("POST", KEYS, admin.access, NULL, NULL,
	               "{\"name\":\"too high\",\"role\":\"owner\"}", &r);
	t_assert_error(&r, 403, "forbidden");
	cr_assert(strstr(r.body, "\"field\":\"role\"") != NULL, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(create_key(admin.access, "{\"name\":\"ok\",\"role\":\"admin\"}", &k), 201);
	cr_assert_eq(create_key(o.access, "{\"name\":\"ok\",\"role\":\"owner\"}", NULL), 201);
	/* Creating keys is for admins and owners at all. */
	cr_assert_eq(create_key(member.access, "{\"name\":\"m\",\"role\":\"viewer\"}", NULL), 403);
	cr_assert_eq(status_of("GET", KEYS, member.access, NULL), 403);
	/* Bad input is a 400 naming each field (the declared body). */
	t_auth_request("POST", KEYS, o.access, NULL, NULL,
	               "{\"name\":\"\",\"role\":\"boss\",\"expires_at\":\"tomorrow\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.body, "\"field\":\"name\"") && strstr(r.body, "\"field\":\"role\"") &&
	                  strstr(r.body, "\"field\":\"expires_at\""),
	          "%s", r.body);
	t_http_free(&r);
	t_auth_request(
	        "POST", KEYS, o.access, NULL, NULL,
	        "{\"name\":\"old\",\"role\":\"viewer\",\"expires_at\":\"2001-01-01T00:00:00Z\"}",
	        &r);
	t_assert_error(&r, 422, "validation_failed");
	t_http_free(&r);
}

/* A key of tenant A works like A's member who made it, under RLS, and reaches nothing of B:
 * B's document is 404, and a key rewritten to name B's tenant matches no key at all. */
Test(apikeys, a_key_used_against_another_tenant_is_refused)
{
	struct t_session a, b;
	struct key k;
	struct http_response r;
	char path[256], forged[128], in[160], b64[96], doc_b[64];
	unsigned char raw[80];
	int len;
	json_object *root;

	t_auth_signup(&a, "key-iso-a");
	t_auth_signup(&b, "key-iso-b");
	create_key_ok(a.access, "admin", &k);
	t_auth_request("POST", "/api/v1/documents", b.access, NULL, NULL,
	               "{\"title\":\"B's secret plan\"}", &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	root = t_auth_json(&r);
	snprintf(doc_b, sizeof(doc_b), "%s", t_auth_data_str(root, "id"));
	json_object_put(root);
	t_http_free(&r);

	t_auth_request("POST", "/api/v1/documents", k.secret, NULL, NULL,
	               "{\"title\":\"written by a key\"}", &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert(strstr(r.body, a.user_id) != NULL, "a key writes as its creator: %s", r.body);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/documents", k.secret, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, "written by a key") != NULL);
	cr_assert(strstr(r.body, "B's secret plan") == NULL, "A's key sees B's document");
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/documents/%s", doc_b);
	cr_assert_eq(status_of("GET", path, k.secret, NULL), 404);
	cr_assert_eq(status_of("PATCH", path, k.secret, "{\"title\":\"mine\"}"), 404);
	cr_assert_eq(status_of("GET", "/api/v1/tenants/current", k.secret, NULL), 200);

	/* The same key with B's tenant id in place of A's. */
	snprintf(in, sizeof(in), "%s==", k.secret + 4);
	for (char *p = in; *p; p++)
		*p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
	len = EVP_DecodeBlock(raw, (unsigned char *)in, (int)strlen(in));
	cr_assert_eq(len, 66);
	for (int i = 0, o = 0; i < 16; o++) {
		unsigned v;

		if (b.tenant_id[o] == '-')
			continue;
		cr_assert_eq(sscanf(b.tenant_id + o, "%2x", &v), 1);
		raw[i++] = (unsigned char)v;
		o++;
	}
	len = EVP_EncodeBlock((unsigned char *)b64, raw, 64);
	while (len > 0 && b64[len - 1] == '=')
		b64[--len] = '\0';
	for (char *p = b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	snprintf(forged, sizeof(forged), "mhk_%s", b64);
	cr_assert_str_neq(forged, k.secret);
	t_auth_request("GET", "/api/v1/documents", forged, NULL, NULL, NULL, &r);
	t_assert_error(&r, 401, "invalid_token");
	cr_assert(strstr(r.body, "B's secret plan") == NULL);
	t_http_free(&r);
	cr_assert_eq(status_of("GET", path, forged, NULL), 401);
	/* Nor can a key move to another tenant the way a person can. */
	snprintf(in, sizeof(in), "{\"tenant_id\":\"%s\"}", b.tenant_id);
	t_auth_request("POST", "/api/v1/auth/switch-tenant", k.secret, NULL, NULL, in, &r);
	t_assert_error(&r, 403, "api_key_not_allowed");
	t_http_free(&r);
}

/* Revocation reaches every worker before the next request: several requests at once,
 * answered by more than one worker, are all refused, and the use is audited. */
Test(apikeys, a_revoked_key_is_refused_on_the_next_request_on_every_worker)
{
	struct t_session o;
	struct key k, other;
	char path[256];
	int workers;

	t_auth_signup(&o, "key-revoke");
	create_key_ok(o.access, "viewer", &k);
	create_key_ok(o.access, "viewer", &other);
	/* Twelve requests at once on a loaded machine can still all meet one worker: send them
	 * again (each time every answer is checked) until more than one answered. */
	workers = 0;
	for (int i = 0; i < 5 && workers < 2; i++)
		workers = parallel_status("/api/v1/documents", k.secret, 12, 200);
	cr_assert(workers >= 2, "only %d worker answered: the test proves nothing", workers);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/api-keys/%s", k.id);
	cr_assert_eq(status_of("DELETE", path, o.access, NULL), 204);
	workers = 0;
	for (int i = 0; i < 5 && workers < 2; i++)
		workers = parallel_status("/api/v1/documents", k.secret, 12, 401);
	cr_assert(workers >= 2, "only %d worker answered: the test proves nothing", workers);
	cr_assert_eq(status_of("GET", "/api/v1/documents", other.secret, NULL), 200,
	             "revoking one key revoked another");
	cr_assert_eq(audit_count("api_key_revoked", k.id), 1);
	cr_assert_eq(audit_count_soon("api_key_used_after_revocation", k.id), 1,
	             "a use after revocation is audited, once a minute at most");
	/* Revoking again, or a key of nobody's, is idempotent / 404. */
	cr_assert_eq(status_of("DELETE", path, o.access, NULL), 204);
	cr_assert_eq(
	        status_of("DELETE",
	                  "/api/v1/tenants/current/api-keys/00000000-0000-4000-8000-000000000000",
	                  o.access, NULL),
	        404);
}

/* The shared revocation record lasts one access-token lifetime; after that the database
 * alone refuses the key, inside the request's own transaction, and audits it too. */
Test(apikeys, a_key_revoked_only_in_the_database_is_refused_and_audited)
{
	struct t_session o;
	struct key k;
	struct http_response r;
	char sql[256];

	t_auth_signup(&o, "key-db-revoke");
	create_key_ok(o.access, "admin", &k);
	cr_assert_eq(status_of("GET", "/api/v1/tenants/current/audit", k.secret, NULL), 200);
	snprintf(sql, sizeof(sql), "UPDATE api_keys SET revoked_at = now() WHERE id = '%s'", k.id);
	t_auth_sql(sql);
	t_auth_request("GET", "/api/v1/tenants/current/audit", k.secret, NULL, NULL, NULL, &r);
	t_assert_error(&r, 401, "invalid_token");
	conforms("GET", "/api/v1/tenants/current/audit", &r);
	t_http_free(&r);
	cr_assert_eq(audit_count_soon("api_key_used_after_revocation", k.id), 1);
	/* Expired is refused the same way. */
	create_key_ok(o.access, "admin", &k);
	snprintf(sql, sizeof(sql),
	         "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '%s'",
	         k.id);
	t_auth_sql(sql);
	cr_assert_eq(status_of("GET", "/api/v1/documents", k.secret, NULL), 401);
}

/* A key acts for its creator, never above them: a demotion lowers it, leaving the tenant
 * ends it. */
Test(apikeys, a_key_follows_its_creators_membership)
{
	struct t_session o, admin;
	struct key k;
	char path[256], body[64];

	t_auth_signup(&o, "key-creator");
	t_auth_member(&admin, &o, "admin", "key-creator-admin");
	create_key_ok(admin.access, "admin", &k);
	cr_assert_eq(status_of("GET", "/api/v1/tenants/current/audit", k.secret, NULL), 200);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", admin.user_id);
	snprintf(body, sizeof(body), "{\"role\":\"viewer\"}");
	cr_assert_eq(status_of("PATCH", path, o.access, body), 200);
	cr_assert_eq(status_of("GET", "/api/v1/tenants/current/audit", k.secret, NULL), 403);
	cr_assert_eq(status_of("POST", "/api/v1/documents", k.secret, "{\"title\":\"x\"}"), 403);
	cr_assert_eq(status_of("GET", "/api/v1/documents", k.secret, NULL), 200);
	cr_assert_eq(status_of("DELETE", path, o.access, NULL), 204);
	cr_assert_eq(status_of("GET", "/api/v1/documents", k.secret, NULL), 401);
}

/* The routes about a person refuse a key, whatever its role; malformed keys are 401. */
Test(apikeys, keys_cannot_call_the_routes_of_a_person)
{
	struct t_session o;
	struct key k;
	struct http_response r;
	const struct {
		const char *method, *path, *json;
	} calls[] = {
	        {"GET", "/api/v1/users/me", NULL},
	        {"PATCH", "/api/v1/users/me", "{\"name\":\"bot\"}"},
	        {"GET", "/api/v1/auth/sessions", NULL},
	        {"POST", "/api/v1/auth/logout-all", NULL},
	        {"GET", KEYS, NULL},
	        {"POST", KEYS, "{\"name\":\"n\",\"role\":\"viewer\"}"},
	        {"POST", "/api/v1/tenants/current/invitations",
	         "{\"email\":\"x@example.test\",\"role\":\"viewer\"}"},
	};

	t_auth_signup(&o, "key-person");
	create_key_ok(o.access, "owner", &k);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		t_auth_request(calls[i].method, calls[i].path, k.secret, NULL, NULL, calls[i].json,
		               &r);
		t_assert_error(&r, 403, "api_key_not_allowed");
		conforms(calls[i].method, calls[i].path, &r);
		t_http_free(&r);
	}
	k.secret[50] = k.secret[50] == 'A' ? 'B' : 'A';
	t_auth_request("GET", "/api/v1/documents", k.secret, NULL, NULL, NULL, &r);
	t_assert_error(&r, 401, "invalid_token");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/documents", "mhk_short", NULL, NULL, NULL, &r);
	t_assert_error(&r, 401, "invalid_token");
	t_http_free(&r);
}

/* The last use is written by the worker in batches (api_key_touch_interval), not by the
 * request: it shows up shortly after, with the time of the use. */
Test(apikeys, the_last_use_is_recorded_in_batches)
{
	struct t_session o;
	struct key k;
	char sql[256], used[64];
	long n = 0;

	t_auth_signup(&o, "key-touch");
	create_key_ok(o.access, "viewer", &k);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM api_keys WHERE id = '%s' AND last_used_at IS NOT NULL",
	         k.id);
	cr_assert_eq(t_auth_sql_long(sql), 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(status_of("GET", "/api/v1/documents", k.secret, NULL), 200);
	for (int i = 0; i < 300 && n == 0; i++) {
		usleep(100 * 1000);
		n = t_auth_sql_long(sql);
	}
	cr_assert_eq(n, 1, "the last use was never written");
	snprintf(sql, sizeof(sql),
	         "SELECT last_used_at > created_at - interval '1 second'"
	         " AND last_used_at <= now() FROM api_keys WHERE id = '%s'",
	         k.id);
	t_auth_sql_str(sql, used, sizeof(used));
	cr_assert_str_eq(used, "t");
}
