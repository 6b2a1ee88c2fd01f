/* routes.c - the auth module's route table: each route's declared input (core/input.h) and
 * its handler, which hands the checked values over to the flows in service.c. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/input.h"
#include "core/keys.h"
#include "core/password.h"

/* ---- Declared input --------------------------------------------------------------------- */

enum { SIGNUP_EMAIL, SIGNUP_PASSWORD, SIGNUP_TENANT_NAME, SIGNUP_NAME };
static const struct mh_field signup_members[] = {
        [SIGNUP_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
        [SIGNUP_PASSWORD] = {"password", MH_T_STRING, MH_REQUIRED | MH_RAW_TEXT | MH_BYTES,
                             .max = MH_PASSWORD_MAX_LENGTH, .check = mh_password_check,
                             .description = "At least 12 characters."},
        [SIGNUP_TENANT_NAME] = {"tenant_name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 200},
        [SIGNUP_NAME] = {"name", MH_T_STRING, .max = 200},
        {0},
};
static const struct mh_field signup_body = {"Signup", MH_T_OBJECT, .fields = signup_members};

/* Only the shape of a login is checked: a syntactically odd e-mail is just an unknown
 * account, and password rules apply when one is set, not when one is tried. */
enum { LOGIN_EMAIL, LOGIN_PASSWORD, LOGIN_TENANT };
static const struct mh_field login_members[] = {
        [LOGIN_EMAIL] = {"email", MH_T_STRING, MH_REQUIRED | MH_BYTES | MH_LOWER, .min = 1,
                         .max = 254},
        [LOGIN_PASSWORD] = {"password", MH_T_STRING, MH_REQUIRED | MH_RAW_TEXT | MH_BYTES,
                            .max = MH_PASSWORD_MAX_LENGTH},
        [LOGIN_TENANT] = {"tenant", MH_T_STRING, MH_BYTES | MH_LOWER, .min = 1, .max = 63,
                          .description = "The tenant's id or slug; default: the one joined most "
                                         "recently."},
        {0},
};
static const struct mh_field login_body = {"Login", MH_T_OBJECT, .fields = login_members};

enum { SWITCH_TENANT_ID };
static const struct mh_field switch_members[] = {
        [SWITCH_TENANT_ID] = {"tenant_id", MH_T_UUID, MH_REQUIRED},
        {0},
};
static const struct mh_field switch_body = {"SwitchTenant", MH_T_OBJECT, .fields = switch_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/auth/signup {email, password, tenant_name, name?}
 * 201 tokens + cookie; 400; 409 email_taken. */
static int handle_signup(struct mh_request *req, struct mh_response *res)
{
	return auth_signup(req, res, mh_in_body(req, SIGNUP_EMAIL)->s,
	                   mh_in_body(req, SIGNUP_PASSWORD)->s, mh_in_body(req, SIGNUP_NAME)->s,
	                   mh_in_body(req, SIGNUP_TENANT_NAME)->s);
}

/* POST /api/v1/auth/login {email, password, tenant?} (tenant: id or slug)
 * 200 tokens + cookie; 401 invalid_credentials; 403 no_tenant; 429 too_many_attempts;
 * 503 when Redis (the lockout counters) or the database is down. */
static int handle_login(struct mh_request *req, struct mh_response *res)
{
	return auth_login(req, res, mh_in_body(req, LOGIN_EMAIL)->s,
	                  mh_in_body(req, LOGIN_PASSWORD)->s, mh_in_body(req, LOGIN_TENANT)->s);
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
 * 200 tokens for that tenant + cookie; 400; 403 not a member. */
static int handle_switch_tenant(struct mh_request *req, struct mh_response *res)
{
	return auth_switch_tenant(req, res, mh_in_body(req, SWITCH_TENANT_ID)->s);
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
	auth_settings.access_ttl = cfg->access_token_ttl;
	auth_settings.refresh_ttl = cfg->refresh_token_ttl;
	auth_settings.refresh_grace = cfg->refresh_reuse_grace;
	auth_settings.max_failures = cfg->login_max_failures;
	auth_settings.lockout = cfg->login_lockout;
	auth_settings.cookie_secure = cfg->cookie_secure;
	snprintf(auth_settings.origins, sizeof(auth_settings.origins), "%s", cfg->allowed_origins);
	return mh_db_register(auth_statements);
}

static const struct mh_route auth_routes[] = {
        {MH_POST, "/api/v1/auth/signup", handle_signup, MH_PUBLIC, MH_ROLE_NONE,
         .body = &signup_body},
        {MH_POST, "/api/v1/auth/login", handle_login, MH_PUBLIC, MH_ROLE_NONE, .body = &login_body},
        {MH_POST, "/api/v1/auth/refresh", handle_refresh, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_POST, "/api/v1/auth/logout", handle_logout, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {MH_POST, "/api/v1/auth/logout-all", handle_logout_all, 0, MH_ROLE_NONE, .doc = NULL},
        {MH_POST, "/api/v1/auth/switch-tenant", handle_switch_tenant, 0, MH_ROLE_NONE,
         .body = &switch_body},
        {MH_GET, "/.well-known/jwks.json", handle_jwks, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL},
        {0},
};

const struct mh_module auth_module = {
        .name = "auth",
        .routes = auth_routes,
        .init = auth_init,
};
