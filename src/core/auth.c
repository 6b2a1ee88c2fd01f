/* auth.c - request authentication: bearer access token → principal, before any handler. */
#include "core/auth.h"

#include <limits.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/apikey.h"
#include "core/db.h"
#include "core/jwt.h"
#include "core/keys.h"
#include "core/log.h"
#include "core/module.h"
#include "core/password.h"
#include "core/revocation.h"
#include "core/token_cache.h"

/* Clock skew accepted between machines that issue and verify tokens. */
#define TOKEN_LEEWAY_SECONDS 30

/* 0 until the module that issues tokens says: no token verifies before that. */
static int token_lifetime;

void mh_auth_set_token_lifetime(int seconds)
{
	token_lifetime = seconds;
	mh_jwt_set_max_ttl(seconds);
	mh_revocation_configure(seconds);
}

int mh_auth_configure(const struct mh_config *cfg, char *err, size_t errlen)
{
	if (mh_keyring_load(cfg->keys_dir, err, errlen) < 0)
		return -1;
	mh_jwt_configure(cfg->jwt_issuer, cfg->jwt_audience, TOKEN_LEEWAY_SECONDS, token_lifetime);
	mh_password_configure(cfg->password_time_cost, cfg->password_memory_kib,
			      cfg->password_parallelism);
	mh_apikey_configure(cfg->api_key_touch_interval);
	/* Workers forked after a reload must not trust what the old keyring accepted. */
	mh_token_cache_clear();
	return 0;
}

static int invalid_token(struct mh_request *req, struct mh_response *res, const char *why)
{
	mh_log(MH_LOG_INFO, "token_rejected", "request %s: %s", req->request_id, why);
	mh_response_header(res, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	mh_reply_error(req, res, 401, "invalid_token", "the access token is invalid or expired");
	return 0;
}

/*
 * An API key: the tenant and key it names are read from the key itself, a revoked one is
 * refused at once from the shared revocation table (its id is revoked as a session), and
 * the request's transaction checks the rest (app_enter_key: the hash, expiry, the
 * creator's membership, the role), so a key costs no extra round trip.
 */
static int authenticate_key_or_reply(struct mh_request *req, struct mh_response *res,
                                     const char *key)
{
	if (!(req->route->flags & MH_API_KEY)) {
		mh_reply_error(req, res, 403, "api_key_not_allowed",
		               "this endpoint is for people: an API key cannot call it");
		return 0;
	}
	if (mh_apikey_parse(req->arena, key, &req->principal) < 0) {
		memset(&req->principal, 0, sizeof(req->principal));
		return invalid_token(req, res, "malformed api key");
	}
	/* A key has no issue time, and needs none here: its revocation is in PostgreSQL too,
	 * which every transaction's context statement checks (app_enter_key). */
	switch (mh_revocation_check("", req->principal.api_key_id, "", 0, LLONG_MAX)) {
	case MH_TOKEN_VALID: return 1;
	case MH_TOKEN_REVOKED:
		req->principal.api_key_revoked = 1;
		return invalid_token(req, res, "revoked api key");
	default:
		/* Redis unreachable: PostgreSQL answers (core/db.c), as for access tokens. */
		req->principal.revocation = MH_REVOCATION_IN_DB;
		return 1;
	}
}

int mh_auth_authenticate_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *h = mh_header(req, "authorization"), *why = NULL;
	struct mh_token_claims c;
	struct mh_arena *a = req->arena;
	long long now = (long long)time(NULL);
	size_t len;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		mh_response_header(res, "WWW-Authenticate", "Bearer realm=\"menhir\"");
		mh_reply_error(req, res, 401, "unauthenticated",
			       "this endpoint needs an access token (Authorization: Bearer ...)");
		return 0;
	}
	if (mh_apikey_is_key(h + 7))
		return authenticate_key_or_reply(req, res, h + 7);
	/* The signature (RS256-3072, ~45 µs) is checked once per worker and token; revocation
	 * and the membership are still checked on every request, below and in the
	 * transaction's context statement (core/db.c). */
	len = strlen(h + 7);
	if (mh_token_cache_get(h + 7, len, now, &c) < 0) {
		if (mh_jwt_verify(h + 7, len, now, &c, &why) < 0)
			return invalid_token(req, res, why ? why : "invalid");
		/* mh_jwt_verify refuses once exp <= now - leeway. */
		mh_token_cache_put(h + 7, len, &c, c.exp + TOKEN_LEEWAY_SECONDS);
	}
	switch (mh_revocation_check(c.jti, c.sid, c.sub, c.ver, c.iat)) {
	case MH_TOKEN_VALID:
		break;
	case MH_TOKEN_REVOKED:
		return invalid_token(req, res, "revoked");
	default:
		/* The table may be stale (Redis unreachable): the request's own transaction asks
		 * PostgreSQL instead, in the round trip it makes anyway (core/db.c), and
		 * mh_auth_settle_or_reply() covers a request that made none. */
		req->principal.revocation = MH_REVOCATION_IN_DB;
		break;
	}
	req->principal.user_id = mh_arena_strdup(a, c.sub);
	req->principal.tenant_id = mh_arena_strdup(a, c.tid);
	req->principal.role = mh_arena_strdup(a, c.role);
	req->principal.jti = mh_arena_strdup(a, c.jti);
	req->principal.session_id = mh_arena_strdup(a, c.sid);
	req->principal.token_version = c.ver;
	req->principal.expires_at = c.exp;
	if (req->principal.user_id == NULL || req->principal.tenant_id == NULL ||
	    req->principal.role == NULL || req->principal.jti == NULL ||
	    req->principal.session_id == NULL)
		return -1;
	/* The database re-checks the current role inside the request's
	 * transaction (app_enter); this early check spares it obvious refusals. */
	if (mh_role_parse(c.role) < (enum mh_role)req->min_role) {
		mh_reply_error(req, res, 403, "forbidden",
			       "your role in this tenant does not allow this");
		return 0;
	}
	return 1;
}

/* Whatever the handler built belonged to an answer the caller may not have. */
static void discard_response(struct mh_request *req, struct mh_response *res)
{
	res->nheaders = 0;
	res->dropped_header = NULL;
	res->content_type = NULL;
	res->error_code = NULL;
	mh_buf_init(&res->body, req->arena, 256);
}

int mh_auth_settle_or_reply(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	int rc;

	if (req->principal.revocation != MH_REVOCATION_IN_DB)
		return 0;
	/* An empty transaction: its context statement is the check (core/db.c). */
	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc == MH_DB_OK)
		rc = mh_tx_commit(&tx);
	if (rc == MH_DB_OK && req->principal.revocation == MH_REVOCATION_CHECKED)
		return 0;
	discard_response(req, res);
	if (rc == MH_DB_UNAVAILABLE) {
		mh_reply_unavailable(req, res, "the token revocation service");
		return 1;
	}
	if (strcmp(tx.sqlstate, "MH401") == 0) {
		invalid_token(req, res, "revoked (PostgreSQL)");
		return 1;
	}
	mh_db_reply_error(req, res, &tx, rc == MH_DB_OK ? MH_DB_ERROR : rc);
	return 1;
}
