/* routes.c - the tenants module's route table and handlers: read and check the input, then
 * hand over to service.c. Minimum roles live here; the owner-only rules (granting, demoting
 * or removing an owner) and the last-owner rule live in the database functions. */
#include "modules/tenants/tenants.h"
#include "modules/tenants/internal.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "modules/auth/auth.h"

/* GET /api/v1/tenants/current (viewer+) 200 {id, name, slug, created_at, updated_at, role}. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };

	if (!auth_query_or_reply(req, res, none))
		return 0;
	return tenants_get(req, res);
}

/* PATCH /api/v1/tenants/current {name?, slug?} (admin+) 200; 409 slug taken; 422. */
static int handle_patch(struct mh_request *req, struct mh_response *res)
{
	const char *name, *slug, *m;
	const struct auth_field fields[] = { { "name", 0, &name }, { "slug", 0, &slug } };
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 2, &e))
		return 0;
	if (name && (m = auth_check_text(name, 200, 1)) != NULL)
		auth_error_add(&e, "name", m);
	if (slug && (m = auth_check_slug(slug)) != NULL)
		auth_error_add(&e, "slug", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return tenants_update(req, res, name, slug);
}

/* GET /api/v1/tenants/current/members?limit=&cursor= (viewer+) 200 list, oldest first. */
static int handle_members_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (!mh_page_or_reply(req, res, TENANTS_PAGE_DEFAULT, TENANTS_PAGE_MAX, &page))
		return 0;
	return tenants_members_list(req, res, &page);
}

static const char *check_role(const char *role)
{
	return mh_role_parse(role) == MH_ROLE_NONE ? "must be owner, admin, member or viewer" : NULL;
}

/* POST /api/v1/tenants/current/members {email, role} (admin+; owner to add an owner)
 * 201 + Location; 403; 409 already a member; 422. Creates the user (no usable password)
 * when the e-mail is new. */
static int handle_members_add(struct mh_request *req, struct mh_response *res)
{
	const char *email, *role, *m;
	const struct auth_field fields[] = { { "email", 1, &email }, { "role", 1, &role } };
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 2, &e))
		return 0;
	if (email && (m = auth_check_email(email)) != NULL)
		auth_error_add(&e, "email", m);
	if (role && (m = check_role(role)) != NULL)
		auth_error_add(&e, "role", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return tenants_members_add(req, res, auth_lower(req->arena, email), role);
}

/* The :user_id parameter, or a 404 (a malformed id names no member). */
static const char *member_id_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "user_id");

	if (id == NULL || !auth_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such member in this tenant");
		return NULL;
	}
	return auth_lower(req->arena, id);
}

/* PATCH /api/v1/tenants/current/members/:user_id {role} (admin+; owner for owner changes)
 * 200; 403; 404; 409 last_owner; 422. */
static int handle_members_patch(struct mh_request *req, struct mh_response *res)
{
	const char *role, *m, *id;
	const struct auth_field fields[] = { { "role", 1, &role } };
	struct auth_errors e;

	if ((id = member_id_or_reply(req, res)) == NULL)
		return 0;
	if (!auth_fields_or_reply(req, res, fields, 1, &e))
		return 0;
	if (role && (m = check_role(role)) != NULL)
		auth_error_add(&e, "role", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return tenants_members_set_role(req, res, id, role);
}

/* DELETE /api/v1/tenants/current/members/:user_id (admin+; owner to remove an owner)
 * 204; 403; 404; 409 last_owner. */
static int handle_members_delete(struct mh_request *req, struct mh_response *res)
{
	const char *id = member_id_or_reply(req, res);

	return id ? tenants_members_remove(req, res, id) : 0;
}

/* GET /api/v1/tenants/current/audit?limit=&cursor= (admin+) 200 list, newest first. */
static int handle_audit(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (!mh_page_or_reply(req, res, TENANTS_PAGE_DEFAULT, TENANTS_PAGE_MAX, &page))
		return 0;
	return tenants_audit_list(req, res, &page);
}

static int tenants_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(tenants_statements);
}

static const struct mh_route tenants_routes[] = {
	{ MH_GET, "/api/v1/tenants/current", handle_get, 0, MH_ROLE_VIEWER },
	{ MH_PATCH, "/api/v1/tenants/current", handle_patch, MH_JSON_BODY, MH_ROLE_ADMIN },
	{ MH_GET, "/api/v1/tenants/current/members", handle_members_list, 0, MH_ROLE_VIEWER },
	{ MH_POST, "/api/v1/tenants/current/members", handle_members_add, MH_JSON_BODY,
	  MH_ROLE_ADMIN },
	{ MH_PATCH, "/api/v1/tenants/current/members/:user_id", handle_members_patch,
	  MH_JSON_BODY, MH_ROLE_ADMIN },
	{ MH_DELETE, "/api/v1/tenants/current/members/:user_id", handle_members_delete, 0,
	  MH_ROLE_ADMIN },
	{ MH_GET, "/api/v1/tenants/current/audit", handle_audit, 0, MH_ROLE_ADMIN },
	{ 0 },
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
		fprintf(stderr, "usage: menhir admin create-tenant NAME --owner EMAIL [--slug SLUG]\n");
		return 2;
	}
	if ((m = auth_check_email(owner)) != NULL) {
		fprintf(stderr, "menhir: invalid --owner EMAIL: %s\n", m);
		return 2;
	}
	if ((m = auth_check_text(name, 200, 1)) != NULL ||
	    (slug && (m = auth_check_slug(slug)) != NULL)) {
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
			 (const char *const[]){ name, slug, auth_lower(&a, owner) }, NULL, NULL, 0);
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
