/* schemas.c - what the auth module answers with: sessions (access tokens) and the signing keys; and
 * the refresh cookie it sets. The schemas are declarations like any input (core/input.h), named as
 * components of the OpenAPI document (core/openapi.h); `menhir openapi` writes them and the tests
 * check real answers against them. */
#include "modules/auth/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field role_schema = {"Role", MH_T_ENUM, 0, .values = mh_role_words};

static const char *const session_token_type_const[] = {"Bearer", NULL};
static const struct mh_field session_members[] = {
        {"access_token", MH_T_STRING, MH_REQUIRED, .min = 1,
         .description = "RS256 JWT: sub, tid, role, sid (the session), jti, ver, iat, nbf, exp, "
                        "iss, aud; exp - iat at most `access_token_ttl` plus 30 s."},
        {"token_type", MH_T_ENUM, MH_REQUIRED, .values = session_token_type_const},
        {"expires_in", MH_T_INTEGER, MH_REQUIRED, .min = 1,
         .description = "Seconds (access_token_ttl)."},
        {"user_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"tenant_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {"tenant_slug", MH_T_STRING, .flags = 0},
        {"email", MH_T_STRING, .flags = 0},
        {0},
};
static const struct mh_field session_schema = {
        "Session", MH_T_OBJECT, 0, .fields = session_members,
        .description =
                "A new access token (the refresh token travels in the `mh_refresh` cookie)."};

static const struct mh_field session_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Session"},
        {0},
};
static const struct mh_field session_response_schema = {"SessionResponse", MH_T_OBJECT, 0,
                                                        .fields = session_response_members};

static const char *const jwks_keys_item_kty_const[] = {"RSA", NULL};
static const char *const jwks_keys_item_use_const[] = {"sig", NULL};
static const char *const jwks_keys_item_alg_const[] = {"RS256", NULL};
static const struct mh_field jwks_keys_item_members[] = {
        {"kty", MH_T_ENUM, MH_REQUIRED, .values = jwks_keys_item_kty_const},
        {"kid", MH_T_STRING, .flags = MH_REQUIRED},
        {"use", MH_T_ENUM, MH_REQUIRED, .values = jwks_keys_item_use_const},
        {"alg", MH_T_ENUM, MH_REQUIRED, .values = jwks_keys_item_alg_const},
        {"n", MH_T_STRING, .flags = MH_REQUIRED},
        {"e", MH_T_STRING, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field jwks_keys_item = {NULL, MH_T_OBJECT, 0,
                                               .fields = jwks_keys_item_members};
static const struct mh_field jwks_members[] = {
        {"keys", MH_T_ARRAY, MH_REQUIRED, .items = &jwks_keys_item},
        {0},
};
static const struct mh_field jwks_schema = {"Jwks", MH_T_OBJECT, 0, .fields = jwks_members};

static const struct mh_field user_session_members[] = {
        {"id", MH_T_UUID, MH_REQUIRED,
         .description = "The session (refresh family): the `sid` of its access tokens."},
        {"tenant_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"tenant_name", MH_T_STRING, .flags = MH_REQUIRED},
        {"created_at", MH_T_TIMESTAMP, MH_REQUIRED, .description = "When the session began."},
        {"last_used_at", MH_T_TIMESTAMP, MH_REQUIRED, .description = "Its latest refresh."},
        {"expires_at", MH_T_TIMESTAMP, MH_REQUIRED,
         .description = "When its current refresh token expires unless used."},
        {"user_agent", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "The User-Agent of its latest refresh (at most 256 characters)."},
        {"ip_network", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "The client's network, never its address: IPv4 /24, IPv6 /48."},
        {"current", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "The session of the access token that asked."},
        {0},
};
static const struct mh_field user_session_schema = {"UserSession", MH_T_OBJECT, 0,
                                                    .fields = user_session_members};
static const struct mh_field user_session_item = {NULL, MH_T_OBJECT, 0, .ref = "UserSession"};
static const struct mh_field user_session_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &user_session_item},
        {0},
};
static const struct mh_field user_session_list_schema = {"UserSessionList", MH_T_OBJECT, 0,
                                                         .fields = user_session_list_members};

static const char *const mail_status_values[] = {"accepted", "queued", "verified", NULL};
static const struct mh_field mail_status_members[] = {
        {"status", MH_T_ENUM, MH_REQUIRED, .values = mail_status_values},
        {0},
};
static const struct mh_field mail_status_schema = {"MailStatus", MH_T_OBJECT, 0,
                                                   .fields = mail_status_members};
static const struct mh_field mail_status_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "MailStatus"},
        {0},
};
static const struct mh_field mail_status_response_schema = {
        "MailStatusResponse", MH_T_OBJECT, 0, .fields = mail_status_response_members};

static const struct mh_field *const auth_schemas[] = {
        &role_schema, &session_schema,      &session_response_schema,
        &jwks_schema, &user_session_schema, &user_session_list_schema,
        &mail_status_schema, &mail_status_response_schema,
        NULL,
};

const struct mh_module_doc auth_doc = {
        .tag = "auth",
        .description = "Sign-up, login, refresh, logout, tenant switch, password reset, e-mail "
                       "confirmation, signing keys",
        .schemas = auth_schemas,
        .headers = "{\"Set-Cookie-Refresh\":{\"description\":\"`mh_refresh=…; "
                   "Path=/api/v1/auth; Max-Age=…; HttpOnly; Secure; SameSite=Strict` "
                   "(rotated refresh token; `Max-Age=0` clears it).\",\"required\":true,"
                   "\"schema\":{\"type\":\"string\"}}}",
};
