/* it_roles.c - the role matrix of the tenant and member routes, the owner rules and the
 * last-owner rule, and role changes taking effect at once (the database re-reads the role
 * on every request). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "auth_helpers.h"
#include "helpers.h"
#include "secrets.h"

TestSuite(roles, .timeout = 120);

enum { OWNER, ADMIN, MEMBER, VIEWER, NROLES };
static const char *const role_names[NROLES] = { "owner", "admin", "member", "viewer" };

/* One tenant with a user of each role, logged in there. */
struct team {
	struct t_session as[NROLES];
};

static void team_setup(struct team *t)
{
	t_auth_signup(&t->as[OWNER], "owner");
	/* The matrix adds a member per cell: more than the free plan's seats (schema 0016). */
	t_auth_set_plan(t->as[OWNER].tenant_id, "business");
	for (int r = ADMIN; r < NROLES; r++)
		t_auth_member(&t->as[r], &t->as[OWNER], role_names[r], role_names[r]);
}

/* Adds a fresh user as a member (as an accepted invitation would); returns its id in id. */
static void add_target(const struct team *t, const char *role, char id[40])
{
	struct t_session target;
	char sql[512];

	t_auth_signup(&target, "target");
	snprintf(sql, sizeof(sql),
		 "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', '%s')",
		 t->as[OWNER].tenant_id, target.user_id, role);
	t_auth_sql(sql);
	snprintf(id, 40, "%s", target.user_id);
}

static int is_member(const struct team *t, const char *id)
{
	struct http_response r;
	int found;

	t_auth_request("GET", "/api/v1/tenants/current/members?limit=100", t->as[OWNER].access,
		       NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 200);
	found = strstr(r.body, id) != NULL;
	t_http_free(&r);
	return found;
}

static void member_role(const struct team *t, const char *id, char role[16])
{
	struct http_response r;
	char needle[80];
	const char *p;

	t_auth_request("GET", "/api/v1/tenants/current/members?limit=100", t->as[OWNER].access,
		       NULL, NULL, NULL, &r);
	snprintf(needle, sizeof(needle), "\"user_id\":\"%s\"", id);
	p = strstr(r.body, needle);
	cr_assert(p != NULL);
	p = strstr(p, "\"role\":\"");
	cr_assert(p != NULL);
	snprintf(role, 16, "%.*s", (int)strcspn(p + 8, "\""), p + 8);
	t_http_free(&r);
}

/*
 * The matrix. Each cell is a request by a user of that role; {target} is replaced by a
 * fresh member (a viewer-to-be for PATCH, a victim for DELETE) created for that cell, so a
 * cell that succeeds changes nothing the next one depends on.
 */
struct cell_route {
	const char *method;
	const char *path;
	const char *body; /* "{email}" becomes a fresh e-mail */
	long want[NROLES];
};

static const struct cell_route matrix[] = {
	{ "GET", "/api/v1/tenants/current", NULL, { 200, 200, 200, 200 } },
	{ "PATCH", "/api/v1/tenants/current", "{\"name\":\"Renamed\"}", { 200, 200, 403, 403 } },
	{ "GET", "/api/v1/tenants/current/members", NULL, { 200, 200, 200, 200 } },
	{ "POST", "/api/v1/tenants/current/invitations",
	  "{\"email\":\"{email}\",\"role\":\"member\"}", { 201, 201, 403, 403 } },
	{ "GET", "/api/v1/tenants/current/invitations", NULL, { 200, 200, 403, 403 } },
	{ "PATCH", "/api/v1/tenants/current/members/{target}", "{\"role\":\"viewer\"}",
	  { 200, 200, 403, 403 } },
	{ "DELETE", "/api/v1/tenants/current/members/{target}", NULL, { 204, 204, 403, 403 } },
	{ "GET", "/api/v1/tenants/current/audit", NULL, { 200, 200, 403, 403 } },
	{ "GET", "/api/v1/users/me", NULL, { 200, 200, 200, 200 } },
};

Test(roles, matrix)
{
	struct team t;

	team_setup(&t);
	for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
		const struct cell_route *c = &matrix[i];

		for (int role = OWNER; role < NROLES; role++) {
			struct http_response r;
			char path[256], body[256], target[40] = "", email[160], before[16] = "";
			const char *tp = strstr(c->path, "{target}");

			if (tp != NULL) {
				add_target(&t, "member", target);
				snprintf(path, sizeof(path), "%.*s%s", (int)(tp - c->path), c->path,
					 target);
			} else {
				snprintf(path, sizeof(path), "%s", c->path);
			}
			email[0] = '\0';
			if (c->body != NULL && strstr(c->body, "{email}") != NULL) {
				const char *ep = strstr(c->body, "{email}");

				t_auth_email(email, sizeof(email), "invitee");
				snprintf(body, sizeof(body), "%.*s%s%s", (int)(ep - c->body), c->body,
					 email, ep + 7);
			} else if (c->body != NULL) {
				snprintf(body, sizeof(body), "%s", c->body);
			}
			t_auth_request(c->method, path, t.as[role].access, NULL, NULL,
				       c->body ? body : NULL, &r);
			cr_expect_eq(r.status, c->want[role], "%s %s as %s: %ld, want %ld (%s)",
				     c->method, c->path, role_names[role], r.status, c->want[role],
				     r.body);
			if (r.status == 403)
				t_assert_error(&r, 403, "forbidden");
			t_http_free(&r);
			/* A refusal changed nothing. */
			if (c->want[role] == 403 && target[0] != '\0') {
				cr_expect(is_member(&t, target), "a refused %s removed the member",
					  c->method);
				member_role(&t, target, before);
				cr_expect_str_eq(before, "member", "a refused %s changed the role",
						 c->method);
			}
			if (c->want[role] == 403 && email[0] != '\0')
				cr_expect(!is_member(&t, email), "a refused POST added a member");
		}
	}
}

/* Only an owner grants, takes away or removes the owner role. */
Test(roles, owner_rules)
{
	struct team t;
	struct http_response r;
	char path[256], body[256], email[160];

	team_setup(&t);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[ADMIN].user_id);
	/* An admin cannot make anyone an owner, nor demote or remove an owner. */
	t_auth_request("PATCH", path, t.as[ADMIN].access, NULL, NULL, "{\"role\":\"owner\"}", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_auth_email(email, sizeof(email), "newowner");
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"owner\"}", email);
	t_auth_request("POST", "/api/v1/tenants/current/invitations", t.as[ADMIN].access, NULL,
		       NULL, body, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[OWNER].user_id);
	t_auth_request("PATCH", path, t.as[ADMIN].access, NULL, NULL, "{\"role\":\"member\"}", &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	t_auth_request("DELETE", path, t.as[ADMIN].access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	cr_assert(is_member(&t, t.as[OWNER].user_id));
	/* The owner can promote the admin to owner. */
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[ADMIN].user_id);
	t_auth_request("PATCH", path, t.as[OWNER].access, NULL, NULL, "{\"role\":\"owner\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.body, "\"role\":\"owner\"") != NULL);
	t_http_free(&r);
	/* Bad role values are 400; an unknown member is 404. */
	t_auth_request("PATCH", path, t.as[OWNER].access, NULL, NULL, "{\"role\":\"god\"}", &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	t_auth_request("PATCH", "/api/v1/tenants/current/members/00000000-0000-4000-8000-000000000000",
		       t.as[OWNER].access, NULL, NULL, "{\"role\":\"viewer\"}", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
}

Test(roles, last_owner_cannot_be_demoted_or_removed)
{
	struct team t;
	struct http_response r;
	char path[256], second[256];

	team_setup(&t);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[OWNER].user_id);
	t_auth_request("PATCH", path, t.as[OWNER].access, NULL, NULL, "{\"role\":\"admin\"}", &r);
	t_assert_error(&r, 409, "last_owner");
	t_http_free(&r);
	t_auth_request("DELETE", path, t.as[OWNER].access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 409, "last_owner");
	t_http_free(&r);
	/* With a second owner, the first may step down (and the second then not). */
	snprintf(second, sizeof(second), "/api/v1/tenants/current/members/%s",
		 t.as[ADMIN].user_id);
	t_auth_request("PATCH", second, t.as[OWNER].access, NULL, NULL, "{\"role\":\"owner\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
	t_auth_request("PATCH", path, t.as[OWNER].access, NULL, NULL, "{\"role\":\"admin\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
	t_auth_request("DELETE", second, t.as[ADMIN].access, NULL, NULL, NULL, &r);
	t_assert_error(&r, 409, "last_owner");
	t_http_free(&r);
}

/* The token's role claim is a hint: the database's current role decides, at once. */
Test(roles, role_changes_and_removal_take_effect_immediately)
{
	struct team t;
	struct http_response r;
	char path[256];

	team_setup(&t);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[ADMIN].user_id);
	/* Several times, so that every worker has verified and cached the token
	 * (core/token_cache.c): a cached token is still checked against the membership. */
	for (int i = 0; i < 8; i++) {
		t_auth_request("GET", "/api/v1/tenants/current/audit", t.as[ADMIN].access, NULL, NULL,
			       NULL, &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
		t_auth_request("GET", "/api/v1/tenants/current/members", t.as[MEMBER].access, NULL,
			       NULL, NULL, &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
	t_auth_request("PATCH", path, t.as[OWNER].access, NULL, NULL, "{\"role\":\"viewer\"}", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	t_http_free(&r);
	/* Same token (role claim "admin"), no longer an admin: on every worker. */
	for (int i = 0; i < 8; i++) {
		t_auth_request("GET", "/api/v1/tenants/current/audit", t.as[ADMIN].access, NULL, NULL,
			       NULL, &r);
		t_assert_error(&r, 403, "forbidden");
		t_http_free(&r);
	}
	/* Removed: nothing of the tenant is visible any more, and refresh stops working. */
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members/%s", t.as[MEMBER].user_id);
	t_auth_request("DELETE", path, t.as[OWNER].access, NULL, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	t_auth_request("GET", "/api/v1/tenants/current/members", t.as[MEMBER].access, NULL, NULL,
		       NULL, &r);
	t_assert_error(&r, 403, "forbidden");
	cr_assert(strstr(r.body, t.as[OWNER].email) == NULL);
	t_http_free(&r);
	t_auth_request("POST", "/api/v1/auth/refresh", NULL, t.as[MEMBER].refresh, t_auth_origin(),
		       NULL, &r);
	t_assert_error(&r, 401, "invalid_refresh_token");
	t_http_free(&r);
}

Test(roles, members_list_paginates)
{
	struct team t;
	struct http_response r;
	json_object *root, *data, *next;
	char path[512], seen[8192] = "";
	int rows = 0, pages = 0;

	team_setup(&t);
	snprintf(path, sizeof(path), "/api/v1/tenants/current/members?limit=1");
	for (;;) {
		t_auth_request("GET", path, t.as[VIEWER].access, NULL, NULL, NULL, &r);
		cr_assert_eq(r.status, 200, "%s", r.body);
		root = t_auth_json(&r);
		cr_assert(json_object_object_get_ex(root, "data", &data));
		for (size_t i = 0; i < json_object_array_length(data); i++) {
			json_object *v;
			json_object_object_get_ex(json_object_array_get_idx(data, i), "user_id", &v);
			cr_assert(strstr(seen, json_object_get_string(v)) == NULL);
			strncat(seen, json_object_get_string(v), sizeof(seen) - strlen(seen) - 1);
			rows++;
		}
		pages++;
		cr_assert(json_object_object_get_ex(root, "next_cursor", &next));
		if (json_object_is_type(next, json_type_null)) {
			json_object_put(root);
			t_http_free(&r);
			break;
		}
		snprintf(path, sizeof(path), "/api/v1/tenants/current/members?limit=1&cursor=%s",
			 json_object_get_string(next));
		json_object_put(root);
		t_http_free(&r);
		cr_assert(pages < 10);
	}
	cr_assert_eq(rows, NROLES);
	for (int i = 0; i < NROLES; i++)
		cr_assert(strstr(seen, t.as[i].user_id) != NULL);
	t_auth_request("GET", "/api/v1/tenants/current/members?limit=0", t.as[VIEWER].access, NULL,
		       NULL, NULL, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
}
