/* auth.h - the auth module (sign-up, login, refresh, logout, tenant switch, JWKS) and what
 * the tenants and users modules build on: strict body fields, input checks, sessions,
 * audit rows. */
#ifndef MH_MODULES_AUTH_H
#define MH_MODULES_AUTH_H

#include <stddef.h>

#include "core/db.h"
#include "core/module.h"

extern const struct mh_module auth_module;

/* ---- Request bodies ---------------------------------------------------------------------- */

#define AUTH_MAX_ERRORS 16

/* Field-level problems collected before one 422 reply. */
struct auth_errors {
	struct mh_error_detail d[AUTH_MAX_ERRORS];
	size_t n;
};

/* A string member a JSON body may (or must) carry; *value is set to it or NULL. */
struct auth_field {
	const char *name;
	int required;
	const char **value;
};

/*
 * Checks req->json against the declared fields. A member that is not declared is a 400
 * (replied here, returns 0): unknown input is never silently dropped. A missing required
 * member or one that is not a string (or holds a NUL) goes into errors for the caller's
 * 422; returns 1 and the caller adds its own checks before auth_errors_reply_if_any().
 */
int auth_fields_or_reply(struct mh_request *req, struct mh_response *res,
			 const struct auth_field *fields, size_t nfields, struct auth_errors *errors);
void auth_error_add(struct auth_errors *e, const char *field, const char *message);
/* 422 validation_failed with the details when there are any (returns 1 having replied),
 * otherwise 0. */
int auth_errors_reply_if_any(struct mh_request *req, struct mh_response *res,
			     const struct auth_errors *e);

/* Rejects every query parameter not in names (NULL-terminated): 400, returns 0. */
int auth_query_or_reply(struct mh_request *req, struct mh_response *res,
			const char *const *names);

/* Input rules; each returns NULL when s is acceptable, else the message for the client.
 * E-mail: the core's rule (mh_email_check); auth_lower() then gives its normal form. */
const char *auth_check_email(const char *s);
const char *auth_check_password(const char *s);
/* A display name: at most max characters, no control characters; empty allowed unless
 * nonempty. */
const char *auth_check_text(const char *s, size_t max, int nonempty);
/* A tenant slug: a-z, 0-9 and inner dashes, 1 to 63 characters. */
const char *auth_check_slug(const char *s);
/* The slug a tenant name suggests: a-z, 0-9 and single dashes, at most 56 characters
 * (room for a "-xxxxxx" suffix when taken); "tenant" when nothing is left. */
char *auth_slug_from_name(struct mh_arena *a, const char *name);
/* 1 when s is a canonical UUID (8-4-4-4-12 hex). */
int auth_is_uuid(const char *s);
/* Lower-case copy (e-mails are compared lower-cased). */
char *auth_lower(struct mh_arena *a, const char *s);

/* ---- Sessions ---------------------------------------------------------------------------- */

/* What an access token is issued for. */
struct auth_grant {
	const char *user_id;
	const char *tenant_id;
	const char *role;
	long long token_version;
	const char *session_id; /* the refresh family: the token's sid */
};

/* A new refresh token (256 random bits, base64url) and the parameter that stores its
 * SHA-256 (bytea hex text); both in the arena. Returns 0 or -1. */
int auth_refresh_new(struct mh_arena *a, const char **token, const char **hash_param);

/* A new session (refresh family) id: a random UUID in the arena, or NULL. The caller stores
 * it with the session's first refresh token and names it in the access tokens it issues. */
const char *auth_session_new(struct mh_arena *a);

/* Appends "access_token":"…","token_type":"Bearer","expires_in":N (no braces) for g.
 * Returns 0 or -1 (signing failed). */
int auth_access_token_json(struct mh_request *req, const struct auth_grant *g,
			   struct mh_buf *b);

/* Sets the refresh cookie (HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth; Max-Age). */
void auth_set_refresh_cookie(struct mh_request *req, struct mh_response *res,
			     const char *token);

/* Hashes a password (argon2id, the configured cost) into the arena; NULL on failure. */
const char *auth_password_hash(struct mh_request *req, const char *password);

/* Queues an audit row for the transaction's tenant and user. Returns the query index or
 * MH_DB_ERROR. */
int auth_audit_queue(struct mh_tx *tx, const char *action, const char *target);

/* The request's client address and id, as audit parameters. */
const char *auth_client_ip(const struct mh_request *req);

/* Lifts every login throttle on the account of email (its lock and the delays of every
 * address): what a password reset does once the owner has proved who they are. Returns 0,
 * or -1 when Redis did not take it. */
int auth_lockout_clear(struct mh_request *req, const char *email);

/* `menhir admin unlock-login EMAIL`: auth_lockout_clear from the shell. Returns the exit
 * status. */
int auth_admin_unlock_login(const struct mh_config *cfg, int argc, char **argv);

/* Seconds an access token lives (access_token_ttl); a refresh token (refresh_token_ttl). */
int auth_access_ttl(void);
int auth_refresh_ttl(void);

#endif
