/* routes.c - the auth module's route table: each route's declared input (core/input.h) and
 * its handler, which hands the checked values over to the flows in service.c. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/input.h"
#include "core/openapi.h"
#include "core/keys.h"
#include "core/password.h"

/* ---- Declared input --------------------------------------------------------------------- */

enum { SIGNUP_EMAIL, SIGNUP_PASSWORD, SIGNUP_TENANT_NAME, SIGNUP_NAME };
static const struct mh_field signup_members[] = {
        [SIGNUP_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
        [SIGNUP_PASSWORD] = {"password", MH_T_STRING, MH_REQUIRED | MH_RAW_TEXT,
                             .min = MH_PASSWORD_MIN_LENGTH, .max = MH_PASSWORD_MAX_LENGTH,
                             .check = mh_password_check, .description = "At least 12 characters."},
        [SIGNUP_TENANT_NAME] = {"tenant_name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 200},
        [SIGNUP_NAME] = {"name", MH_T_STRING, .max = 200},
        {0},
};
static const struct mh_field signup_body = {"Signup", MH_T_OBJECT, .fields = signup_members};

/* A login's e-mail follows the rule sign-up applies (no other address can exist); password
 * rules apply when one is set, not when one is tried. */
enum { LOGIN_EMAIL, LOGIN_PASSWORD, LOGIN_TENANT };
static const struct mh_field login_members[] = {
        [LOGIN_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
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

/* The tokens that mail carries: their shape is checked where they are used (a malformed one
 * is an invalid_token like any other that names nothing). */
#define AUTH_MAIL_TOKEN(name_)                                                                     \
	{                                                                                          \
		name_, MH_T_STRING, MH_REQUIRED | MH_BYTES, .min = 1, .max = 200                   \
	}

enum { FORGOT_EMAIL };
static const struct mh_field forgot_members[] = {
        [FORGOT_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
        {0},
};
static const struct mh_field forgot_body = {"PasswordForgot", MH_T_OBJECT,
                                            .fields = forgot_members};

enum { RESET_TOKEN, RESET_PASSWORD };
static const struct mh_field reset_members[] = {
        [RESET_TOKEN] = AUTH_MAIL_TOKEN("token"),
        [RESET_PASSWORD] = {"password", MH_T_STRING, MH_REQUIRED | MH_RAW_TEXT,
                            .min = MH_PASSWORD_MIN_LENGTH, .max = MH_PASSWORD_MAX_LENGTH,
                            .check = mh_password_check, .description = "At least 12 characters."},
        {0},
};
static const struct mh_field reset_body = {"PasswordReset", MH_T_OBJECT, .fields = reset_members};

enum { VERIFY_TOKEN };
static const struct mh_field verify_members[] = {
        [VERIFY_TOKEN] = AUTH_MAIL_TOKEN("token"),
        {0},
};
static const struct mh_field verify_body = {"EmailVerify", MH_T_OBJECT, .fields = verify_members};

enum { CONFIRM_TOKEN };
static const struct mh_field confirm_members[] = {
        [CONFIRM_TOKEN] = AUTH_MAIL_TOKEN("token"),
        {0},
};
static const struct mh_field confirm_body = {"EmailChangeConfirm", MH_T_OBJECT,
                                             .fields = confirm_members};

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

/* GET /api/v1/auth/sessions (bearer, a person's token) 200 [{id, tenant_id, tenant_name,
 * created_at, last_used_at, expires_at, user_agent, ip_network, current}], most recently used
 * first, in every tenant. */
static int handle_sessions(struct mh_request *req, struct mh_response *res)
{
	return auth_sessions_list(req, res);
}

/* DELETE /api/v1/auth/sessions/:id (bearer) 204: that session's refresh tokens and access
 * tokens stop working at once, on every worker; 404 not one of the caller's sessions; 503
 * if Redis could not record it. */
static int handle_session_delete(struct mh_request *req, struct mh_response *res)
{
	return auth_session_revoke(req, res, mh_in_path(req, 0)->s);
}

/* POST /api/v1/auth/password/forgot {email} 202 always (whether or not the address has an
 * account, in the same time); 400; 429 past the per-address limit; the mail goes out from the
 * queue. */
static int handle_password_forgot(struct mh_request *req, struct mh_response *res)
{
	return auth_password_forgot(req, res, mh_in_body(req, FORGOT_EMAIL)->s);
}

/* POST /api/v1/auth/password/reset {token, password} 204: the password is set, every session
 * and access token of the user ends, any login lockout is lifted; 400 invalid_token or
 * validation_failed. */
static int handle_password_reset(struct mh_request *req, struct mh_response *res)
{
	return auth_password_reset(req, res, mh_in_body(req, RESET_TOKEN)->s,
	                           mh_in_body(req, RESET_PASSWORD)->s);
}

/* POST /api/v1/auth/email/verify {token} 204: the address is verified; 400 invalid_token. */
static int handle_email_verify(struct mh_request *req, struct mh_response *res)
{
	return auth_email_verify(req, res, mh_in_body(req, VERIFY_TOKEN)->s);
}

/* POST /api/v1/auth/email/confirm {token} (public; the account's own bearer token optional)
 * 204: the address is the new one and every session has ended; 200 with a new session when
 * the account's own access token came along; 400 invalid_token; 401 a bad bearer token; 409
 * email_taken; 410 link_superseded; 503 when the revocation could not be recorded. */
static int handle_email_confirm(struct mh_request *req, struct mh_response *res)
{
	return auth_email_change_confirm(req, res, mh_in_body(req, CONFIRM_TOKEN)->s);
}

/* POST /api/v1/auth/email/verify/resend (bearer, no body) 202 {status: queued|verified};
 * 429 within the cooldown. */
static int handle_email_verify_resend(struct mh_request *req, struct mh_response *res)
{
	return auth_email_verify_resend(req, res);
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
	snprintf(auth_keep_days, sizeof(auth_keep_days), "%d", cfg->jobs_keep_days);
	auth_job_kinds[1].every_seconds = cfg->jobs_cleanup_every;
	return mh_db_register(auth_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response signup_responses[] = {
        {201, "Signed up and logged in.", "SessionResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh Location",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\","
                    "\"tenant_slug\":\"acme\",\"email\":\"ada@example.com\"}}"},
        {409, "The e-mail is registered already.", .errors = "email_taken",
         .example = "{\"error\":\"email_taken\",\"message\":\"an account with this e-mail already "
                    "exists\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc signup_doc = {
        .operation_id = "signup",
        .summary = "Sign up",
        .description = "Creates a user, a tenant (slug derived from the name; a random "
                       "suffix when taken) and the owner membership; logs in. Password: at "
                       "least 12 characters.",
        .request_example = "{\"email\":\"ada@example.com\",\"password\":\"correct horse "
                           "battery\",\"tenant_name\":\"Acme\"}",
        .responses = signup_responses,
};

static const struct mh_doc_response login_responses[] = {
        {200, "Logged in.", "SessionResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\"}}"},
        {401, "Unknown e-mail or wrong password (indistinguishable).",
         .errors = "invalid_credentials",
         .example = "{\"error\":\"invalid_credentials\",\"message\":\"the e-mail or password is "
                    "incorrect\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {403, "The password is right but the user is not a member of that (or any) tenant.",
         .errors = "no_tenant",
         .example = "{\"error\":\"no_tenant\",\"message\":\"you are not a member of that tenant\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc login_doc = {
        .operation_id = "login",
        .summary = "Log in",
        .description = "Checks the password (argon2id; the same work for unknown e-mails) "
                       "and issues an access token plus the refresh cookie for one tenant: "
                       "`tenant` (id or slug) or the most recently joined. Throttled per "
                       "(account, client address): after `login_max_failures` failures that "
                       "address waits 1 s, then twice as long after each further failure (up "
                       "to `login_lockout` seconds); 10× that many failures lock an address "
                       "out of every account, and 20× from every address together lock the "
                       "account (`menhir admin unlock-login` lifts it): 429 with Retry-After. "
                       "An unknown e-mail and a wrong password get the same 401.",
        .request_example = "{\"email\":\"ada@example.com\",\"password\":\"correct horse "
                           "battery\"}",
        .responses = login_responses,
};

static const struct mh_doc_response refresh_responses[] = {
        {200, "A new access token and a rotated cookie.", "SessionResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\"}}"},
        {401, "No cookie, or a refresh token that is unknown, expired, revoked or replayed.",
         .errors = "invalid_refresh_token",
         .example =
                 "{\"error\":\"invalid_refresh_token\",\"message\":\"the refresh token is invalid, "
                 "expired or revoked; log in again\","
                 "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {403, "Missing or foreign Origin (CSRF defence).", .errors = "origin_not_allowed",
         .example =
                 "{\"error\":\"origin_not_allowed\",\"message\":\"this request must come from an "
                 "allowed origin\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc refresh_doc = {
        .operation_id = "refresh",
        .summary = "Refresh the access token",
        .description = "Authenticated by the `mh_refresh` cookie; `Origin` must be an "
                       "allowed origin. Rotates the refresh token. Within `refresh_reuse_grace` "
                       "seconds of a rotation, replaying the rotated token answers with the "
                       "same successor (or the session's current token) instead of a new one; "
                       "after that, it revokes its whole family and every access token of the "
                       "session at once (401).",
        .responses = refresh_responses,
};

static const struct mh_doc_response logout_responses[] = {
        {204, .description = "Logged out; the cookie is cleared."},
        {403, "Missing or foreign Origin (CSRF defence).", .errors = "origin_not_allowed",
         .example =
                 "{\"error\":\"origin_not_allowed\",\"message\":\"this request must come from an "
                 "allowed origin\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc logout_doc = {
        .operation_id = "logout",
        .summary = "Log out",
        .description = "Authenticated by the `mh_refresh` cookie (Origin checked): revokes "
                       "its family and clears the cookie; the session of a bearer token sent "
                       "along (every access token issued in it) is revoked too. 503 when the "
                       "revocation could not be recorded.",
        .responses = logout_responses,
};

static const struct mh_doc_response logout_all_responses[] = {
        {204, .description = "Every session is revoked."},
        {0},
};
static const struct mh_route_doc logout_all_doc = {
        .operation_id = "logoutAll",
        .summary = "Log out everywhere",
        .description = "Bumps the user's token version and revokes every refresh token: "
                       "every access token of the user stops working at once. 503 (retry) "
                       "when Redis could not record it.",
        .responses = logout_all_responses,
};

static const struct mh_doc_response switch_tenant_responses[] = {
        {200, "Tokens for that tenant.", "SessionResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\"}}"},
        {0},
};
static const struct mh_route_doc switch_tenant_doc = {
        .operation_id = "switchTenant",
        .summary = "Switch tenant",
        .description = "New tokens for another tenant the user belongs to.",
        .request_example = "{\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\"}",
        .responses = switch_tenant_responses,
};

static const struct mh_doc_response jwks_responses[] = {
        {200, "The key set.", "Jwks", .media = "application/jwk-set+json",
         .example = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"20261124T101530Z-3f9a\",\"use\":\"sig\","
                    "\"alg\":\"RS256\",\"n\":\"0vx7agoebGcQSuu\",\"e\":\"AQAB\"}]}"},
        {0},
};
static const struct mh_route_doc jwks_doc = {
        .operation_id = "jwks",
        /* The keys are in memory. */
        .flags = MH_DOC_NO_DEPENDENCY,
        .summary = "Signing keys (JWKS)",
        .description = "The RS256 public keys that verify access tokens, by `kid`; old keys "
                       "stay until their tokens expire.",
        .responses = jwks_responses,
};

static const struct mh_doc_response sessions_responses[] = {
        {200, "OK", "UserSessionList", .headers = "Cache-Control",
         .example = "{\"data\":[{\"id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\","
                    "\"tenant_name\":\"Acme\",\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"last_used_at\":\"2026-11-24T10:30:30.123456Z\","
                    "\"expires_at\":\"2026-12-01T10:30:30.123456Z\","
                    "\"user_agent\":\"Mozilla/5.0\",\"ip_network\":\"203.0.113.0/24\","
                    "\"current\":true}]}"},
        {0},
};
static const struct mh_route_doc sessions_doc = {
        .operation_id = "listSessions",
        .summary = "List your sessions",
        .description = "Your live sessions in every tenant, most recently used first: when each "
                       "began and was last refreshed, the client (User-Agent) and its network "
                       "(IPv4 /24, IPv6 /48). `current` marks the session of the token that "
                       "asked.",
        .responses = sessions_responses,
};

static const struct mh_doc_response session_delete_responses[] = {
        {204, .description = "The session is ended."},
        {0},
};
static const struct mh_route_doc session_delete_doc = {
        .operation_id = "revokeSession",
        .summary = "End one of your sessions",
        .description = "Revokes the session's refresh tokens and, at once on every worker, every "
                       "access token issued in it (their `sid`). Ending your current session "
                       "logs you out. 503 (retry) when Redis could not record it.",
        .responses = session_delete_responses,
};

#define AUTH_ERROR_EXAMPLE(code_, message_)                                                        \
	"{\"error\":\"" code_ "\",\"message\":\"" message_                                         \
	"\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"

static const struct mh_doc_response forgot_responses[] = {
        {202, "Accepted: a reset link goes to the address if it has an account.",
         "MailStatusResponse", .example = "{\"data\":{\"status\":\"accepted\"}}"},
        {0},
};
static const struct mh_route_doc forgot_doc = {
        .operation_id = "forgotPassword",
        .summary = "Ask for a password reset link",
        .description = "Always 202, in the same time, whether or not the address has an "
                       "account; the link (valid one hour, usable once) goes out by mail from "
                       "the job queue. One mail per address per `mail_cooldown` seconds; "
                       "`mail_ip_max` such requests per client address per hour (429).",
        .request_example = "{\"email\":\"ada@example.com\"}",
        .responses = forgot_responses,
};

static const struct mh_doc_response reset_responses[] = {
        {204, .description = "The password is set; every session of the user has ended."},
        {400, "The token is unknown, expired or used (or the input is invalid).",
         .errors = "invalid_token validation_failed",
         .example = AUTH_ERROR_EXAMPLE("invalid_token",
                                       "this link is invalid, expired or already used")},
        {0},
};
static const struct mh_route_doc reset_doc = {
        .operation_id = "resetPassword",
        .summary = "Set a new password with a reset link",
        .description = "Sets the password, ends every session and access token of the user "
                       "and lifts any login lockout of the account. 503 (retry) when the "
                       "revocation could not be recorded.",
        .request_example = "{\"token\":\"q3V9cM2xZ7bT1nR5yK8wE4uA6sD0fG2hJ9lP3oI7mN1\","
                           "\"password\":\"correct horse battery\"}",
        .responses = reset_responses,
};

static const struct mh_doc_response verify_responses[] = {
        {204, .description = "The address is verified."},
        {400, "The token is unknown, expired or used (or the input is invalid).",
         .errors = "invalid_token validation_failed",
         .example = AUTH_ERROR_EXAMPLE("invalid_token",
                                       "this link is invalid, expired or already used")},
        {0},
};
static const struct mh_route_doc verify_doc = {
        .operation_id = "verifyEmail",
        .summary = "Confirm an e-mail address",
        .description = "Marks the address of the link's account verified (the link is valid "
                       "for a day, usable once).",
        .request_example = "{\"token\":\"q3V9cM2xZ7bT1nR5yK8wE4uA6sD0fG2hJ9lP3oI7mN1\"}",
        .responses = verify_responses,
};

static const struct mh_doc_response confirm_responses[] = {
        {200, "The address is changed; the session that confirmed goes on as a new one.",
         "SessionResponse", .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\"}}"},
        {204, .description = "The address is changed; every session of the account has ended."},
        {400, "The token is unknown, expired or used (or the input is invalid).",
         .errors = "invalid_token validation_failed",
         .example = AUTH_ERROR_EXAMPLE("invalid_token",
                                       "this link is invalid, expired or already used")},
        {409, "Another account has this address by now.", .errors = "email_taken",
         .example =
                 AUTH_ERROR_EXAMPLE("email_taken", "an account with this e-mail already exists")},
        {410, "A newer request, a password change or another address change since.",
         .errors = "link_superseded",
         .example = AUTH_ERROR_EXAMPLE("link_superseded",
                                       "this change was replaced or cancelled (a newer "
                                       "request, or a password change); ask for the change "
                                       "again")},
        {0},
};
static const struct mh_route_doc confirm_doc = {
        .operation_id = "confirmEmailChange",
        .summary = "Confirm a new e-mail address",
        .description = "Completes a change asked for with `POST /api/v1/users/me/email`: the "
                       "link (valid a day, usable once) went to the new address. The account's "
                       "address becomes the new one, verified; the old one no longer logs in; "
                       "every session and access token of the account ends at once, and so do "
                       "outstanding reset and confirmation links. With the account's own "
                       "access token the confirming session goes on as a new one (200), "
                       "otherwise 204. 503 (retry: nothing changed) when the revocation could "
                       "not be recorded.",
        .request_example = "{\"token\":\"q3V9cM2xZ7bT1nR5yK8wE4uA6sD0fG2hJ9lP3oI7mN1\"}",
        .responses = confirm_responses,
};

static const struct mh_doc_response resend_responses[] = {
        {202, "queued: a new link is on its way; verified: nothing to do.", "MailStatusResponse",
         .example = "{\"data\":{\"status\":\"queued\"}}"},
        {0},
};
static const struct mh_route_doc resend_doc = {
        .operation_id = "resendVerification",
        .summary = "Send the confirmation link again",
        .description = "Queues a new confirmation mail to the caller's address (the older "
                       "links stop working). One per `mail_cooldown` seconds (429).",
        .responses = resend_responses,
};

static const struct mh_field session_param[] = {
        {"id", MH_T_UUID, .not_found = "you have no such session"},
        {0},
};

static const struct mh_route auth_routes[] = {
        {MH_POST, "/api/v1/auth/signup", handle_signup, MH_PUBLIC, MH_ROLE_NONE,
         .body = &signup_body, .doc = &signup_doc},
        {MH_POST, "/api/v1/auth/login", handle_login, MH_PUBLIC, MH_ROLE_NONE, .body = &login_body,
         .doc = &login_doc},
        {MH_POST, "/api/v1/auth/refresh", handle_refresh, MH_PUBLIC, MH_ROLE_NONE,
         .doc = &refresh_doc},
        {MH_POST, "/api/v1/auth/logout", handle_logout, MH_PUBLIC, MH_ROLE_NONE,
         .doc = &logout_doc},
        {MH_POST, "/api/v1/auth/logout-all", handle_logout_all, 0, MH_ROLE_NONE,
         .doc = &logout_all_doc},
        {MH_POST, "/api/v1/auth/switch-tenant", handle_switch_tenant, 0, MH_ROLE_NONE,
         .body = &switch_body, .doc = &switch_tenant_doc},
        {MH_GET, "/api/v1/auth/sessions", handle_sessions, 0, MH_ROLE_NONE, .doc = &sessions_doc},
        {MH_DELETE, "/api/v1/auth/sessions/:id", handle_session_delete, 0, MH_ROLE_NONE,
         session_param, .doc = &session_delete_doc},
        {MH_POST, "/api/v1/auth/password/forgot", handle_password_forgot, MH_PUBLIC, MH_ROLE_NONE,
         .body = &forgot_body, .doc = &forgot_doc},
        {MH_POST, "/api/v1/auth/password/reset", handle_password_reset, MH_PUBLIC, MH_ROLE_NONE,
         .body = &reset_body, .doc = &reset_doc},
        {MH_POST, "/api/v1/auth/email/verify", handle_email_verify, MH_PUBLIC, MH_ROLE_NONE,
         .body = &verify_body, .doc = &verify_doc},
        {MH_POST, "/api/v1/auth/email/confirm", handle_email_confirm, MH_PUBLIC, MH_ROLE_NONE,
         .body = &confirm_body, .doc = &confirm_doc},
        {MH_POST, "/api/v1/auth/email/verify/resend", handle_email_verify_resend, 0, MH_ROLE_NONE,
         .doc = &resend_doc},
        {MH_GET, "/.well-known/jwks.json", handle_jwks, MH_PUBLIC, MH_ROLE_NONE, .doc = &jwks_doc},
        {0},
};

const struct mh_module auth_module = {
        .name = "auth",
        .routes = auth_routes,
        .init = auth_init,
        .job_kinds = auth_job_kinds,
        .doc = &auth_doc,
        .settings = &auth_config,
};
