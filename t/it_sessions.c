/* it_sessions.c - sessions through nginx: a refresh replayed inside the grace window gets the
 * same successor and never branches the family; reuse detection kills the session's access
 * tokens at once (sid); tokens every worker has cached still die at once; a deleted user's
 * still-valid token gets 401/403, never 500; the sessions list (client, coarse network, the
 * current one marked), ending one session, and a password change ending the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "jsonschema.h"
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

/* Each worker remembers the tokens it verified (core/token_cache.c) and skips their
 * signature, never their revocation: a token every worker has cached dies at once with its
 * session (sid) and with its user's version, as an uncached one does. */
static void warm(const char *token, const char *what)
{
	/* Several requests land on every worker of the test stack. */
	for (int i = 0; i < 8; i++) {
		long st = status_of("GET", "/api/v1/users/me", token);

		cr_assert_eq(st, 200, "%s: answered %ld", what, st);
	}
}

static void refused_everywhere(const char *token, const char *what)
{
	for (int i = 0; i < 8; i++) {
		long st = status_of("GET", "/api/v1/users/me", token);

		cr_assert_eq(st, 401, "%s: answered %ld", what, st);
	}
}

Test(sessions, tokens_every_worker_cached_die_at_once_by_session_and_version)
{
	struct t_session a, b, c, d;
	struct http_response r;

	t_auth_signup(&a, "cached");
	cr_assert_eq(t_auth_login(&b, a.email, T_SECRET_PASSWORD, NULL), 200);
	cr_assert_eq(t_auth_login(&c, a.email, T_SECRET_PASSWORD, NULL), 200);
	warm(a.access, "session A");
	warm(b.access, "session B");
	warm(c.access, "session C");
	/* Logout with A's cookie, presenting B's token: both sessions end. */
	t_auth_request("POST", "/api/v1/auth/logout", b.access, a.refresh, t_auth_origin(), NULL,
	               &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	refused_everywhere(a.access, "a cached token of the cookie's session");
	refused_everywhere(b.access, "a cached token of the bearer's session");
	warm(c.access, "a cached token of another session");
	/* Logout everywhere from C: the user's version moves past every token issued so far. */
	cr_assert_eq(t_auth_login(&d, a.email, T_SECRET_PASSWORD, NULL), 200);
	warm(d.access, "session D");
	t_auth_request("POST", "/api/v1/auth/logout-all", c.access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	refused_everywhere(d.access, "a cached token older than the user's version");
	refused_everywhere(c.access, "the cached token that logged out everywhere");
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

/* The signed-in user's sessions: one per login, each with the client that opened it and its
 * network (never the full address), the caller's own marked current. */
static json_object *sessions_of(const char *bearer)
{
	struct http_response r;
	json_object *root, *data;

	char err[512];

	t_auth_request("GET", "/api/v1/auth/sessions", bearer, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert_eq(
	        t_contract_validate("GET", "/api/v1/auth/sessions", 200, r.body, err, sizeof(err)),
	        0, "%s", err);
	root = t_auth_json(&r);
	t_http_free(&r);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	json_object_get(data);
	json_object_put(root);
	return data;
}

static const char *member_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	               ? json_object_get_string(v)
	               : NULL;
}

/* The session with id sid in a list, or NULL. */
static json_object *session_in(json_object *list, const char *sid)
{
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *s = json_object_array_get_idx(list, i);
		const char *id = member_str(s, "id");

		if (id != NULL && strcmp(id, sid) == 0)
			return s;
	}
	return NULL;
}

Test(sessions, sessions_are_listed_with_their_client_and_network_the_current_one_marked)
{
	struct t_session s, phone, stranger;
	json_object *list, *mine, *other, *v;
	char sid[64], phone_sid[64], net[64];

	t_auth_signup(&s, "list");
	cr_assert_eq(t_auth_login(&phone, s.email, T_SECRET_PASSWORD, NULL), 200);
	t_auth_signup(&stranger, "list-stranger");
	snprintf(sid, sizeof(sid), "%s", t_auth_token_claim(s.access, "sid"));
	snprintf(phone_sid, sizeof(phone_sid), "%s", t_auth_token_claim(phone.access, "sid"));
	list = sessions_of(s.access);
	cr_assert_eq(json_object_array_length(list), 2, "%s", json_object_to_json_string(list));
	mine = session_in(list, sid);
	other = session_in(list, phone_sid);
	cr_assert(mine != NULL && other != NULL);
	cr_assert(json_object_object_get_ex(mine, "current", &v) && json_object_get_boolean(v));
	cr_assert(json_object_object_get_ex(other, "current", &v) && !json_object_get_boolean(v));
	cr_assert_str_eq(member_str(mine, "tenant_id"), s.tenant_id);
	cr_assert(member_str(mine, "created_at") && member_str(mine, "last_used_at") &&
	          member_str(mine, "expires_at"));
	/* The stack sees every test client as 127.0.0.1: stored as its /24, never the host. */
	cr_assert_str_eq(member_str(mine, "ip_network"), "127.0.0.0/24");
	cr_assert(session_in(list, t_auth_token_claim(stranger.access, "sid")) == NULL,
	          "another user's session is listed");
	json_object_put(list);
	/* IPv6 is kept as its /48. */
	t_auth_sql_str("SELECT app_coarse_ip('2001:db8:1234:5678:9abc::1')::text", net,
	               sizeof(net));
	cr_assert_str_eq(net, "2001:db8:1234::/48");
	t_auth_sql_str("SELECT coalesce(app_coarse_ip('not an address')::text, 'none')", net,
	               sizeof(net));
	cr_assert_str_eq(net, "none");
}

Test(sessions, the_user_agent_of_the_client_is_kept_and_a_refresh_updates_last_use)
{
	struct t_session s;
	struct http_response r;
	char sql[512], ua[300];
	const char *headers[] = {"Content-Type: application/json",
	                         "User-Agent: Menhir-Test/2.0 (CI)", NULL};
	char body[512];

	t_auth_email(s.email, sizeof(s.email), "ua");
	snprintf(body, sizeof(body),
	         "{\"email\":\"%s\",\"password\":\"" T_SECRET_PASSWORD "\",\"tenant_name\":\"UA\"}",
	         s.email);
	cr_assert_eq(t_http_request(NULL, "POST", "/api/v1/auth/signup", headers, body,
	                            strlen(body), &r),
	             0);
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	snprintf(sql, sizeof(sql),
	         "SELECT user_agent FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id"
	         " WHERE u.email = '%s'",
	         s.email);
	t_auth_sql_str(sql, ua, sizeof(ua));
	cr_assert_str_eq(ua, "Menhir-Test/2.0 (CI)");
}

/* Ending a session from another one: its access tokens die at once on every worker and its
 * refresh token no longer refreshes; the caller's own session lives on. */
Test(sessions, revoking_a_session_kills_its_tokens_at_once)
{
	struct t_session s, laptop, stranger;
	struct http_response r;
	char path[512];
	json_object *list;

	t_auth_signup(&s, "revoke-session");
	cr_assert_eq(t_auth_login(&laptop, s.email, T_SECRET_PASSWORD, NULL), 200);
	t_auth_signup(&stranger, "revoke-session-stranger");
	for (int i = 0; i < 4; i++)
		cr_assert_eq(status_of("GET", "/api/v1/users/me", laptop.access), 200);
	/* Someone else's session is not found, and stays alive. */
	snprintf(path, sizeof(path), "/api/v1/auth/sessions/%s",
	         t_auth_token_claim(stranger.access, "sid"));
	cr_assert_eq(status_of("DELETE", path, s.access), 404);
	cr_assert_eq(status_of("GET", "/api/v1/users/me", stranger.access), 200);
	cr_assert_eq(status_of("DELETE", "/api/v1/auth/sessions/not-a-uuid", s.access), 404);

	snprintf(path, sizeof(path), "/api/v1/auth/sessions/%s",
	         t_auth_token_claim(laptop.access, "sid"));
	cr_assert_eq(status_of("DELETE", path, s.access), 204);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(status_of("GET", "/api/v1/users/me", laptop.access), 401,
		             "the revoked session's access token still works");
		cr_assert_eq(status_of("GET", "/api/v1/users/me", s.access), 200);
	}
	refresh(laptop.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	list = sessions_of(s.access);
	cr_assert_eq(json_object_array_length(list), 1);
	cr_assert(session_in(list, t_auth_token_claim(s.access, "sid")) != NULL);
	json_object_put(list);
	snprintf(
	        path, sizeof(path),
	        "SELECT count(*) FROM audit_log WHERE action = 'session_revoked' AND target = '%s'",
	        t_auth_token_claim(laptop.access, "sid"));
	cr_assert_eq(t_auth_sql_long(path), 1, "the revocation is audited");
}

/* A password change ends every other session at once (and the one that made it goes on with
 * a fresh token). */
Test(sessions, a_password_change_ends_the_other_sessions)
{
	struct t_session s, laptop;
	struct http_response r;
	char fresh[4096], body[256];
	json_object *root, *list;

	t_auth_signup(&s, "pw-sessions");
	cr_assert_eq(t_auth_login(&laptop, s.email, T_SECRET_PASSWORD, NULL), 200);
	snprintf(body, sizeof(body),
	         "{\"password\":\"another long password "
	         "1\",\"current_password\":\"" T_SECRET_PASSWORD "\"}");
	t_auth_request("PATCH", "/api/v1/users/me", s.access, NULL, NULL, body, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	root = t_auth_json(&r);
	snprintf(fresh, sizeof(fresh), "%s", t_auth_data_str(root, "access_token"));
	json_object_put(root);
	t_http_free(&r);
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(status_of("GET", "/api/v1/users/me", laptop.access), 401);
		cr_assert_eq(status_of("GET", "/api/v1/users/me", fresh), 200);
	}
	refresh(laptop.refresh, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
	list = sessions_of(fresh);
	cr_assert_eq(json_object_array_length(list), 1, "%s", json_object_to_json_string(list));
	cr_assert(session_in(list, t_auth_token_claim(fresh, "sid")) != NULL);
	json_object_put(list);
}
