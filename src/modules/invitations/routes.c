/* routes.c - the invitations module's route table and handlers: read and check the input,
 * then hand over to service.c. */
#include "modules/invitations/invitations.h"
#include "modules/invitations/internal.h"

#include <string.h>

#include "modules/auth/auth.h"

static const char *check_role(const char *role)
{
	return mh_role_parse(role) == MH_ROLE_NONE ? "must be owner, admin, member or viewer"
	                                           : NULL;
}

/* POST /api/v1/tenants/current/invitations {email, role} (admin+; owner for an owner
 * invitation; a verified address unless the policy says otherwise) 201 + Location: the
 * invitation, pending; its link goes to the address by mail. 403; 422; 429 past invite_max
 * per tenant per hour. Says nothing about whether the address has an account. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	const char *email, *role, *m;
	const struct auth_field fields[] = {{"email", 1, &email}, {"role", 1, &role}};
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 2, &e))
		return 0;
	if (email && (m = auth_check_email(email)) != NULL)
		auth_error_add(&e, "email", m);
	if (role && (m = check_role(role)) != NULL)
		auth_error_add(&e, "role", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return invitations_create(req, res, auth_lower(req->arena, email), role);
}

/* GET /api/v1/tenants/current/invitations?limit=&cursor= (admin+) 200 list, newest first,
 * each with its status: pending, accepted, revoked or expired. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (!mh_page_or_reply(req, res, INVITATIONS_PAGE_DEFAULT, INVITATIONS_PAGE_MAX, &page))
		return 0;
	return invitations_list(req, res, &page);
}

/* DELETE /api/v1/tenants/current/invitations/:id (admin+) 204: its link no longer works;
 * 404 when there is no pending invitation with this id in the tenant. */
static int handle_revoke(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "id");

	if (id == NULL || !auth_is_uuid(id))
		return mh_reply_error(req, res, 404, "not_found",
		                      "no pending invitation with this id");
	return invitations_revoke(req, res, auth_lower(req->arena, id));
}

/* POST /api/v1/auth/invitations/accept {token, password?, name?} (public; a bearer token
 * when the invitee already has an account)
 * 201 tokens + cookie: a new account with this password, a member of the tenant;
 * 200 {outcome: joined|member, tenant_id, role}: the logged-in invitee is a member now;
 * 400 invalid_token; 401 login_required (the address has an account: log in as it, then
 * accept); 422 a new account needs a password. */
static int handle_accept(struct mh_request *req, struct mh_response *res)
{
	const char *token, *password, *name, *m;
	const struct auth_field fields[] = {
	        {"token", 1, &token},
	        {"password", 0, &password},
	        {"name", 0, &name},
	};
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 3, &e))
		return 0;
	if (password && (m = auth_check_password(password)) != NULL)
		auth_error_add(&e, "password", m);
	if (name && (m = auth_check_text(name, 200, 0)) != NULL)
		auth_error_add(&e, "name", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return invitations_accept(req, res, token, password, name);
}

static int invitations_init(const struct mh_config *cfg)
{
	invitations_settings.max_per_hour = cfg->invite_max;
	return mh_db_register(invitations_statements);
}

static const struct mh_route invitations_routes[] = {
        {MH_POST, "/api/v1/tenants/current/invitations", handle_create, MH_JSON_BODY,
         MH_ROLE_ADMIN},
        {MH_GET, "/api/v1/tenants/current/invitations", handle_list, 0, MH_ROLE_ADMIN},
        {MH_DELETE, "/api/v1/tenants/current/invitations/:id", handle_revoke, 0, MH_ROLE_ADMIN},
        {MH_POST, "/api/v1/auth/invitations/accept", handle_accept, MH_PUBLIC | MH_JSON_BODY,
         MH_ROLE_NONE},
        {0},
};

const struct mh_module invitations_module = {
        .name = "invitations",
        .routes = invitations_routes,
        .init = invitations_init,
};
