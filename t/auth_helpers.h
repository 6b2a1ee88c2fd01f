/* auth_helpers.h - what suites that need a signed-in user share: unique accounts, sign-up
 * and login, requests with a bearer token / refresh cookie / Origin, and forging tokens
 * with the stack's own keys (for the attack tests). */
#ifndef MH_T_AUTH_HELPERS_H
#define MH_T_AUTH_HELPERS_H

#include <stddef.h>

#include <json-c/json.h>

#include "helpers.h"

struct t_session {
	char email[160];
	char user_id[40];
	char tenant_id[40];
	char role[16];
	char access[4096];  /* access token */
	char refresh[64];   /* refresh cookie value */
};

/* A fresh e-mail address, unique per process and call: "<tag>-<pid>-<n>@example.test". */
void t_auth_email(char *out, size_t outlen, const char *tag);

/* Signs up a new user (password T_SECRET_PASSWORD) owning a new tenant; asserts 201. The
 * address is then marked verified, as most users' are (the unverified-address policy would
 * otherwise stop them inviting); _unverified leaves it as signup made it. */
void t_auth_signup(struct t_session *s, const char *tag);
void t_auth_signup_unverified(struct t_session *s, const char *tag);

/* Logs in; fills s on 200. tenant may be NULL. Returns the status. */
long t_auth_login(struct t_session *s, const char *email, const char *password,
		  const char *tenant);

/* A signed-up user made a member of owner's tenant with role (directly in the database, as an
 * accepted invitation would), logged in there (asserts success). */
void t_auth_member(struct t_session *s, const struct t_session *owner, const char *role,
		   const char *tag);

/*
 * Sends a request through nginx. bearer, cookie (the refresh token value) and origin may
 * be NULL; json (may be NULL) is sent as application/json. Fails the test on a transport
 * error.
 */
void t_auth_request(const char *method, const char *path, const char *bearer,
		    const char *cookie, const char *origin, const char *json,
		    struct http_response *out);

/* The Origin the stack allows (the base URL). */
const char *t_auth_origin(void);

/* The mh_refresh value a response set (malloc'd; "" for a clearing cookie), or NULL. */
char *t_auth_set_cookie(const struct http_response *r);

/* The parsed body (caller puts) and a string member of its "data" object (or NULL). */
json_object *t_auth_json(const struct http_response *r);
const char *t_auth_data_str(json_object *root, const char *key);

/* A configuration value of the stack ($MENHIR_CONFIG), e.g. "jwt_issuer"; static storage. */
const char *t_auth_config(const char *key);

/* The kid in a token's header (static storage). */
const char *t_auth_token_kid(const char *token);
/* A string claim of a token's payload, e.g. "sid" (static storage; "" when absent). */
const char *t_auth_token_claim(const char *token, const char *name);

/* Signs header.payload (JSON texts) with the stack's active RS256 private key, or with
 * HMAC-SHA256 when hmac_key is non-NULL; writes the compact token into out. */
void t_auth_forge(const char *header_json, const char *payload_json, const char *hmac_key,
		  size_t hmac_key_len, char *out, size_t outlen);

/* The active key id of the stack (keys_dir/active). */
const char *t_auth_active_kid(void);

/* Runs `menhir --config $MENHIR_CONFIG ARGS…` with a clean environment, stdin from
 * input (may be NULL); returns the exit status and the first line of stdout in out. */
int t_auth_menhir(const char *input, char *out, size_t outlen, const char *const *args);

/* Runs sql as the PostgreSQL superuser (asserting success); the _long form returns the
 * first column of the first row as a number. */
void t_auth_sql(const char *sql);
long t_auth_sql_long(const char *sql);
/* The first column of the first row as text, into out (asserting there is a row). */
void t_auth_sql_str(const char *sql, char *out, size_t outlen);

/* Runs one Redis command against the stack's Redis (hiredis format); returns the integer
 * or -1. */
long long t_auth_redis(const char *fmt, ...);
/* The same for a command that answers a string (INFO …): copied into out. */
void t_auth_redis_str(char *out, size_t outlen, const char *fmt, ...);

#endif
