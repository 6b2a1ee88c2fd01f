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

enum { ADD_EMAIL, ADD_ROLE };
static const struct mh_field add_members[] = {
        [ADD_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
        [ADD_ROLE] = {"role", MH_T_ENUM, MH_REQUIRED, .values = mh_role_words, .ref = "Role"},
        {0},
};
static const struct mh_field add_body = {"MemberAdd", MH_T_OBJECT, .fields = add_members};

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

/* POST /api/v1/tenants/current/members {email, role} (admin+; owner to add an owner)
 * 201 + Location; 400; 403; 409 already a member. Creates the user (no usable password)
 * when the e-mail is new. */
static int handle_members_add(struct mh_request *req, struct mh_response *res)
{
	return tenants_members_add(req, res, mh_in_body(req, ADD_EMAIL)->s,
	                           mh_in_body(req, ADD_ROLE)->s);
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

static const struct mh_route tenants_routes[] = {
        {MH_GET, "/api/v1/tenants/current", handle_get, 0, MH_ROLE_VIEWER, .doc = NULL},
        {MH_PATCH, "/api/v1/tenants/current", handle_patch, 0, MH_ROLE_ADMIN, .body = &patch_body},
        {MH_GET, "/api/v1/tenants/current/members", handle_members_list, 0, MH_ROLE_VIEWER,
         .query = page_query},
        {MH_POST, "/api/v1/tenants/current/members", handle_members_add, 0, MH_ROLE_ADMIN,
         .body = &add_body},
        {MH_PATCH, "/api/v1/tenants/current/members/:user_id", handle_members_patch, 0,
         MH_ROLE_ADMIN, member_param, .body = &role_body},
        {MH_DELETE, "/api/v1/tenants/current/members/:user_id", handle_members_delete, 0,
         MH_ROLE_ADMIN, member_param, .doc = NULL},
        {MH_GET, "/api/v1/tenants/current/audit", handle_audit, 0, MH_ROLE_ADMIN,
         .query = page_query},
        {0},
};

const struct mh_module tenants_module = {
        .name = "tenants",
        .routes = tenants_routes,
        .init = tenants_init,
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
	if ((m = mh_check_text(NULL, name, 1, 200)) != NULL ||
	    (m = mh_check_email(owner)) != NULL || (slug && (m = mh_check_slug(slug)) != NULL)) {
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
