/* auth.h - the auth module (sign-up, login, refresh, logout, tenant switch, JWKS) and what
 * the tenants and users modules build on: sessions, password hashes, audit rows. */
#ifndef MH_MODULES_AUTH_H
#define MH_MODULES_AUTH_H

#include <stddef.h>

#include "core/db.h"
#include "core/module.h"

extern const struct mh_module auth_module;

/* The slug a tenant name suggests: a-z, 0-9 and single dashes, at most 56 characters
 * (room for a "-xxxxxx" suffix when taken); "tenant" when nothing is left. */
char *auth_slug_from_name(struct mh_arena *a, const char *name);

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

/* Answers {"data": {access token…, "user_id", "tenant_id", "role"<extra>}} with status and
 * sets the refresh cookie (extra: more members, starting with a comma, or NULL). Returns 0, or
 * -1 when the token could not be signed. */
int auth_session_reply(struct mh_request *req, struct mh_response *res, int status,
		       const struct auth_grant *g, const char *refresh_token, const char *extra);
/* Queues the statement that names the client (User-Agent, coarse address) of the refresh
 * tokens the transaction writes; before them. Returns the query index or MH_DB_ERROR. */
int auth_client_note_queue(struct mh_tx *tx);
/* The SECURITY DEFINER statement s of a flow that writes a refresh token without a tenant
 * context (it finds its rows itself, by a mailed token or by the user's memberships), after
 * the note of the client the token is for, in a read-write transaction ended with end
 * (mh_tx_commit; mh_tx_fetch keeps it open for more). Returns 1 with *r the statement's
 * result; 0 having replied (503, the database's error); -1 without a result. */
int auth_tx_without_tenant_or_reply(struct mh_request *req, struct mh_response *res,
                                    struct mh_tx *tx, const struct mh_tx_query *s,
                                    int (*end)(struct mh_tx *), const PGresult **r);

/* Hashes a password (argon2id, the configured cost) into the arena; NULL on failure. */
const char *auth_password_hash(struct mh_request *req, const char *password);

/* Queues an audit row for the transaction's tenant and user. Returns the query index or
 * MH_DB_ERROR. */
int auth_audit_queue(struct mh_tx *tx, const char *action, const char *target);

/* Lifts every login throttle on the account of email (its lock and the delays of every
 * address): what a password reset does once the owner has proved who they are. Returns 0,
 * or -1 when Redis did not take it. */
int auth_lockout_clear(struct mh_request *req, const char *email);

/* `menhir admin unlock-login EMAIL`: auth_lockout_clear from the shell. Returns the exit
 * status. */
int auth_admin_unlock_login(const struct mh_config *cfg, int argc, char **argv);

/* ---- Mail-sending routes and the unverified-address policy ------------------------------ */

/* Counts one request of scope for id (a client address, a tenant) in a window of window
 * seconds: 1 when it may go ahead; 0 having replied 429 (with Retry-After) past max; -1 out
 * of memory. Redis down: 1 (rate limits fail open; logged). */
int auth_rate_limit_or_reply(struct mh_request *req, struct mh_response *res, const char *scope,
			     const char *id, int max, int window);

/* The policy (unverified_deny): 1 when an account whose address is not verified may not do
 * action ("login", "invite", "api_keys"). */
int auth_unverified_denied(const char *action);
/* For a handler about to do action as req's user: 1 when the policy allows it (the address is
 * verified, or the policy does not restrict action); 0 having replied 403 email_unverified
 * (or 503). Costs one read-only round trip, only when the policy restricts action. */
int auth_verified_or_reply(struct mh_request *req, struct mh_response *res, const char *action);

/* ---- Changing one's e-mail address (email_change.c) ------------------------------------ */

/* POST /users/me/email {email, current_password} for req's user: 202 {status: queued}
 * whoever the new address belongs to (a confirmation link to it and a notice to the old one
 * are queued, or nothing within the new address's cooldown); 400 the current address; 401 a
 * deleted account; 403 invalid_credentials; 429 past the client's limit or within the
 * user's cooldown. Returns 0, or -1 (the caller answers 500). */
int auth_email_change_request(struct mh_request *req, struct mh_response *res, const char *email,
			      const char *current_password);

/* The bytea parameter holding SHA-256(token) (how every token is looked up), in the arena. */
const char *auth_token_hash_param(struct mh_arena *a, const char *token);

/* 1 when token has the shape of a mailed token (43 base64url characters). */
int auth_token_shape_ok(const char *token);

/* Seconds an access token lives (access_token_ttl); a refresh token (refresh_token_ttl). */
int auth_access_ttl(void);
int auth_refresh_ttl(void);

#endif
