/* routes.c - the auth module's route table and handlers: read and check the input, then hand
 * over to the flows in service.c. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/keys.h"

/* POST /api/v1/auth/signup {email, password, tenant_name, name?}
 * 201 tokens + cookie; 400 unknown field; 409 email_taken; 422 validation_failed. */
static int handle_signup(struct mh_request *req, struct mh_response *res)
{
	const char *email, *password, *tenant_name, *name;
	const struct auth_field fields[] = {
		{ "email", 1, &email },
		{ "password", 1, &password },
		{ "tenant_name", 1, &tenant_name },
		{ "name", 0, &name },
	};
	struct auth_errors e;
	const char *m;

	if (!auth_fields_or_reply(req, res, fields, 4, &e))
		return 0;
	if (email && (m = auth_check_email(email)) != NULL)
		auth_error_add(&e, "email", m);
	if (password && (m = auth_check_password(password)) != NULL)
		auth_error_add(&e, "password", m);
	if (tenant_name && (m = auth_check_text(tenant_name, 200, 1)) != NULL)
		auth_error_add(&e, "tenant_name", m);
	if (name && (m = auth_check_text(name, 200, 0)) != NULL)
		auth_error_add(&e, "name", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return auth_signup(req, res, auth_lower(req->arena, email), password, name, tenant_name);
}

/* POST /api/v1/auth/login {email, password, tenant?} (tenant: id or slug)
 * 200 tokens + cookie; 401 invalid_credentials; 403 no_tenant; 429 too_many_attempts;
 * 503 when Redis (the lockout counters) or the database is down. */
static int handle_login(struct mh_request *req, struct mh_response *res)
{
	const char *email, *password, *tenant, *m;
	const struct auth_field fields[] = {
		{ "email", 1, &email },
		{ "password", 1, &password },
		{ "tenant", 0, &tenant },
	};
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 3, &e))
		return 0;
	/* The e-mail rule is the one sign-up applies (no other address can exist); password
	 * rules apply when one is set, not when one is tried. */
	if (email && (m = auth_check_email(email)) != NULL)
		auth_error_add(&e, "email", m);
	if (password && strlen(password) > 1024)
		auth_error_add(&e, "password", "must be at most 1024 bytes");
	if (tenant && (strlen(tenant) == 0 || strlen(tenant) > 63))
		auth_error_add(&e, "tenant", "must be a tenant id or slug");
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return auth_login(req, res, auth_lower(req->arena, email), password,
			  tenant ? auth_lower(req->arena, tenant) : NULL);
}

/* POST /api/v1/auth/refresh (refresh cookie, Origin checked)
 * 200 new access token + rotated cookie; 401 invalid_refresh_token (also on reuse, which
 * revokes the family); 403 origin_not_allowed. */
static int handle_refresh(struct mh_request *req, struct mh_response *res)
{
	return auth_refresh(req, res);
}

/* POST /api/v1/auth/logout (refresh cookie, Origin checked; bearer token revoked too)
 * 204 and a cleared cookie; 403 origin_not_allowed; 503 if the revocation failed. */
static int handle_logout(struct mh_request *req, struct mh_response *res)
{
	return auth_logout(req, res);
}

/* POST /api/v1/auth/logout-all (bearer) 204: every token of the user dies; 503 if Redis
 * could not record it. */
static int handle_logout_all(struct mh_request *req, struct mh_response *res)
{
	return auth_logout_all(req, res);
}

/* POST /api/v1/auth/switch-tenant {tenant_id} (bearer)
 * 200 tokens for that tenant + cookie; 403 not a member; 422 bad id. */
static int handle_switch_tenant(struct mh_request *req, struct mh_response *res)
{
	const char *tenant_id;
	const struct auth_field fields[] = { { "tenant_id", 1, &tenant_id } };
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 1, &e))
		return 0;
	if (tenant_id && !auth_is_uuid(tenant_id))
		auth_error_add(&e, "tenant_id", "must be a UUID");
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return auth_switch_tenant(req, res, auth_lower(req->arena, tenant_id));
}

/* GET /.well-known/jwks.json: the public keys that verify access tokens (RFC 7517). */
static int handle_jwks(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	res->body.len = 0;
	mh_keyring_jwks(&res->body);
	res->status = 200;
	res->content_type = "application/jwk-set+json";
	/* Verifiers may cache it briefly; a rotation publishes the new key before use. */
	mh_response_header(res, "Cache-Control", "public, max-age=300");
	return 0;
}

static int auth_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(auth_statements);
}

static const struct mh_route auth_routes[] = {
	{ MH_POST, "/api/v1/auth/signup", handle_signup, MH_PUBLIC | MH_JSON_BODY, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/auth/login", handle_login, MH_PUBLIC | MH_JSON_BODY, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/auth/refresh", handle_refresh, MH_PUBLIC, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/auth/logout", handle_logout, MH_PUBLIC, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/auth/logout-all", handle_logout_all, 0, MH_ROLE_NONE },
	{ MH_POST, "/api/v1/auth/switch-tenant", handle_switch_tenant, MH_JSON_BODY, MH_ROLE_NONE },
	{ MH_GET, "/.well-known/jwks.json", handle_jwks, MH_PUBLIC, MH_ROLE_NONE },
	{ 0 },
};

const struct mh_module auth_module = {
	.name = "auth",
	.routes = auth_routes,
	.init = auth_init,
	.settings = &auth_config,
};
