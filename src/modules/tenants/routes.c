/* routes.c - the tenants module's route table: each route's declared input (core/input.h)
 * and its handler, which hands the checked values over to service.c. Minimum roles live
 * here; the owner-only rules (granting, demoting or removing an owner) and the last-owner
 * rule live in the database functions. */
#include "modules/tenants/tenants.h"
#include "modules/tenants/internal.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/cursor.h"
#include "core/input.h"
#include "core/openapi.h"
#include "core/validate.h"
#include "modules/auth/auth.h"

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field member_param[] = {
        {"user_id", MH_T_UUID, .not_found = "no such member in this tenant"},
        {0},
};

enum { PAGE_LIMIT };
static const struct mh_field page_query[] = {
        MH_PAGE_QUERY(TENANTS_PAGE_DEFAULT, TENANTS_PAGE_MAX),
        {0},
};

enum { PATCH_NAME, PATCH_SLUG };
static const struct mh_field patch_members[] = {
        [PATCH_NAME] = {"name", MH_T_STRING, .min = 1, .max = 200},
        [PATCH_SLUG] = {"slug", MH_T_SLUG},
        {0},
};
static const struct mh_field patch_body = {"TenantPatch", MH_T_OBJECT, .fields = patch_members};

enum { ROLE_ROLE };
static const struct mh_field role_members[] = {
        [ROLE_ROLE] = {"role", MH_T_ENUM, MH_REQUIRED, .values = mh_role_words, .ref = "Role"},
        {0},
};
static const struct mh_field role_body = {"MemberRole", MH_T_OBJECT, .fields = role_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* GET /api/v1/tenants/current (viewer+) 200 {id, name, slug, created_at, updated_at, role}. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	return tenants_get(req, res);
}

/* PATCH /api/v1/tenants/current {name?, slug?} (admin+) 200; 400; 409 slug taken. */
static int handle_patch(struct mh_request *req, struct mh_response *res)
{
	return tenants_update(req, res, mh_in_body(req, PATCH_NAME)->s,
	                      mh_in_body(req, PATCH_SLUG)->s);
}

/* GET /api/v1/tenants/current/members?limit=&cursor= (viewer+) 200 list, oldest first. */
static int handle_members_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return tenants_members_list(req, res, &page);
}

/* PATCH /api/v1/tenants/current/members/:user_id {role} (admin+; owner for owner changes)
 * 200; 400; 403; 404; 409 last_owner. */
static int handle_members_patch(struct mh_request *req, struct mh_response *res)
{
	return tenants_members_set_role(req, res, mh_in_path(req, 0)->s,
	                                mh_in_body(req, ROLE_ROLE)->s);
}

/* DELETE /api/v1/tenants/current/members/:user_id (admin+; owner to remove an owner)
 * 204; 403; 404; 409 last_owner. */
static int handle_members_delete(struct mh_request *req, struct mh_response *res)
{
	return tenants_members_remove(req, res, mh_in_path(req, 0)->s);
}

/* GET /api/v1/tenants/current/audit?limit=&cursor= (admin+) 200 list, newest first. */
static int handle_audit(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return tenants_audit_list(req, res, &page);
}

static int tenants_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(tenants_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response get_tenant_responses[] = {
        {200, "OK", "TenantResponse", .headers = "Cache-Control",
         .example = "{\"data\":{\"id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"name\":\"Acme\","
                    "\"slug\":\"acme\",\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"role\":\"owner\"}}"},
        {0},
};
static const struct mh_route_doc get_tenant_doc = {
        .operation_id = "getTenant",
        .summary = "The current tenant (viewer+)",
        .responses = get_tenant_responses,
};

static const struct mh_doc_response update_tenant_responses[] = {
        {200, "OK", "TenantResponse", .headers = "Cache-Control",
         .example = "{\"data\":{\"id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"name\":\"Acme\","
                    "\"slug\":\"acme\",\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"role\":\"owner\"}}"},
        {409, "The slug is taken.", .errors = "conflict",
         .example = "{\"error\":\"conflict\",\"message\":\"this already exists (slug taken, or "
                    "already "
                    "a member)\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc update_tenant_doc = {
        .operation_id = "updateTenant",
        .summary = "Rename the tenant, change its slug (admin+)",
        .request_example = "{\"name\":\"Acme Inc\"}",
        .responses = update_tenant_responses,
};

static const struct mh_doc_response list_members_responses[] = {
        {200, "OK", "MemberList", .headers = "Cache-Control",
         .example = "{\"data\":[{\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"email\":\"ada@example.com\",\"name\":\"Ada\",\"role\":\"member\","
                    "\"joined_at\":\"2026-11-24T10:15:30.123456Z\"}],\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_members_doc = {
        .operation_id = "listMembers",
        .summary = "Members (viewer+), oldest first",
        .responses = list_members_responses,
};

static const struct mh_doc_response set_member_role_responses[] = {
        {200, "OK", "MemberResponse", .headers = "Cache-Control",
         .example = "{\"data\":{\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"email\":\"ada@example.com\",\"name\":\"Ada\",\"role\":\"member\","
                    "\"joined_at\":\"2026-11-24T10:15:30.123456Z\"}}"},
        {409, "The last owner cannot be demoted.", .errors = "last_owner",
         .example = "{\"error\":\"last_owner\",\"message\":\"a tenant needs at least one owner; "
                    "promote "
                    "another first\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc set_member_role_doc = {
        .operation_id = "setMemberRole",
        .summary = "Change a member's role (admin+; owner for owner changes)",
        .request_example = "{\"role\":\"admin\"}",
        .responses = set_member_role_responses,
};

static const struct mh_doc_response remove_member_responses[] = {
        {204, .description = "Removed."},
        {409, "The last owner cannot be removed.", .errors = "last_owner",
         .example = "{\"error\":\"last_owner\",\"message\":\"a tenant needs at least one owner; "
                    "promote "
                    "another first\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc remove_member_doc = {
        .operation_id = "removeMember",
        .summary = "Remove a member (admin+; owner to remove an owner)",
        .responses = remove_member_responses,
};

static const struct mh_doc_response list_audit_responses[] = {
        {200, "OK", "AuditList", .headers = "Cache-Control",
         .example = "{\"data\":[{\"id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"actor_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"action\":\"login\","
                    "\"target\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"ip\":\"203.0.113.7\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\"}],\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_audit_doc = {
        .operation_id = "listAudit",
        .summary = "Audit log (admin+), newest first",
        .responses = list_audit_responses,
};

static const struct mh_route tenants_routes[] = {
        {MH_GET, "/api/v1/tenants/current", handle_get, MH_API_KEY, MH_ROLE_VIEWER, .doc = &get_tenant_doc},
        {MH_PATCH, "/api/v1/tenants/current", handle_patch, MH_API_KEY, MH_ROLE_ADMIN, .body = &patch_body,
         .doc = &update_tenant_doc},
        {MH_GET, "/api/v1/tenants/current/members", handle_members_list, MH_API_KEY, MH_ROLE_VIEWER,
         .query = page_query, .doc = &list_members_doc},
        {MH_PATCH, "/api/v1/tenants/current/members/:user_id", handle_members_patch, 0,
         MH_ROLE_ADMIN, member_param, .body = &role_body, .doc = &set_member_role_doc},
        {MH_DELETE, "/api/v1/tenants/current/members/:user_id", handle_members_delete, 0,
         MH_ROLE_ADMIN, member_param, .doc = &remove_member_doc},
        {MH_GET, "/api/v1/tenants/current/audit", handle_audit, MH_API_KEY, MH_ROLE_ADMIN,
         .query = page_query, .doc = &list_audit_doc},
        {0},
};

const struct mh_module tenants_module = {
        .name = "tenants",
        .routes = tenants_routes,
        .init = tenants_init,
        .doc = &tenants_doc,
};

/* ---- menhir admin create-tenant ------------------------------------------------------------ */

int tenants_admin_create_tenant(const struct mh_config *cfg, int argc, char **argv)
{
	const char *name = NULL, *owner = NULL, *slug = NULL, *m;
	struct mh_arena a;
	PGconn *c;
	PGresult *r;
	int status = 1, bad = 0;

	for (int i = 0; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--owner") == 0 && i + 1 < argc)
			owner = argv[++i];
		else if (strcmp(argv[i], "--slug") == 0 && i + 1 < argc)
			slug = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else
			bad = 1;
	}
	if (bad || name == NULL || owner == NULL) {
		fprintf(stderr,
		        "usage: menhir admin create-tenant NAME --owner EMAIL [--slug SLUG]\n");
		return 2;
	}
	if ((m = mh_check_email(owner)) != NULL) {
		fprintf(stderr, "menhir: invalid --owner EMAIL: %s\n", m);
		return 2;
	}
	if ((m = mh_check_text(NULL, name, 1, 200)) != NULL ||
	    (slug && (m = mh_check_slug(slug)) != NULL)) {
		fprintf(stderr, "menhir: invalid argument: %s\n", m);
		return 2;
	}
	if (mh_arena_init(&a, 4096) < 0)
		return 1;
	if (slug == NULL)
		slug = auth_slug_from_name(&a, name);
	c = PQconnectdb(cfg->migrate_database_url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "menhir: cannot connect to the database: %s", PQerrorMessage(c));
		goto out;
	}
	r = PQexecParams(c, "SELECT tenant_id FROM admin_create_tenant($1, $2, $3)", 3, NULL,
	                 (const char *const[]){name, slug, mh_lower(&a, owner)}, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		printf("tenant %s slug %s\n", PQgetvalue(r, 0, 0), slug);
		status = 0;
	} else {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
	}
	PQclear(r);
out:
	PQfinish(c);
	mh_arena_destroy(&a);
	return status;
}
