/* it_sessions.c - sessions through nginx: a refresh replayed inside the grace window gets the
 * same successor and never branches the family; reuse detection kills the session's access
 * tokens at once (sid); a deleted user's still-valid token gets 401/403, never 500. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "secrets.h"

TestSuite(sessions, .timeout = 120);

static void refresh(const char *cookie, struct http_response *r)
{
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, cookie, t_auth_origin(), NULL, r);
}

/* Refreshes with cookie, asserts 200, returns the new cookie (malloc'd) and, when access is
 * not NULL, the new access token. */
static char *refresh_ok(const char *cookie, char access[4096], const char *what)
{
	struct http_response r;
	char *set;

	refresh(cookie, &r);
	cr_assert_eq(r.status, 200, "%s: %ld %s", what, r.status, r.body);
	set = t_auth_set_cookie(&r);
	cr_assert(set != NULL && strlen(set) == 43, "%s: no refresh cookie", what);
	if (access != NULL) {
		json_object *root = t_auth_json(&r);

		snprintf(access, 4096, "%s", t_auth_data_str(root, "access_token"));
		json_object_put(root);
	}
	t_http_free(&r);
	return set;
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

/* Rows of the session's family: all of them, and those still usable (neither rotated nor
 * revoked). */
static void family_rows(const char *family, long *all, long *usable)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM refresh_tokens WHERE family_id = '%s'",
	         family);
	*all = t_auth_sql_long(sql);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM refresh_tokens WHERE family_id = '%s'"
	         " AND rotated_at IS NULL AND revoked_at IS NULL",
	         family);
	*usable = t_auth_sql_long(sql);
}

/* Two tabs refreshing at once is what the grace window is for; a thief replaying a rotated
 * token inside it must get nothing of their own: the same successor every time, or the
 * family's current token once the successor has rotated in turn. */
Test(sessions, grace_replays_return_the_same_successor_and_never_branch)
{
	struct t_session s;
	char *r1, *again, *r2, *r3, family[64], sql[256], a3[4096];
	long all, usable;

	t_auth_signup(&s, "grace");
	snprintf(sql, sizeof(sql), "SELECT family_id FROM refresh_tokens WHERE user_id = '%s'",
	         s.user_id);
	t_auth_sql_str(sql, family, sizeof(family));
	r1 = refresh_ok(s.refresh, NULL, "first refresh");
	cr_assert_str_neq(r1, s.refresh);
	for (int i = 0; i < 5; i++) {
		again = refresh_ok(s.refresh, NULL, "a replay inside the grace window");
		cr_assert_str_eq(again, r1, "replay %d minted another token", i + 1);
		free(again);
	}
	family_rows(family, &all, &usable);
	cr_assert_eq(all, 2, "the family branched: %ld tokens", all);
	cr_assert_eq(usable, 1);

	/* The successor rotates; replaying either older token now yields the current one. */
	r2 = refresh_ok(r1, NULL, "the successor's own refresh");
	cr_assert_str_neq(r2, r1);
	again = refresh_ok(s.refresh, NULL, "the first token again");
	cr_assert_str_eq(again, r2, "a replay must follow the chain to the current token");
	free(again);
	again = refresh_ok(r1, NULL, "the successor again");
	cr_assert_str_eq(again, r2);
	free(again);
	family_rows(family, &all, &usable);
	cr_assert_eq(all, 3, "the family branched: %ld tokens", all);
	cr_assert_eq(usable, 1);
	/* And the current token goes on normally, in the same session. */
	r3 = refresh_ok(r2, a3, "the current token");
	cr_assert_str_neq(r3, r2);
	cr_assert_str_eq(t_auth_token_claim(s.access, "sid"), family,
	                 "the access token names its session");
	cr_assert_str_eq(t_auth_token_claim(a3, "sid"), family);
	free(r1);
	free(r2);
	free(r3);
}

/* Reuse detection revokes the family; every access token issued from it dies on every
 * worker at once, not 15 minutes later. Another session of the same user is untouched. */
Test(sessions, reuse_detection_kills_the_sessions_access_tokens_at_once)
{
	struct t_session s, other;
	struct http_response r;
	char a1[4096], sql[512], sid[64], *r1;

	t_auth_signup(&s, "reuse");
	cr_assert_eq(t_auth_login(&other, s.email, T_SECRET_PASSWORD, NULL), 200);
	r1 = refresh_ok(s.refresh, a1, "refresh");
	/* Every worker: four requests land on more than one of the four workers. */
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
		cr_assert_eq(status_of("GET", "/api/v1/users/me", a1), 200);
	}
	/* Past the grace window, the rotated token is replayed: reuse. */
	snprintf(sql, sizeof(sql),
	         "UPDATE refresh_tokens SET rotated_at = now() - interval '1 hour'"
	         " WHERE user_id = '%s' AND rotated_at IS NOT NULL",
	         s.user_id);
	t_auth_sql(sql);
	refresh(s.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 401,
		             "an access token of the revoked session still works");
		cr_assert_eq(status_of("GET", "/api/v1/users/me", a1), 401,
		             "an access token of the revoked session still works");
		cr_assert_eq(status_of("GET", "/api/v1/users/me", other.access), 200,
		             "another session was revoked");
	}
	refresh(r1, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	/* How: the tokens of one session share its sid; a login starts another. */
	snprintf(sid, sizeof(sid), "%s", t_auth_token_claim(s.access, "sid"));
	cr_assert_str_eq(t_auth_token_claim(a1, "sid"), sid, "a refresh continues the session");
	cr_assert_str_neq(t_auth_token_claim(other.access, "sid"), sid, "a login is a session");
	free(r1);
}

/* Logout ends the session: an access token issued to another tab of the same session dies
 * with the one presented. */
Test(sessions, logout_revokes_every_access_token_of_the_session)
{
	struct t_session s;
	struct http_response r;
	char a1[4096], *r1;

	t_auth_signup(&s, "logout-sid");
	r1 = refresh_ok(s.refresh, a1, "refresh");
	t_auth_request("POST", "/api/v1/auth/logout", NULL, r1, t_auth_origin(), NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 401);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", a1), 401);
	free(r1);
}

/* The still-valid token of a user deleted since: every route refuses it (401 or 403), and
 * no audit writer fails on audit_log_actor_fk (which was a 500). */
Test(sessions, a_deleted_users_token_gets_401_or_403_never_500)
{
	struct t_session s;
	struct http_response r;
	char sql[256], body[128];
	const struct {
		const char *method, *path, *json;
	} calls[] = {
	        {"POST", "/api/v1/auth/logout-all", NULL},
	        {"POST", "/api/v1/auth/switch-tenant", body},
	        {"GET", "/api/v1/users/me", NULL},
	        {"PATCH", "/api/v1/users/me", "{\"name\":\"Ghost\"}"},
	        {"GET", "/api/v1/tenants/current", NULL},
	        {"PATCH", "/api/v1/tenants/current", "{\"name\":\"Ghost\"}"},
	        {"GET", "/api/v1/tenants/current/members", NULL},
	        {"GET", "/api/v1/tenants/current/audit", NULL},
	        {"GET", "/api/v1/documents", NULL},
	        {"POST", "/api/v1/documents", "{\"title\":\"Ghost\"}"},
	        {"GET", "/api/v1/jobs", NULL},
	        {"GET", "/api/v1/tenants/current/features", NULL},
	};

	t_auth_signup(&s, "deleted");
	snprintf(body, sizeof(body), "{\"tenant_id\":\"%s\"}", s.tenant_id);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
	snprintf(sql, sizeof(sql), "DELETE FROM users WHERE id = '%s'", s.user_id);
	t_auth_sql(sql);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		t_auth_request(calls[i].method, calls[i].path, s.access, NULL, NULL, calls[i].json,
		               &r);
		cr_assert(r.status == 401 || r.status == 403, "%s %s: %ld %s", calls[i].method,
		          calls[i].path, r.status, r.body);
		t_assert_error(&r, r.status, r.status == 401 ? "unauthenticated" : "forbidden");
		t_http_free(&r);
	}
	/* Logout is public (the token is optional there) and idempotent: fine, not a 500. */
	t_auth_request("POST", "/api/v1/auth/logout", s.access, s.refresh, t_auth_origin(), NULL,
	               &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
}
