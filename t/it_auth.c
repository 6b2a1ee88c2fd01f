/* it_auth.c - sign-up, login, refresh rotation and reuse, logout, revocation, the JWT
 * attack list, lockout, key rotation, password change, audit: through nginx against the
 * real PostgreSQL and Redis. Every test fails if the rule it names were removed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "secrets.h"

TestSuite(auth, .timeout = 120);

/* Asserts the 401 of a rejected access token: envelope and WWW-Authenticate. */
static void assert_invalid_token(const struct http_response *r, const char *what)
{
	char *www = t_header(r, "WWW-Authenticate");

	cr_assert_eq(r->status, 401, "%s: status %ld, body %s", what, r->status, r->body);
	t_assert_error(r, 401, "invalid_token");
	cr_assert(www != NULL && strstr(www, "Bearer") && strstr(www, "error=\"invalid_token\""),
		  "%s: WWW-Authenticate is %s", what, www ? www : "(none)");
	free(www);
}

static long status_of(const char *method, const char *path, const char *bearer)
{
	struct http_response r;
	long s;

	t_auth_request(method, path, bearer, NULL, NULL, NULL, &r);
	s = r.status;
	t_http_free(&r);
	return s;
}

static void refresh(const char *cookie, struct http_response *r)
{
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, cookie, t_auth_origin(), NULL, r);
}

static long count_sql(const char *sql)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *res = t_pg_ok(su, sql);
	long n = atol(PQgetvalue(res, 0, 0));

	PQclear(res);
	PQfinish(su);
	return n;
}

static void exec_sql(const char *sql)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
}

/* signup → login → me → refresh (rotated) → reuse of the old cookie within the grace
 * interval hands back the same successor, after it → 401 and the whole family revoked →
 * login again → logout-all kills every access token at once. */
Test(auth, whole_flow)
{
	struct t_session s, l, again;
	struct http_response r;
	char *rotated, *grace_cookie, sql[512];
	json_object *root;

	t_auth_signup(&s, "flow");
	cr_assert_str_eq(s.role, "owner");
	cr_assert_eq(t_auth_login(&l, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(l.tenant_id, s.tenant_id);

	t_auth_request("GET", "/api/v1/users/me", l.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert_str_eq(t_auth_data_str(root, "email"), s.email);
	cr_assert_str_eq(t_auth_data_str(root, "id"), s.user_id);
	cr_assert_str_eq(t_auth_data_str(root, "role"), "owner");
	json_object_put(root);
	t_http_free(&r);

	/* Refresh: a new access token and a different cookie. */
	refresh(l.refresh, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	rotated = t_auth_set_cookie(&r);
	cr_assert(rotated != NULL && strlen(rotated) == 43 && strcmp(rotated, l.refresh) != 0);
	root = t_auth_json(&r);
	cr_assert(t_auth_data_str(root, "access_token") != NULL);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", t_auth_data_str(root, "access_token")),
		     200);
	json_object_put(root);
	t_http_free(&r);

	/* The old cookie again, within refresh_reuse_grace: two tabs refreshing at once get
	 * the same successor (it_sessions.c has the rest of the grace rules). */
	refresh(l.refresh, &r);
	cr_assert_eq(r.status, 200, "reuse within the grace interval: %s", r.body);
	grace_cookie = t_auth_set_cookie(&r);
	cr_assert(grace_cookie != NULL && strcmp(grace_cookie, rotated) == 0,
		  "a grace replay minted a token of its own");
	t_http_free(&r);

	/* Past the grace interval (rotated_at moved back): reuse → 401, family revoked. */
	snprintf(sql, sizeof(sql),
		 "UPDATE refresh_tokens SET rotated_at = now() - interval '1 hour'"
		 " WHERE user_id = '%s' AND rotated_at IS NOT NULL",
		 s.user_id);
	exec_sql(sql);
	refresh(l.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	refresh(rotated, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	refresh(grace_cookie, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE action = 'refresh_reuse_detected'"
		 " AND actor_id = '%s'",
		 s.user_id);
	cr_assert_eq(count_sql(sql), 1, "reuse was not audited");
	/* The revoked session's access tokens die with it. */
	t_auth_request("GET", "/api/v1/users/me", l.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "an access token of a session revoked for reuse");
	t_http_free(&r);
	/* The signup's own family (another device) is untouched. */
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
	refresh(s.refresh, &r);
	cr_assert_eq(r.status, 200, "an unrelated family was revoked: %s", r.body);
	t_http_free(&r);

	/* Log in again, then logout-all: both access tokens die at once. */
	cr_assert_eq(t_auth_login(&again, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
	t_auth_request("POST", "/api/v1/auth/logout-all", again.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", s.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "an older token after logout-all");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", again.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "the presenting token after logout-all");
	t_http_free(&r);
	refresh(again.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	/* A fresh login works (the new version is the bar, not a ban). */
	cr_assert_eq(t_auth_login(&again, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", again.access), 200);
	free(rotated);
	free(grace_cookie);
}

Test(auth, refresh_cookie_attributes_and_origin)
{
	struct t_session s;
	struct http_response r;
	char *set;

	t_auth_signup(&s, "cookie");
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, s.refresh, t_auth_origin(), NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	set = t_header(&r, "Set-Cookie");
	cr_assert(set != NULL);
	cr_assert(strstr(set, "; HttpOnly") && strstr(set, "; Secure") &&
			  strstr(set, "; SameSite=Strict") && strstr(set, "; Path=/api/v1/auth") &&
			  strstr(set, "; Max-Age=604800"),
		  "Set-Cookie: %s", set);
	free(set);
	t_http_free(&r);
	/* Cookie-authenticated routes refuse a foreign or missing Origin (CSRF). */
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, s.refresh, "https://evil.example",
		       NULL, &r);
	t_assert_error(&r, 403, "origin_not_allowed");
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, s.refresh, NULL, NULL, &r);
	t_assert_error(&r, 403, "origin_not_allowed");
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/logout", NULL, s.refresh, "https://evil.example",
		       NULL, &r);
	t_assert_error(&r, 403, "origin_not_allowed");
	t_http_free(&r);
	/* No cookie at all. */
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, NULL, t_auth_origin(), NULL, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
}

Test(auth, logout_revokes_family_cookie_and_presented_token)
{
	struct t_session s;
	struct http_response r;
	char *set, sql[512];

	t_auth_signup(&s, "logout");
	t_auth_request("POST", "/api/v1/auth/logout", s.access, s.refresh, t_auth_origin(), NULL,
		       &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	set = t_header(&r, "Set-Cookie");
	cr_assert(set != NULL && strncmp(set, "mh_refresh=;", 12) == 0 &&
			  strstr(set, "Max-Age=0") && strstr(set, "Path=/api/v1/auth"),
		  "logout must clear the cookie: %s", set ? set : "(none)");
	free(set);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", s.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "a token after logout (revoked jti)");
	t_http_free(&r);
	refresh(s.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM audit_log WHERE action = 'logout' AND actor_id = '%s'",
		 s.user_id);
	cr_assert_eq(count_sql(sql), 1);
	/* Idempotent: again, without anything to revoke. */
	t_auth_request("POST", "/api/v1/auth/logout", NULL, NULL, t_auth_origin(), NULL, &r);
	cr_assert_eq(r.status, 204);
	t_http_free(&r);
}

/* ---- The JWT attack list ------------------------------------------------------------------- */

static void uuid(char out[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	cr_assert(f != NULL && fgets(out, 40, f) != NULL);
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* A token with the stack's issuer/audience for s, with the given changes. */
static void forge(const struct t_session *s, const char *alg, const char *kid, long long iat,
		  long long nbf, long long exp, const char *iss, const char *aud,
		  const char *hmac_key, size_t hmac_len, char *out, size_t outlen)
{
	char header[512], payload[2048], jti[40], sid[40];
	char issuer[512], audience[512];

	snprintf(issuer, sizeof(issuer), "%s", iss ? iss : t_auth_config("jwt_issuer"));
	snprintf(audience, sizeof(audience), "%s", aud ? aud : t_auth_config("jwt_audience"));
	uuid(jti);
	uuid(sid);
	snprintf(header, sizeof(header), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg,
		 kid ? kid : t_auth_active_kid());
	snprintf(payload, sizeof(payload),
		 "{\"sub\":\"%s\",\"tid\":\"%s\",\"role\":\"%s\",\"jti\":\"%s\",\"sid\":\"%s\","
		 "\"ver\":0,\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"iss\":\"%s\",\"aud\":\"%s\"}",
		 s->user_id, s->tenant_id, s->role, jti, sid, iat, nbf, exp, issuer, audience);
	if (strcmp(alg, "none") == 0) {
		/* Unsigned: header.payload. and nothing after the dot. */
		t_auth_forge(header, payload, "", 0, out, outlen);
		*(strrchr(out, '.') + 1) = '\0';
		return;
	}
	t_auth_forge(header, payload, hmac_key, hmac_len, out, outlen);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 16384);

	cr_assert(f != NULL, "cannot read %s", path);
	*len = fread(buf, 1, 16383, f);
	fclose(f);
	return buf;
}

Test(auth, jwt_attack_list)
{
	struct t_session s, gone;
	struct http_response r;
	char tok[8192], path[1024], *pub;
	long long now = (long long)time(NULL);
	long long ttl = atoll(t_auth_config("access_token_ttl"));
	size_t publen;

	t_auth_signup(&s, "attack");

	/* Control: the forging itself is right, so each refusal below is the rule's. */
	forge(&s, "RS256", NULL, now, now, now + 300, NULL, NULL, NULL, 0, tok, sizeof(tok));
	cr_assert_eq(status_of("GET", "/api/v1/users/me", tok), 200, "a well-forged token");

	forge(&s, "none", NULL, now, now, now + 300, NULL, NULL, NULL, 0, tok, sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "alg none");
	t_http_free(&r);

	snprintf(path, sizeof(path), "%s/keys/%s.pub.pem", t_env("MENHIR_TEST_STATE"),
		 t_auth_active_kid());
	pub = read_file(path, &publen);
	forge(&s, "HS256", NULL, now, now, now + 300, NULL, NULL, pub, publen, tok, sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "HS256 signed with the public key");
	t_http_free(&r);
	free(pub);

	forge(&s, "RS256", "20000101T000000Z-dead", now, now, now + 300, NULL, NULL, NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "unknown kid");
	t_http_free(&r);

	/* Bad signature: one character in the middle of the signature changed. */
	snprintf(tok, sizeof(tok), "%s", s.access);
	{
		char *sig = strrchr(tok, '.') + 1;
		size_t mid = strlen(sig) / 2;
		sig[mid] = sig[mid] == 'A' ? 'B' : 'A';
	}
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "bad signature");
	t_http_free(&r);

	forge(&s, "RS256", NULL, now - 7200, now - 7200, now - 3600, NULL, NULL, NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "expired");
	t_http_free(&r);

	forge(&s, "RS256", NULL, now, now + 3600, now + 7200, NULL, NULL, NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "not yet valid");
	t_http_free(&r);

	/* Validly signed, but living longer than access_token_ttl plus the 30 s leeway: a
	 * leaked key must not mint tokens for years. */
	forge(&s, "RS256", NULL, now, now, now + 10LL * 365 * 86400, NULL, NULL, NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "a ten-year lifetime");
	t_http_free(&r);
	forge(&s, "RS256", NULL, now, now, now + ttl + 31, NULL, NULL, NULL, 0, tok, sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "a lifetime one second over the bound");
	t_http_free(&r);
	forge(&s, "RS256", NULL, now, now, now + ttl + 30, NULL, NULL, NULL, 0, tok, sizeof(tok));
	cr_assert_eq(status_of("GET", "/api/v1/users/me", tok), 200,
		     "the longest lifetime allowed");
	/* Without iat there is no lifetime to bound. */
	{
		char header[256], payload[1024], jti[40], sid[40];

		uuid(jti);
		uuid(sid);
		snprintf(header, sizeof(header),
			 "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", t_auth_active_kid());
		snprintf(payload, sizeof(payload),
			 "{\"sub\":\"%s\",\"tid\":\"%s\",\"role\":\"%s\",\"jti\":\"%s\","
			 "\"sid\":\"%s\",\"ver\":0,\"nbf\":%lld,\"exp\":%lld,\"iss\":\"%s\","
			 "\"aud\":\"%s\"}",
			 s.user_id, s.tenant_id, s.role, jti, sid, now, now + 300,
			 t_auth_config("jwt_issuer"), t_auth_config("jwt_audience"));
		t_auth_forge(header, payload, NULL, 0, tok, sizeof(tok));
		t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
		assert_invalid_token(&r, "no iat");
		t_http_free(&r);
	}

	forge(&s, "RS256", NULL, now, now, now + 300, "https://evil.example", NULL, NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "wrong iss");
	t_http_free(&r);

	forge(&s, "RS256", NULL, now, now, now + 300, NULL, "another-api", NULL, 0, tok,
	      sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "wrong aud");
	t_http_free(&r);

	/* Old ver after logout-all: a token issued before it. */
	cr_assert_eq(t_auth_login(&gone, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(status_of("POST", "/api/v1/auth/logout-all", s.access), 204);
	t_auth_request("GET", "/api/v1/users/me", gone.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "ver below token_version");
	t_http_free(&r);
	/* …including a validly signed one forged with the old version. */
	forge(&s, "RS256", NULL, now, now, now + 300, NULL, NULL, NULL, 0, tok, sizeof(tok));
	t_auth_request("GET", "/api/v1/users/me", tok, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "forged ver 0 after logout-all");
	t_http_free(&r);

	/* Revoked jti after logout. */
	cr_assert_eq(t_auth_login(&gone, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", gone.access), 200);
	t_auth_request("POST", "/api/v1/auth/logout", gone.access, gone.refresh, t_auth_origin(),
		       NULL, &r);
	cr_assert_eq(r.status, 204);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", gone.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "revoked jti");
	t_http_free(&r);

	/* No token at all is a 401 too (with a challenge). */
	t_auth_request("GET", "/api/v1/users/me", NULL, NULL, NULL, NULL, &r);
	t_assert_error(&r, 401, "unauthenticated");
	t_http_free(&r);
}

/* A token of tenant A on tenant B's member routes: refused, and no B data in the body. */
Test(auth, cross_tenant_token_sees_nothing)
{
	struct t_session a, b, forged;
	struct http_response r;
	char tok[8192], path[256], body[128];
	long long now = (long long)time(NULL);

	t_auth_signup(&a, "xa");
	t_auth_signup(&b, "xb");

	/* A validly signed token claiming B's tenant for A's user: the database refuses. */
	forged = a;
	snprintf(forged.tenant_id, sizeof(forged.tenant_id), "%s", b.tenant_id);
	forge(&forged, "RS256", NULL, now, now, now + 300, NULL, NULL, NULL, 0, tok, sizeof(tok));
	t_auth_request("GET", "/api/v1/tenants/current/members", tok, NULL, NULL, NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	cr_assert(strstr(r.body, b.email) == NULL && strstr(r.body, b.user_id) == NULL);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current", tok, NULL, NULL, NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);

	/* A's own token on B's member: not in A's tenant, so 404, and B unchanged. */
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", b.user_id);
	t_auth_request("PATCH", path, a.access, NULL, NULL, "{\"role\":\"viewer\"}", &r);
	t_assert_error(&r, 404, "not_found");
	cr_assert(strstr(r.body, b.email) == NULL);
	t_http_free(&r);
	t_auth_request("DELETE", path, a.access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/members", a.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, a.email) != NULL && strstr(r.body, b.email) == NULL);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/audit", a.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, b.user_id) == NULL, "B's audit rows leaked: %s", r.body);
	t_http_free(&r);
	/* Nor can A switch into B. */
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\"}", b.tenant_id);
	t_auth_request("POST", "/api/v1/auth/switch-tenant", a.access, NULL, NULL, body, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/members", b.access, NULL, NULL, NULL, &r);
	cr_assert(strstr(r.body, "\"role\":\"owner\"") != NULL && strstr(r.body, a.email) == NULL);
	t_http_free(&r);
}

/* ---- Passwords: identical failures, lockout ------------------------------------------------ */

/* The body without its request_id, as canonical JSON text (malloc'd). */
static char *body_minus_request_id(const struct http_response *r)
{
	json_object *root = t_auth_json(r);
	char *s;

	json_object_object_del(root, "request_id");
	s = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return s;
}

Test(auth, unknown_email_and_wrong_password_look_the_same)
{
	struct t_session s;
	struct http_response wrong, unknown;
	char body[512], email[160], *a, *b;

	t_auth_redis("DEL mh:lf:i:127.0.0.1");
	t_auth_signup(&s, "same");
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"" T_SECRET_WRONG_PASSWORD "\"}", s.email);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, &wrong);
	t_auth_email(email, sizeof(email), "nobody");
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"" T_SECRET_WRONG_PASSWORD "\"}", email);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, &unknown);
	t_assert_error(&wrong, 401, "invalid_credentials");
	cr_assert_eq(wrong.status, unknown.status);
	a = body_minus_request_id(&wrong);
	b = body_minus_request_id(&unknown);
	cr_assert_str_eq(a, b, "bodies differ: %s vs %s", a, b);
	{
		char *c1 = t_header(&wrong, "Set-Cookie"), *c2 = t_header(&unknown, "Set-Cookie");

		cr_assert(c1 == NULL && c2 == NULL, "a failed login set a cookie");
	}
	free(a);
	free(b);
	t_http_free(&wrong);
	t_http_free(&unknown);
}

static long login_status(const char *email, const char *password, struct http_response *out)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
	t_auth_request("POST", "/api/v1/auth/login", NULL, NULL, NULL, body, out);
	return out->status;
}

/* The throttle of one (account, address) pair; it_login.c has the rest of the design (other
 * addresses unaffected, growing delays, the account-wide lock). */
Test(auth, account_lockout_after_max_failures)
{
	struct t_session s, other;
	struct http_response r;
	int max = atoi(t_auth_config("login_max_failures")), seen = 0;
	char *retry;

	cr_assert(max > 0);
	t_auth_redis("DEL mh:lf:i:127.0.0.1");
	t_auth_signup(&s, "lock");
	t_auth_signup(&other, "lockother");
	/* The first delay is 1 s from the last failure: a machine too slow to ask again within
	 * it sees a 200 (which starts the pair afresh), and the test sets it up again. */
	for (int try = 0; try < 5 && !seen; try++) {
		long long failed = 0;

		for (int i = 0; i < max; i++) {
			failed = t_now_ms();
			cr_assert_eq(login_status(s.email, T_SECRET_WRONG_PASSWORD, &r), 401,
			             "failure %d: %s", i + 1, r.body);
			t_http_free(&r);
		}
		login_status(s.email, T_SECRET_PASSWORD, &r);
		seen = r.status == 429;
		if (!seen) {
			cr_assert(r.status == 200 && t_now_ms() - failed >= 1000,
			          "%ld %s, %lld ms after the failure", r.status, r.body,
			          t_now_ms() - failed);
			t_http_free(&r);
		}
	}
	/* This address waits: even the right password is refused now, with Retry-After. */
	cr_assert_eq(r.status, 429, "%s", r.body);
	t_assert_error(&r, 429, "too_many_attempts");
	retry = t_header(&r, "Retry-After");
	cr_assert(retry != NULL && atoi(retry) > 0);
	free(retry);
	t_http_free(&r);
	/* Another account from the same address is not affected. */
	cr_assert_eq(t_auth_login(&other, other.email, T_SECRET_PASSWORD, NULL), 200);
	/* An unknown e-mail is throttled exactly the same way (no enumeration by lockout). */
	{
		char email[160];

		t_auth_email(email, sizeof(email), "ghost");
		for (int i = 0; i < max; i++) {
			cr_assert_eq(login_status(email, T_SECRET_WRONG_PASSWORD, &r), 401);
			t_http_free(&r);
		}
		cr_assert_eq(login_status(email, T_SECRET_WRONG_PASSWORD, &r), 429);
		t_http_free(&r);
	}
	t_auth_redis("DEL mh:lf:i:127.0.0.1");
}

Test(auth, address_lockout_after_many_accounts_fail)
{
	struct t_session s, ok;
	struct http_response r;
	int max = atoi(t_auth_config("login_max_failures")), limit = max * 10;
	char email[160];

	t_auth_signup(&s, "iplock");
	t_auth_redis("DEL mh:lf:i:127.0.0.1");
	/* Many accounts, one failure each: no account locks, the address does. */
	for (int i = 0; i < limit; i++) {
		t_auth_email(email, sizeof(email), "spray");
		cr_assert_eq(login_status(email, T_SECRET_WRONG_PASSWORD, &r), 401, "attempt %d",
			     i + 1);
		t_http_free(&r);
	}
	cr_assert_eq(login_status(s.email, T_SECRET_PASSWORD, &r), 429, "%s", r.body);
	t_http_free(&r);
	t_auth_redis("DEL mh:lf:i:127.0.0.1");
	cr_assert_eq(t_auth_login(&ok, s.email, T_SECRET_PASSWORD, NULL), 200);
}

/* ---- Input validation ---------------------------------------------------------------------- */

static int has_detail(const struct http_response *r, const char *field)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "{\"field\":\"%s\"", field);
	return strstr(r->body, needle) != NULL;
}

Test(auth, signup_validation)
{
	struct http_response r;
	char email[160], body[512];

	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL,
		       "{\"email\":\"a@b.io\",\"password\":\"" T_SECRET_PASSWORD
		       "\",\"tenant_name\":\"x\",\"is_admin\":true}",
		       &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "is_admin"), "%s", r.body);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL,
		       "{\"email\":\"not-an-email\",\"password\":\"short\",\"tenant_name\":\"\"}",
		       &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "email") && has_detail(&r, "password") &&
			  has_detail(&r, "tenant_name"),
		  "%s", r.body);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL,
		       "{\"email\":5,\"tenant_name\":\"x\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "email") && has_detail(&r, "password"), "%s", r.body);
	t_http_free(&r);
	/* Eleven characters is one too few; twelve is enough. */
	t_auth_email(email, sizeof(email), "len");
	snprintf(body, sizeof(body),
		 "{\"email\":\"%s\",\"password\":\"elevenchars\",\"tenant_name\":\"Len\"}", email);
	t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL, body, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "password"));
	t_http_free(&r);
	/* A taken e-mail (any case) is a 409. */
	{
		struct t_session s;

		t_auth_signup(&s, "Dup");
		for (char *p = s.email; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		snprintf(body, sizeof(body),
			 "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD
			 "\",\"tenant_name\":\"Dup\"}",
			 s.email);
		t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL, body, &r);
		t_assert_error(&r, 409, "email_taken");
		t_http_free(&r);
	}
}

/* Sends body to path (as the bearer's, when given) and asserts a 400 naming "email". */
static void refused_email(const char *path, const char *bearer, const char *body)
{
	struct http_response r;

	t_auth_request("POST", path, bearer, NULL, NULL, body, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "email"), "%s: %s", body, r.body);
	t_http_free(&r);
}

Test(auth, one_email_rule_for_signup_login_and_new_members)
{
	static const char *const bad[] = {"<script>@b.test",
	                                  "\xd0\xb0"
	                                  "dmin@b.test",
	                                  "anna@b\xc3\xbc"
	                                  "cher.example",
	                                  "a..b@b.test"};
	struct t_session s;
	char body[512];

	t_auth_signup(&s, "mailrule");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
		         "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD
		         "\",\"tenant_name\":\"Mail\"}",
		         bad[i]);
		refused_email("/api/v1/auth/signup", NULL, body);
		snprintf(body, sizeof(body),
		         "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD "\"}", bad[i]);
		refused_email("/api/v1/auth/login", NULL, body);
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"viewer\"}", bad[i]);
		refused_email("/api/v1/tenants/current/invitations", s.access, body);
		snprintf(body, sizeof(body), "{\"email\":\"%s\"}", bad[i]);
		refused_email("/api/v1/auth/password/forgot", NULL, body);
	}
	/* The shell's admin commands refuse the same addresses, before the database. */
	{
		const char *user_args[] = {"admin", "create-user", bad[0], NULL};
		const char *tenant_args[] = {"admin",   "create-tenant", "Mail",
		                             "--owner", bad[1],          NULL};
		char out[256];

		cr_assert_eq(t_auth_menhir(T_SECRET_PASSWORD "\n", out, sizeof(out), user_args), 2);
		cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), tenant_args), 2);
	}
	/* The normal form is lower-case: the same account whatever the spelling. */
	for (char *p = s.email; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	cr_assert_eq(t_auth_login(&s, s.email, T_SECRET_PASSWORD, NULL), 200);
}

Test(auth, signup_slug_gets_a_suffix_when_taken)
{
	struct http_response r;
	char email[160], body[512];
	const char *slugs[2];
	json_object *roots[2];
	char name[64];

	snprintf(name, sizeof(name), "Slug Co %ld", (long)getpid());
	for (int i = 0; i < 2; i++) {
		t_auth_email(email, sizeof(email), "slug");
		snprintf(body, sizeof(body),
			 "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD
			 "\",\"tenant_name\":\"%s\"}",
			 email, name);
		t_auth_request("POST", "/api/v1/auth/signup", NULL, NULL, NULL, body, &r);
		cr_assert_eq(r.status, 201, "%s", r.body);
		roots[i] = t_auth_json(&r);
		slugs[i] = t_auth_data_str(roots[i], "tenant_slug");
		t_http_free(&r);
	}
	cr_assert(strncmp(slugs[0], "slug-co-", 8) == 0, "%s", slugs[0]);
	cr_assert(strncmp(slugs[1], slugs[0], strlen(slugs[0])) == 0 &&
			  strlen(slugs[1]) == strlen(slugs[0]) + 7,
		  "%s then %s", slugs[0], slugs[1]);
	json_object_put(roots[0]);
	json_object_put(roots[1]);
}

/* ---- Tenants, password change, audit, keys, admin ------------------------------------------ */

Test(auth, switch_tenant_and_login_with_tenant)
{
	struct t_session a, b, m, sw;
	struct http_response r;
	char body[256];
	json_object *root;

	t_auth_signup(&a, "swa");
	t_auth_signup(&b, "swb");
	/* b joins a's tenant as a viewer (as an accepted invitation would); b's own tenant was
	 * joined earlier. */
	snprintf(body, sizeof(body),
		 "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', 'viewer')",
		 a.tenant_id, b.user_id);
	t_auth_sql(body);
	/* Default: never the tenant that added b last (another tenant's admin could have), but
	 * the one b last chose, and before any choice the oldest: b's own. */
	cr_assert_eq(t_auth_login(&m, b.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(m.tenant_id, b.tenant_id);
	cr_assert_str_eq(m.role, "owner");
	/* Chosen by id. */
	cr_assert_eq(t_auth_login(&m, b.email, T_SECRET_PASSWORD, b.tenant_id), 200);
	cr_assert_str_eq(m.tenant_id, b.tenant_id);
	cr_assert_str_eq(m.role, "owner");
	/* Switch to a's tenant. */
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\"}", a.tenant_id);
	t_auth_request("POST", "/api/v1/auth/switch-tenant", m.access, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert_str_eq(t_auth_data_str(root, "tenant_id"), a.tenant_id);
	cr_assert_str_eq(t_auth_data_str(root, "role"), "viewer");
	snprintf(sw.access, sizeof(sw.access), "%s", t_auth_data_str(root, "access_token"));
	json_object_put(root);
	{
		char *set = t_auth_set_cookie(&r);

		cr_assert(set != NULL && strlen(set) == 43, "switch-tenant sets a refresh cookie");
		free(set);
	}
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current", sw.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(r.body, a.tenant_id) != NULL);
	t_http_free(&r);
	/* A tenant b does not belong to, and a malformed id. */
	t_auth_request("POST", "/api/v1/auth/switch-tenant", m.access, NULL, NULL,
		       "{\"tenant_id\":\"00000000-0000-4000-8000-000000000000\"}", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/switch-tenant", m.access, NULL, NULL,
		       "{\"tenant_id\":\"nope\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	/* Login into a tenant the user is not in. */
	cr_assert_eq(t_auth_login(&m, a.email, T_SECRET_PASSWORD, b.tenant_id), 403);
	/* b chose a's tenant last (the switch): a login without a tenant lands there now. */
	cr_assert_eq(t_auth_login(&m, b.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(m.tenant_id, a.tenant_id);
	/* And a login naming b's own tenant is a choice too. */
	cr_assert_eq(t_auth_login(&m, b.email, T_SECRET_PASSWORD, b.tenant_id), 200);
	cr_assert_eq(t_auth_login(&m, b.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(m.tenant_id, b.tenant_id);
}

Test(auth, password_change_revokes_other_sessions)
{
	struct t_session s, other;
	struct http_response r;
	json_object *root;
	char *cookie, access[4096];

	t_auth_signup(&s, "pw");
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 200);
	t_auth_request("PATCH", "/api/v1/users/me", s.access, NULL, NULL,
		       "{\"password\":\"" T_SECRET_NEW_PASSWORD "\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(has_detail(&r, "current_password"));
	t_http_free(&r);
	t_auth_request("PATCH", "/api/v1/users/me", s.access, NULL, NULL,
		       "{\"password\":\"" T_SECRET_NEW_PASSWORD
		       "\",\"current_password\":\"" T_SECRET_WRONG_PASSWORD "\"}",
		       &r);
	t_assert_error(&r, 403, "invalid_credentials");
	t_http_free(&r);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", other.access), 200, "nothing changed");

	t_auth_request("PATCH", "/api/v1/users/me", s.access, NULL, NULL,
		       "{\"name\":\"Ada\",\"password\":\"" T_SECRET_NEW_PASSWORD
		       "\",\"current_password\":\"" T_SECRET_PASSWORD "\"}",
		       &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = t_auth_json(&r);
	cr_assert_str_eq(t_auth_data_str(root, "name"), "Ada");
	cr_assert(t_auth_data_str(root, "access_token") != NULL);
	snprintf(access, sizeof(access), "%s", t_auth_data_str(root, "access_token"));
	json_object_put(root);
	cookie = t_auth_set_cookie(&r);
	cr_assert(cookie != NULL && strlen(cookie) == 43);
	t_http_free(&r);

	/* Every other session is dead at once; this one continues with its new tokens. */
	t_auth_request("GET", "/api/v1/users/me", other.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "another session after a password change");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", s.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "the old token of the changing session");
	t_http_free(&r);
	refresh(other.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", access), 200);
	refresh(cookie, &r);
	cr_assert_eq(r.status, 200, "the new cookie works: %s", r.body);
	t_http_free(&r);
	free(cookie);
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 401);
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_NEW_PASSWORD, NULL), 200);
}

Test(auth, audit_log_records_events_and_paginates)
{
	struct t_session s;
	struct http_response r;
	json_object *root, *data, *next;
	char path[512], first_id[64] = "";
	const char *want[] = { "signup", "login", "login_failed", "invitation_created", "role_changed",
			       "member_removed", "logout", "tenant_updated" };
	char body[256], member_path[512];
	struct t_session m;
	int seen_pages = 0;
	char all[16384] = "";

	t_auth_redis("DEL mh:lf:i:127.0.0.1");
	t_auth_signup(&s, "audit");
	cr_assert_eq(t_auth_login(&m, s.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(login_status(s.email, T_SECRET_WRONG_PASSWORD, &r), 401);
	t_http_free(&r);
	t_auth_email(body, sizeof(body), "auditee");
	{
		char b2[512];
		struct t_session member;

		snprintf(b2, sizeof(b2), "{\"email\":\"%s\",\"role\":\"member\"}", body);
		t_auth_request("POST", "/api/v1/tenants/current/invitations", s.access, NULL, NULL,
			       b2, &r);
		cr_assert_eq(r.status, 201, "%s", r.body);
		t_http_free(&r);
		t_auth_member(&member, &s, "member", "auditee");
		snprintf(member_path, sizeof(member_path), "/api/v1/tenants/current/members/%s",
			 member.user_id);
	}
	t_auth_request("PATCH", member_path, s.access, NULL, NULL, "{\"role\":\"viewer\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
	t_auth_request("DELETE", member_path, s.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	t_auth_request("PATCH", "/api/v1/tenants/current", s.access, NULL, NULL,
		       "{\"name\":\"Audited\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/logout", m.access, m.refresh, t_auth_origin(), NULL,
		       &r);
	cr_assert_eq(r.status, 204);
	t_http_free(&r);

	/* Walk the list two rows at a time; newest first; no row twice. */
	snprintf(path, sizeof(path), "/api/v1/tenants/current/audit?limit=2");
	for (;;) {
		t_auth_request("GET", path, s.access, NULL, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		root = t_auth_json(&r);
		cr_assert(json_object_object_get_ex(root, "data", &data));
		cr_assert(json_object_array_length(data) <= 2);
		for (size_t i = 0; i < json_object_array_length(data); i++) {
			json_object *row = json_object_array_get_idx(data, i), *v;
			json_object_object_get_ex(row, "id", &v);
			cr_assert(strstr(all, json_object_get_string(v)) == NULL, "row twice");
			strncat(all, json_object_get_string(v), sizeof(all) - strlen(all) - 1);
			json_object_object_get_ex(row, "action", &v);
			strncat(all, json_object_get_string(v), sizeof(all) - strlen(all) - 1);
			strncat(all, ";", sizeof(all) - strlen(all) - 1);
			if (first_id[0] == '\0') {
				cr_assert_str_eq(json_object_get_string(v), "logout",
						 "newest first");
				snprintf(first_id, sizeof(first_id), "x");
			}
		}
		seen_pages++;
		cr_assert(json_object_object_get_ex(root, "next_cursor", &next));
		if (json_object_is_type(next, json_type_null)) {
			json_object_put(root);
			t_http_free(&r);
			break;
		}
		snprintf(path, sizeof(path), "/api/v1/tenants/current/audit?limit=2&cursor=%s",
			 json_object_get_string(next));
		json_object_put(root);
		t_http_free(&r);
		cr_assert(seen_pages < 20);
	}
	cr_assert(seen_pages >= 4, "expected several pages, got %d", seen_pages);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char needle[64];
		snprintf(needle, sizeof(needle), "%s;", want[i]);
		cr_assert(strstr(all, needle) != NULL, "no %s in the audit log: %s", want[i], all);
	}
	/* A bad cursor and an unknown parameter are 400s. */
	t_auth_request("GET", "/api/v1/tenants/current/audit?cursor=garbage", s.access, NULL, NULL,
		       NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/audit?offset=5", s.access, NULL, NULL, NULL,
		       &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}

Test(auth, jwks_publishes_the_active_key)
{
	struct http_response r;
	char needle[160];

	t_auth_request("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	snprintf(needle, sizeof(needle), "\"kid\":\"%s\"", t_auth_active_kid());
	cr_assert(strstr(r.body, needle) != NULL && strstr(r.body, "\"RS256\"") != NULL &&
			  strstr(r.body, "PRIVATE") == NULL && strstr(r.body, "\"d\"") == NULL,
		  "%s", r.body);
	t_http_free(&r);
}

Test(auth, key_rotation_keeps_old_tokens_and_signs_with_the_new_kid)
{
	struct t_session s, fresh;
	struct http_response r;
	char kid[128], old_kid[128], needle[160];
	const char *args[] = { "keys", "rotate", NULL };
	pid_t master = t_menhir_pid();
	int reloaded = 0;

	t_auth_signup(&s, "rotate");
	snprintf(old_kid, sizeof(old_kid), "%s", t_auth_token_kid(s.access));
	cr_assert_eq(t_auth_menhir(NULL, kid, sizeof(kid), args), 0, "keys rotate failed");
	cr_assert(strlen(kid) > 0 && strcmp(kid, old_kid) != 0, "new kid %s", kid);
	cr_assert_eq(kill(master, SIGHUP), 0);
	/* The reload starts new workers; wait until logins are signed with the new key. */
	for (int i = 0; i < 100 && !reloaded; i++) {
		struct timespec ts = { 0, 100 * 1000000L };

		if (t_auth_login(&fresh, s.email, T_SECRET_PASSWORD, NULL) == 200 &&
		    strcmp(t_auth_token_kid(fresh.access), kid) == 0)
			reloaded = 1;
		else
			nanosleep(&ts, NULL);
	}
	cr_assert(reloaded, "new tokens never carried the new kid %s", kid);
	/* The old token still verifies (its key is still in the keyring). */
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", fresh.access), 200);
	t_auth_request("GET", "/.well-known/jwks.json", NULL, NULL, NULL, NULL, &r);
	snprintf(needle, sizeof(needle), "\"kid\":\"%s\"", kid);
	cr_assert(strstr(r.body, needle) != NULL, "new kid not published: %s", r.body);
	snprintf(needle, sizeof(needle), "\"kid\":\"%s\"", old_kid);
	cr_assert(strstr(r.body, needle) != NULL, "old kid no longer published: %s", r.body);
	t_http_free(&r);
	/* A rotation concerns no tenant: it is audited in system_audit_log. */
	{
		PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
		const char *params[1] = { kid };
		PGresult *q = PQexecParams(su,
					   "SELECT count(*) FROM system_audit_log"
					   " WHERE action = 'keys.rotate' AND target = $1",
					   1, NULL, params, NULL, NULL, 0);
		cr_assert(PQresultStatus(q) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(q));
		cr_assert_str_eq(PQgetvalue(q, 0, 0), "1", "key rotation not audited");
		PQclear(q);
		PQfinish(su);
	}
}

Test(auth, admin_commands_create_user_and_tenant)
{
	struct t_session s;
	char email[160], out[256], name[64];
	const char *user_args[] = { "admin", "create-user", email, "--name", "Shell User", NULL };
	const char *tenant_args[] = { "admin", "create-tenant", name, "--owner", email, NULL };
	const char *short_args[] = { "admin", "create-user", "x@example.test", NULL };

	t_auth_email(email, sizeof(email), "admin");
	snprintf(name, sizeof(name), "Shell Tenant %ld", (long)getpid());
	cr_assert_eq(t_auth_menhir(T_SECRET_PASSWORD "\n", out, sizeof(out), user_args), 0, "%s",
		     out);
	cr_assert(strncmp(out, "user ", 5) == 0, "%s", out);
	cr_assert_eq(t_auth_menhir(NULL, out, sizeof(out), tenant_args), 0, "%s", out);
	cr_assert(strncmp(out, "tenant ", 7) == 0, "%s", out);
	cr_assert_eq(t_auth_login(&s, email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_str_eq(s.role, "owner");
	/* Same e-mail again: refused. Too short a password: refused before the database. */
	cr_assert_neq(t_auth_menhir(T_SECRET_PASSWORD "\n", out, sizeof(out), user_args), 0);
	cr_assert_eq(t_auth_menhir("short\n", out, sizeof(out), short_args), 2);
}

/* Redis refusing writes: the revocation cannot be recorded, so logout and logout-all say
 * 503, never 204, and a retry once Redis is back completes them. The pause (4 s) is far
 * longer than Menhir's Redis timeout (500 ms), so a request that is slow to get there on a
 * loaded machine still meets it; the test waits it out before going on. */
Test(auth, revocation_failures_are_503_not_success)
{
	struct t_session s;
	struct http_response r;
	struct timespec wait = { 4, 100 * 1000000L };

	t_auth_signup(&s, "redisdown");
	cr_assert_eq(t_auth_redis("CLIENT PAUSE 4000 WRITE"), 0);
	t_auth_request("POST", "/api/v1/auth/logout", s.access, s.refresh, t_auth_origin(), NULL,
		       &r);
	t_assert_error(&r, 503, "service_unavailable");
	t_http_free(&r);
	nanosleep(&wait, NULL);
	/* Nothing was revoked: the token and the cookie still work. */
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);

	cr_assert_eq(t_auth_redis("CLIENT PAUSE 4000 WRITE"), 0);
	t_auth_request("POST", "/api/v1/auth/logout-all", s.access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 503, "service_unavailable");
	t_http_free(&r);
	nanosleep(&wait, NULL);
	t_auth_request("POST", "/api/v1/auth/logout-all", s.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "retry: %s", r.body);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/users/me", s.access, NULL, NULL, NULL, &r);
	assert_invalid_token(&r, "after the retried logout-all");
	t_http_free(&r);
}
