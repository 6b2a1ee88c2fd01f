/* routes.c - the invitations module's route table: each route's declared input (core/input.h)
 * and its handler, which hands the checked values over to service.c. */
#include "modules/invitations/invitations.h"
#include "modules/invitations/internal.h"

#include <string.h>

#include "core/cursor.h"
#include "core/input.h"
#include "core/openapi.h"
#include "core/password.h"
#include "core/validate.h"
#include "modules/auth/auth.h"

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field invitation_param[] = {
        {"id", MH_T_UUID, .not_found = "no pending invitation with this id"},
        {0},
};

enum { PAGE_LIMIT };
static const struct mh_field page_query[] = {
        MH_PAGE_QUERY(INVITATIONS_PAGE_DEFAULT, INVITATIONS_PAGE_MAX),
        {0},
};

enum { CREATE_EMAIL, CREATE_ROLE };
static const struct mh_field create_members[] = {
        [CREATE_EMAIL] = {"email", MH_T_EMAIL, MH_REQUIRED},
        [CREATE_ROLE] = {"role", MH_T_ENUM, MH_REQUIRED, .values = mh_role_words, .ref = "Role"},
        {0},
};
static const struct mh_field create_body = {"InvitationCreate", MH_T_OBJECT,
                                            .fields = create_members};

/* The token's shape is checked where it is used: a malformed one is an invalid_token like any
 * other that names no invitation. */
enum { ACCEPT_TOKEN, ACCEPT_PASSWORD, ACCEPT_NAME };
static const struct mh_field accept_members[] = {
        [ACCEPT_TOKEN] = {"token", MH_T_STRING, MH_REQUIRED | MH_BYTES, .min = 1, .max = 200},
        [ACCEPT_PASSWORD] = {"password", MH_T_STRING, MH_RAW_TEXT, .min = MH_PASSWORD_MIN_LENGTH,
                             .max = MH_PASSWORD_MAX_LENGTH, .check = mh_password_check,
                             .description = "The new account's password (at least 12 "
                                            "characters); required when the address has no "
                                            "account."},
        [ACCEPT_NAME] = {"name", MH_T_STRING, .max = 200},
        {0},
};
static const struct mh_field accept_body = {"InvitationAccept", MH_T_OBJECT,
                                            .fields = accept_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/tenants/current/invitations {email, role} (admin+; owner for an owner
 * invitation; a verified address unless the policy says otherwise) 201 + Location: the
 * invitation, pending; its link goes to the address by mail. 400; 403; 429 past invite_max
 * per tenant per hour. Says nothing about whether the address has an account. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	return invitations_create(req, res, mh_in_body(req, CREATE_EMAIL)->s,
	                          mh_in_body(req, CREATE_ROLE)->s);
}

/* GET /api/v1/tenants/current/invitations?limit=&cursor= (admin+) 200 list, newest first,
 * each with its status: pending, accepted, revoked or expired. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return invitations_list(req, res, &page);
}

/* DELETE /api/v1/tenants/current/invitations/:id (admin+) 204: its link no longer works;
 * 404 when there is no pending invitation with this id in the tenant. */
static int handle_revoke(struct mh_request *req, struct mh_response *res)
{
	return invitations_revoke(req, res, mh_in_path(req, 0)->s);
}

/* POST /api/v1/auth/invitations/accept {token, password?, name?} (public; a bearer token
 * when the invitee already has an account)
 * 201 tokens + cookie: a new account with this password, a member of the tenant;
 * 200 {outcome: joined|member, tenant_id, role}: the logged-in invitee is a member now;
 * 400 invalid_token, or validation_failed when a new account has no password; 401
 * login_required (the address has an account: log in as it, then accept). */
static int handle_accept(struct mh_request *req, struct mh_response *res)
{
	return invitations_accept(req, res, mh_in_body(req, ACCEPT_TOKEN)->s,
	                          mh_in_body(req, ACCEPT_PASSWORD)->s,
	                          mh_in_body(req, ACCEPT_NAME)->s);
}

static int invitations_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(invitations_statements);
}

static const struct mh_config_key invitations_keys[] = {
        MH_KEY_INT(struct invitations_settings, invite_max, 1, 100000, "50",
                   "invitations per tenant per hour (429 above)"),
        {0},
};

static const struct mh_settings invitations_config = {
        invitations_keys, &invitations_settings, sizeof(invitations_settings), NULL, NULL,
};

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

#define INVITATION_EXAMPLE                                                                         \
	"{\"id\":\"5d6e7f80-9a1b-4c2d-8e3f-405162738495\",\"email\":\"grace@example.com\","        \
	"\"role\":\"member\",\"status\":\"pending\","                                              \
	"\"invited_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","                                 \
	"\"expires_at\":\"2026-12-01T10:15:30.123456Z\",\"accepted_at\":null,"                     \
	"\"created_at\":\"2026-11-24T10:15:30.123456Z\"}"

static const struct mh_doc_response create_responses[] = {
        {201, "The invitation, pending; its link is on its way by mail.", "InvitationResponse",
         .headers = "Location", .example = "{\"data\":" INVITATION_EXAMPLE "}"},
        {403,
         "Not an admin; an admin inviting an owner; an unverified address; "
         "`api_key_not_allowed` when an API key calls it.",
         .errors = "forbidden email_unverified api_key_not_allowed",
         .example = "{\"error\":\"forbidden\",\"message\":\"only an owner can invite an owner\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc create_doc = {
        .operation_id = "createInvitation",
        .summary = "Invite an address",
        .description = "Mails a link (valid 7 days, usable once) that makes the address a "
                       "member with this role when its owner accepts; nothing is added before. "
                       "Only an owner invites an owner. `invite_max` invitations per tenant per "
                       "hour (429). The answer never says whether the address has an account.",
        .request_example = "{\"email\":\"grace@example.com\",\"role\":\"member\"}",
        .responses = create_responses,
};

static const struct mh_doc_response list_responses[] = {
        {200, "OK", "InvitationList", .headers = "Cache-Control",
         .example = "{\"data\":[" INVITATION_EXAMPLE "],\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_doc = {
        .operation_id = "listInvitations",
        .summary = "List the tenant's invitations",
        .description = "Newest first, each with its status: pending, accepted, revoked or "
                       "expired.",
        .responses = list_responses,
};

static const struct mh_doc_response revoke_responses[] = {
        {204, .description = "Revoked: its link no longer works."},
        {404, "No pending invitation with this id in the tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no pending invitation with this id\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc revoke_doc = {
        .operation_id = "revokeInvitation",
        .summary = "Revoke an invitation",
        .responses = revoke_responses,
};

static const struct mh_doc_response accept_responses[] = {
        {200, "The logged-in invitee is a member (joined now, or was already).",
         "InvitationAcceptedResponse",
         .example = "{\"data\":{\"outcome\":\"joined\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"member\"}}"},
        {201, "A new account, a member of the tenant, logged in.", "SessionResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example = "{\"data\":{\"access_token\":"
                    "\"eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMjYxMTI0VDEwMTUzMFotM"
                    "2Y5YSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl\","
                    "\"token_type\":\"Bearer\",\"expires_in\":900,"
                    "\"user_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"member\"}}"},
        {400,
         "The invitation is unknown, expired, revoked or used; or a new account has no "
         "password.",
         .errors = "invalid_token validation_failed",
         .example = "{\"error\":\"invalid_token\",\"message\":\"this invitation is invalid, "
                    "expired, revoked or already used\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {401, "The address has an account: log in as it, then accept with its access token.",
         .errors = "login_required",
         .example = "{\"error\":\"login_required\",\"message\":\"log in as the invited address, "
                    "then accept the invitation\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {403,
         "An API key was sent along: only a person accepts an invitation "
         "(`api_key_not_allowed`); or the tenant's plan has no seat left "
         "(`plan_limit_reached`, the limit in `details`).",
         .errors = "api_key_not_allowed plan_limit_reached",
         .example = "{\"error\":\"api_key_not_allowed\",\"message\":\"this endpoint is for "
                    "people: an API key cannot call it\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc accept_doc = {
        .operation_id = "acceptInvitation",
        .summary = "Accept an invitation",
        .tag = "auth",
        .description = "With the mailed token. An address without an account: give a password "
                       "(and a name); the account is created, verified, and logged in (201). An "
                       "address with an account: send its access token along; it joins the "
                       "tenant (200) and keeps its session (switch tenants to use it).",
        .request_example = "{\"token\":\"q3V9cM2xZ7bT1nR5yK8wE4uA6sD0fG2hJ9lP3oI7mN1\","
                           "\"password\":\"correct horse battery\",\"name\":\"Grace\"}",
        .responses = accept_responses,
};

static const struct mh_route invitations_routes[] = {
        {MH_POST, "/api/v1/tenants/current/invitations", handle_create, 0, MH_ROLE_ADMIN,
         .body = &create_body, .doc = &create_doc},
        {MH_GET, "/api/v1/tenants/current/invitations", handle_list, 0, MH_ROLE_ADMIN,
         .query = page_query, .doc = &list_doc},
        {MH_DELETE, "/api/v1/tenants/current/invitations/:id", handle_revoke, 0, MH_ROLE_ADMIN,
         invitation_param, .doc = &revoke_doc},
        {MH_POST, "/api/v1/auth/invitations/accept", handle_accept, MH_PUBLIC, MH_ROLE_NONE,
         .body = &accept_body, .doc = &accept_doc},
        {0},
};

const struct mh_module invitations_module = {
        .name = "invitations",
        .routes = invitations_routes,
        .init = invitations_init,
        .doc = &invitations_doc,
        .settings = &invitations_config,
};
