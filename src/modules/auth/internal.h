/* internal.h - what the auth module's files share; nothing outside src/modules/auth/ includes it. */
#ifndef MH_MODULES_AUTH_INTERNAL_H
#define MH_MODULES_AUTH_INTERNAL_H

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/queue.h"

/* The module's configuration keys (settings.c declares them; the core loads them and hands
 * them over at start-up and on every reload, before workers fork). */
struct auth_settings {
	int access_token_ttl;    /* seconds */
	int refresh_token_ttl;   /* seconds */
	int refresh_reuse_grace; /* seconds a just-rotated refresh token still works */
	int login_max_failures;  /* per (account, address) before delays start */
	int login_lockout;       /* seconds: the throttle's window and longest delay */
	char allowed_origins[1024]; /* space-separated, for cookie-authenticated routes */
	int mail_cooldown;          /* seconds between two mails of one flow to one address */
	int mail_ip_max;            /* mail-sending requests per client address per hour */
	char unverified_deny[128];  /* what an unverified address may not do */
};
/* The throttle (lockout.c). A pair (account, address) waits 1 s after max_failures
 * failures, doubling with each further failure up to the window. An address is shared by
 * many people (NAT, offices): it is locked only after this many times max_failures, over
 * every account. An account is locked for everyone only after this many times max_failures
 * from every address: a distributed guess, which no single address can produce. */
#define AUTH_IP_FAILURE_FACTOR 10
#define AUTH_ACCOUNT_FAILURE_FACTOR 20

#define AUTH_COOKIE_NAME "mh_refresh"
#define AUTH_COOKIE_PATH "/api/v1/auth"

extern struct auth_settings auth_settings;
/* settings.c: the keys and the struct above, for the module's registration. */
extern const struct mh_settings auth_config;

/* repo.c: the module's prepared statements. */
extern const struct mh_db_statement auth_statements[];

/* service.c: the flows, each answering the client itself. */
int auth_signup(struct mh_request *req, struct mh_response *res, const char *email,
		const char *password, const char *name, const char *tenant_name);
int auth_login(struct mh_request *req, struct mh_response *res, const char *email,
	       const char *password, const char *tenant);
int auth_refresh(struct mh_request *req, struct mh_response *res);
int auth_logout(struct mh_request *req, struct mh_response *res);
int auth_logout_all(struct mh_request *req, struct mh_response *res);
int auth_switch_tenant(struct mh_request *req, struct mh_response *res, const char *tenant_id);

/* account.c: the flows through the mailbox, each answering the client itself. */
/* POST /auth/password/forgot: 202 whoever the address belongs to (429 over the per-address
 * limit of mail-sending requests). */
int auth_password_forgot(struct mh_request *req, struct mh_response *res, const char *email);
/* POST /auth/password/reset: 204, or 400 invalid_token; 503 when the revocation floor could
 * not be raised. */
int auth_password_reset(struct mh_request *req, struct mh_response *res, const char *token,
			const char *password);
/* POST /auth/email/verify: 204, or 400 invalid_token. */
int auth_email_verify(struct mh_request *req, struct mh_response *res, const char *token);
/* POST /auth/email/verify/resend (bearer): 202 {status: queued|verified}; 429 in cooldown. */
int auth_email_verify_resend(struct mh_request *req, struct mh_response *res);
/* POST /auth/email/confirm {token} (email_change.c): 204, or 200 with a new session when the
 * request carries the account's own access token; every other session ends. 400
 * invalid_token, 409 email_taken, 410 link_superseded; 503 when Redis cannot record the
 * revocation (then nothing changed). */
int auth_email_change_confirm(struct mh_request *req, struct mh_response *res, const char *token);
/* Queues a verification token and its mail for the account of email (NULL: the context's
 * user) on tx. Returns the query index (one row: queued|verified|none) or MH_DB_ERROR. */
int auth_verify_queue(struct mh_tx *tx, const char *email);
/* The module's job kinds (auth.password_reset, the periodic auth.cleanup). */
extern struct mh_job_kind auth_job_kinds[];
/* jobs_keep_days, as auth.cleanup's parameter (account.c; auth_init fills it). */
extern char auth_keep_days[16];

/* limits.c */
/* The per-client-address limit of the routes that send mail: mail_ip_max requests an hour,
 * as auth_rate_limit_or_reply counts and answers them (1 go ahead; 0 replied 429; -1). */
int auth_mail_ip_limit_or_reply(struct mh_request *req, struct mh_response *res);
/* Takes the cooldown of flow for id (an address, a user id): 1 when a mail may go now (and
 * the next one waits mail_cooldown seconds), 0 in the cooldown, -1 out of memory. Redis down:
 * 1 (fails open, logged). */
int auth_mail_cooldown_take(struct mh_request *req, const char *flow, const char *id);
/* sessions.c: the signed-in user's live sessions in every tenant, the current one marked;
 * and ending one of them (404 when it is not theirs; 503 when Redis cannot share it). */
int auth_sessions_list(struct mh_request *req, struct mh_response *res);
int auth_session_revoke(struct mh_request *req, struct mh_response *res, const char *id);

/* lockout.c */
struct auth_lockout {
	const char *ip; /* the client address ("" when unknown) */
	const char *account_key, *pairs_key, *ip_key;
	long long pair_failures; /* as the check read them */
};
/* What the check reads from Redis; times in milliseconds, TTLs in seconds. */
struct auth_lockout_state {
	long long pair_failures, pair_last_ms;
	long long account_failures, account_ttl;
	long long ip_failures, ip_ttl;
	long long now_ms;
};
/* Seconds before the next attempt may go ahead (0: now) under the rules above. */
long long auth_lockout_wait(const struct auth_lockout_state *s, int max_failures, int window);
/* Reads the counters for email from this request's address into l. Returns 1 when the
 * attempt may go ahead; 0 having replied 429 (with Retry-After) or 503 (Redis down: an
 * outage must not lift a lock); -1 out of memory. The same work whether or not an account
 * has this e-mail. */
int auth_lockout_check_or_reply(struct mh_request *req, struct mh_response *res,
				const char *email, struct auth_lockout *l);
/* Counts a failed attempt (one Redis round trip; logged, not fatal, when it fails). */
void auth_lockout_fail(struct mh_request *req, const struct auth_lockout *l);
/* A successful login: this address's delays for the account start afresh. */
void auth_lockout_succeeded(struct mh_request *req, const struct auth_lockout *l);

/* tokens.c */
struct auth_refresh_token {
	const char *token;      /* 43 base64url characters: the cookie value */
	const char *hash_param; /* "\x…": the bytea parameter holding SHA-256(token) */
	unsigned char raw[32];
};
/* A new refresh token from the CSPRNG. Returns 0 or -1. */
int auth_refresh_make(struct mh_arena *a, struct auth_refresh_token *t);
/* The successor's 32 bytes sealed under token (what refresh_tokens.successor_box keeps), as
 * a bytea parameter; NULL on failure. */
const char *auth_refresh_seal(struct mh_arena *a, const char *token,
			      const unsigned char successor[32]);
/* Opens a chain of sealed successors (bytea text "\x…", 32 bytes each) starting from
 * token: the last one, i.e. the family's current token. NULL when malformed. */
const char *auth_refresh_open(struct mh_arena *a, const char *token, const char *boxes_hex);

/* text.c */
/* Lower-case hex SHA-256 of s, in the arena. */
char *auth_sha256_hex(struct mh_arena *a, const char *s, size_t len);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc auth_doc;

#endif
