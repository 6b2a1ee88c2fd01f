/* service.c - the auth flows: sign-up, login, refresh rotation, logout, logout everywhere,
 * tenant switch; and the session helpers other modules use. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/address.h"
#include "core/jwt.h"
#include "core/log.h"
#include "core/password.h"
#include "core/revocation.h"
#include "core/tx_run.h"

/* ---- Helpers shared with other modules (auth.h) ------------------------------------------ */

int auth_access_ttl(void)
{
	return auth_settings.access_token_ttl;
}

int auth_refresh_ttl(void)
{
	return auth_settings.refresh_token_ttl;
}

int auth_access_token_json(struct mh_request *req, const struct auth_grant *g,
			   struct mh_buf *b)
{
	struct mh_token_claims c;
	char token[4096];

	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", g->user_id);
	snprintf(c.tid, sizeof(c.tid), "%s", g->tenant_id);
	snprintf(c.role, sizeof(c.role), "%s", g->role);
	snprintf(c.sid, sizeof(c.sid), "%s", g->session_id ? g->session_id : "");
	c.ver = g->token_version;
	if (mh_jwt_issue(&c, (long long)time(NULL), auth_settings.access_token_ttl, token,
			 sizeof(token)) < 0) {
		mh_log(MH_LOG_ERROR, "token_issue_failed", "request %s: cannot sign a token",
		       req->request_id);
		return -1;
	}
	mh_buf_puts(b, "\"access_token\":");
	mh_buf_json_cstr(b, token);
	mh_buf_printf(b, ",\"token_type\":\"Bearer\",\"expires_in\":%d", auth_settings.access_token_ttl);
	return 0;
}

void auth_set_refresh_cookie(struct mh_request *req, struct mh_response *res,
			     const char *token)
{
	const char *secure = mh_http_cookie_secure();
	const char *v;

	if (token != NULL)
		v = mh_arena_sprintf(req->arena,
				     AUTH_COOKIE_NAME "=%s; Path=" AUTH_COOKIE_PATH
						      "; Max-Age=%d; HttpOnly%s; SameSite=Strict",
				     token, auth_settings.refresh_token_ttl, secure);
	else
		v = mh_arena_sprintf(req->arena,
				     AUTH_COOKIE_NAME "=; Path=" AUTH_COOKIE_PATH
						      "; Max-Age=0; HttpOnly%s; SameSite=Strict",
				     secure);
	if (v != NULL)
		mh_response_header(res, "Set-Cookie", v);
}

const char *auth_password_hash(struct mh_request *req, const char *password)
{
	char *out = mh_arena_alloc(req->arena, MH_PASSWORD_HASH_MAX);

	if (out == NULL || mh_password_hash(password, strlen(password), out, MH_PASSWORD_HASH_MAX) < 0)
		return NULL;
	return out;
}

int auth_audit_queue(struct mh_tx *tx, const char *action, const char *target)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = action;
	p[1] = target;
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "auth_audit_here", p, 4);
}

/* ---- Responses ----------------------------------------------------------------------------- */

/* {"data": {access token…, "user_id", "tenant_id", "role"[, extra]}} + the refresh cookie. */
int auth_session_reply(struct mh_request *req, struct mh_response *res, int status,
		       const struct auth_grant *g, const char *refresh_token, const char *extra)
{
	struct mh_buf *b = &res->body;

	b->len = 0;
	mh_buf_puts(b, "{\"data\":{");
	if (auth_access_token_json(req, g, b) < 0)
		return -1;
	mh_buf_puts(b, ",\"user_id\":");
	mh_buf_json_cstr(b, g->user_id);
	mh_buf_puts(b, ",\"tenant_id\":");
	mh_buf_json_cstr(b, g->tenant_id);
	mh_buf_puts(b, ",\"role\":");
	mh_buf_json_cstr(b, g->role);
	if (extra != NULL)
		mh_buf_puts(b, extra);
	mh_buf_puts(b, "}}");
	res->status = status;
	auth_set_refresh_cookie(req, res, refresh_token);
	return 0;
}

static int invalid_refresh(struct mh_request *req, struct mh_response *res, const char *why)
{
	mh_log(MH_LOG_INFO, "refresh_rejected", "request %s: %s", req->request_id, why);
	auth_set_refresh_cookie(req, res, NULL);
	return mh_reply_error(req, res, 401, "invalid_refresh_token",
			      "the refresh token is invalid, expired or revoked; log in again");
}

/* ---- Cookie-authenticated routes: Origin and cookie -------------------------------------- */

/* CSRF defence for the routes a cookie authenticates: the browser's Origin must be one we
 * serve. A request without Origin is refused too (every browser sends it on POST). */
static int origin_ok_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *origin = mh_header(req, "origin");
	const char *p = auth_settings.allowed_origins;
	size_t n = origin ? strlen(origin) : 0;

	while (origin != NULL && *p) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, " ,");
		if (len > 0 && len == n && strncmp(p, origin, n) == 0)
			return 1;
		p += len;
	}
	mh_reply_error(req, res, 403, "origin_not_allowed",
		       "this request must come from an allowed origin");
	return 0;
}

/* The refresh token from the Cookie header, or NULL (absent or malformed). */
static const char *refresh_cookie(struct mh_request *req)
{
	const char *h = mh_header(req, "cookie");
	size_t name_len = strlen(AUTH_COOKIE_NAME);

	while (h != NULL && *h) {
		size_t len;

		while (*h == ' ' || *h == ';')
			h++;
		len = strcspn(h, ";");
		if (len > name_len && strncmp(h, AUTH_COOKIE_NAME "=", name_len + 1) == 0) {
			const char *v = h + name_len + 1;
			size_t vlen = len - name_len - 1;

			if (vlen != 43)
				return NULL;
			for (size_t i = 0; i < vlen; i++)
				if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') ||
				      (v[i] >= '0' && v[i] <= '9') || v[i] == '-' || v[i] == '_'))
					return NULL;
			return mh_arena_strndup(req->arena, v, vlen);
		}
		h += len;
	}
	return NULL;
}

/* ---- Flows --------------------------------------------------------------------------------- */

int auth_signup(struct mh_request *req, struct mh_response *res, const char *email,
		const char *password, const char *name, const char *tenant_name)
{
	const char *hash = auth_password_hash(req, password), *token, *token_hash;
	const char *slug = auth_slug_from_name(req->arena, tenant_name), *ttl;
	const char *family = auth_session_new(req->arena);
	const char **p;
	struct auth_grant g;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (hash == NULL || slug == NULL || family == NULL ||
	    auth_refresh_new(req->arena, &token, &token_hash) < 0)
		return -1;
	ttl = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p = mh_arena_alloc(req->arena, sizeof(*p) * 10);
	if (p == NULL || ttl == NULL)
		return -1;
	p[0] = email;
	p[1] = hash;
	p[2] = name ? name : "";
	p[3] = tenant_name;
	p[4] = slug;
	p[5] = token_hash;
	p[6] = family;
	p[7] = ttl;
	p[8] = mh_address_client(req);
	p[9] = req->request_id;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	auth_client_note_queue(&tx);
	q = mh_tx_query(&tx, "auth_signup", p, 10);
	/* The verification mail, in the signup's own transaction. */
	auth_verify_queue(&tx, email);
	rc = mh_tx_commit(&tx);
	if (rc == MH_DB_ERROR && strcmp(tx.sqlstate, "MH409") == 0) {
		struct mh_error_detail d = { "email", "is already registered; log in instead" };
		return mh_reply_error_details(req, res, 409, "email_taken",
					      "an account with this e-mail already exists", &d, 1);
	}
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	g.user_id = PQgetvalue(r, 0, 0);
	g.tenant_id = PQgetvalue(r, 0, 1);
	g.role = "owner";
	g.token_version = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	g.session_id = family;
	req->principal.user_id = g.user_id;
	req->principal.tenant_id = g.tenant_id;
	mh_response_header(res, "Location", "/api/v1/users/me");
	{
		struct mh_buf extra;

		mh_buf_init(&extra, req->arena, 128);
		mh_buf_puts(&extra, ",\"tenant_slug\":");
		mh_buf_json_cstr(&extra, PQgetvalue(r, 0, 2));
		mh_buf_puts(&extra, ",\"email\":");
		mh_buf_json_cstr(&extra, email);
		return auth_session_reply(req, res, 201, &g, token, mh_buf_cstr(&extra));
	}
}

/*
 * A failed login. Every failure does the same work whoever the e-mail belongs to, so the
 * time it takes tells nothing: one Redis round trip that counts it, and one transaction in
 * which auth_login_failed (schema 0007) makes the same index probes and writes one row (the
 * tenant's audit row for an account, a row in unknown_account_logins otherwise).
 */
static int login_failed(struct mh_request *req, struct mh_response *res,
			const struct auth_lockout *l, const char *user_id, const char *tenant)
{
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 4);
	struct mh_tx tx;

	if (p == NULL)
		return -1;
	auth_lockout_fail(req, l);
	p[0] = user_id;
	p[1] = tenant ? tenant : "";
	p[2] = mh_address_client(req);
	p[3] = req->request_id;
	if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) == MH_DB_OK) {
		mh_tx_query(&tx, "auth_login_failed", p, 4);
		if (mh_tx_commit(&tx) != MH_DB_OK)
			mh_log(MH_LOG_WARN, "audit_failed", "request %s: %s", req->request_id,
			       tx.error ? tx.error : "database unavailable");
	}
	/* Exactly this answer for an unknown e-mail, a wrong password, a disabled account
	 * and an account without a usable password: nothing tells them apart. */
	return mh_reply_error(req, res, 401, "invalid_credentials",
			      "the e-mail or password is incorrect");
}

/* The password was right: a session in the tenant asked for (or the most recently joined),
 * the password rehashed if the configured cost has grown, and this address's throttle
 * reset. 403 no_tenant when the user is in no such tenant. */
static int login_succeeded(struct mh_request *req, struct mh_response *res,
			   const struct auth_lockout *l, const char *user_id, const char *hash,
			   const char *password, const char *tenant)
{
	struct auth_refresh_token t;
	const char *family = auth_session_new(req->arena), *rehash = NULL;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 7);
	struct auth_grant g;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (p == NULL || family == NULL || auth_refresh_make(req->arena, &t) < 0)
		return -1;
	p[0] = user_id;
	p[1] = tenant ? tenant : "";
	p[2] = t.hash_param;
	p[3] = family;
	p[4] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p[5] = mh_address_client(req);
	p[6] = req->request_id;
	if (p[4] == NULL)
		return -1;
	if (mh_password_needs_rehash(hash) == 1 &&
	    (rehash = auth_password_hash(req, password)) == NULL)
		return -1;
	/* The user's own context, no tenant yet: auth_login_session picks the tenant and checks
	 * the membership; auth_set_password stores a rehash for this user. */
	req->principal.user_id = user_id;
	/* The policy may keep unverified addresses out; the password was right, so saying so
	 * tells nothing to someone who does not know it. */
	if (auth_unverified_denied("login") && !auth_verified_or_reply(req, res, "login"))
		return 0;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	auth_client_note_queue(&tx);
	q = mh_tx_query(&tx, "auth_login_session", p, 7);
	if (rehash != NULL)
		mh_tx_query(&tx, "auth_set_password", &rehash, 1);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 403, "no_tenant",
				      tenant ? "you are not a member of that tenant"
					     : "you are not a member of any tenant");
	g.user_id = user_id;
	g.tenant_id = PQgetvalue(r, 0, 0);
	g.role = PQgetvalue(r, 0, 1);
	g.token_version = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	g.session_id = family;
	req->principal.tenant_id = g.tenant_id;
	auth_lockout_succeeded(req, l);
	return auth_session_reply(req, res, 200, &g, t.token, NULL);
}

int auth_login(struct mh_request *req, struct mh_response *res, const char *email,
	       const char *password, const char *tenant)
{
	struct auth_lockout l;
	const PGresult *r;
	const char *hash = NULL, *user_id = "";
	int rc, known, ok;
	size_t pwlen = strlen(password);

	rc = auth_lockout_check_or_reply(req, res, email, &l);
	if (rc <= 0)
		return rc;
	/* Round trip 1: the account's hash, nothing about its tenants (their number would
	 * show in the time a failure takes). */
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_ONLY, NULL,
	                         &(struct mh_tx_query){"auth_login_lookup", &email, 1}, &r);
	if (rc == 0)
		return 0;
	known = rc > 0 && PQntuples(r) == 1;
	if (known) {
		user_id = PQgetvalue(r, 0, 0);
		hash = PQgetvalue(r, 0, 1);
	}
	/* The same argon2 work whether or not the account exists or has a usable password. */
	if (known && strncmp(hash, "$argon2", 7) == 0)
		ok = mh_password_verify(hash, password, pwlen) == 1;
	else
		ok = mh_password_verify_dummy(password, pwlen) != 0;
	if (ok && strcmp(PQgetvalue(r, 0, 3), "t") == 0)
		ok = 0; /* disabled */
	if (!ok)
		return login_failed(req, res, &l, user_id, tenant);
	return login_succeeded(req, res, &l, user_id, hash, password, tenant);
}

/*
 * A refused refresh. A family revoked for reuse takes its access tokens with it: the
 * session is revoked on every worker before the 401 (or the client hears 503 and retries).
 * A replay of an already revoked family does it again, so a revocation that Redis missed
 * the first time is not lost.
 */
static int refresh_refused(struct mh_request *req, struct mh_response *res, const char *outcome,
			   const char *family)
{
	int reuse = strcmp(outcome, "reuse") == 0;

	if ((reuse || strcmp(outcome, "revoked") == 0) && family[0] != '\0' &&
	    mh_revocation_revoke_session(req, family) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	if (reuse)
		mh_log(MH_LOG_WARN, "refresh_reuse_detected",
		       "request %s: a rotated refresh token was replayed; session revoked",
		       req->request_id);
	return invalid_refresh(req, res, outcome);
}

int auth_refresh(struct mh_request *req, struct mh_response *res)
{
	struct auth_refresh_token t;
	const char *old, *token, *outcome;
	const char **p;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (!origin_ok_or_reply(req, res))
		return 0;
	old = refresh_cookie(req);
	if (old == NULL)
		return invalid_refresh(req, res, "no refresh cookie");
	p = mh_arena_alloc(req->arena, sizeof(*p) * 7);
	if (p == NULL || auth_refresh_make(req->arena, &t) < 0)
		return -1;
	/* The successor is made and sealed under the old token before the round trip; it is
	 * used only if the old token turns out to be current. */
	p[0] = auth_token_hash_param(req->arena, old);
	p[1] = t.hash_param;
	p[2] = auth_refresh_seal(req->arena, old, t.raw);
	p[3] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_reuse_grace);
	p[4] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p[5] = mh_address_client(req);
	p[6] = req->request_id;
	if (p[0] == NULL || p[2] == NULL || p[3] == NULL || p[4] == NULL)
		return -1;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	auth_client_note_queue(&tx);
	q = mh_tx_query(&tx, "auth_refresh_use", p, 7);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	outcome = PQgetvalue(r, 0, 0);
	if (strcmp(outcome, "ok") == 0) {
		token = t.token;
	} else if (strcmp(outcome, "grace") == 0) {
		/* Two tabs at once: the same token the first one got (or its successor). */
		const char *hash;

		token = auth_refresh_open(req->arena, old, PQgetvalue(r, 0, 6));
		hash = token ? auth_token_hash_param(req->arena, token) : NULL;
		if (hash == NULL || strcmp(hash, PQgetvalue(r, 0, 7)) != 0) {
			mh_log(MH_LOG_ERROR, "refresh_successor_lost",
			       "request %s: a sealed successor did not open", req->request_id);
			return invalid_refresh(req, res, "successor not recoverable");
		}
	} else {
		return refresh_refused(req, res, outcome, PQgetvalue(r, 0, 3));
	}
	{
		struct auth_grant g = { PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
					PQgetvalue(r, 0, 4), strtoll(PQgetvalue(r, 0, 5), NULL, 10),
					PQgetvalue(r, 0, 3) };

		req->principal.user_id = g.user_id;
		req->principal.tenant_id = g.tenant_id;
		return auth_session_reply(req, res, 200, &g, token, NULL);
	}
}

int auth_logout(struct mh_request *req, struct mh_response *res)
{
	const char *h = mh_header(req, "authorization"), *cookie, *sid = NULL;
	const char *user_id = NULL, *tenant_id = NULL;
	const PGresult *r;
	int rc;

	if (!origin_ok_or_reply(req, res))
		return 0;
	/* The session of the access token presented with the logout dies now, with every
	 * access token it issued. Revocation first: if Redis cannot record it, nothing else
	 * changes and the client is told to retry. */
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		struct mh_token_claims c;
		const char *why = NULL;

		if (mh_jwt_verify(h + 7, strlen(h + 7), (long long)time(NULL), &c, &why) == 0) {
			if (mh_revocation_revoke_session(req, c.sid) < 0)
				return mh_reply_unavailable(req, res,
							    "the token revocation service");
			sid = mh_arena_strdup(req->arena, c.sid);
			user_id = mh_arena_strdup(req->arena, c.sub);
			tenant_id = mh_arena_strdup(req->arena, c.tid);
			if (sid == NULL || user_id == NULL || tenant_id == NULL)
				return -1;
			/* And in PostgreSQL: the family's refresh token mints no more tokens,
			 * and a check that falls back to the database (Redis down) knows. */
			if (sid[0] != '\0') {
				const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 2);

				if (p == NULL)
					return -1;
				p[0] = sid;
				p[1] = user_id;
				rc = mh_tx_once_or_reply(
				        req, res, MH_TX_READ_WRITE, NULL,
				        &(struct mh_tx_query){"auth_session_end", p, 2}, &r);
				if (rc <= 0)
					return rc;
			}
		}
	}
	cookie = refresh_cookie(req);
	if (cookie != NULL) {
		const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);

		if (p == NULL || (p[0] = auth_token_hash_param(req->arena, cookie)) == NULL)
			return -1;
		p[1] = mh_address_client(req);
		p[2] = req->request_id;
		rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, NULL,
		                         &(struct mh_tx_query){"auth_logout", p, 3}, &r);
		if (rc <= 0)
			return rc;
		/* The cookie's session, when it is another one: the refresh family is revoked
		 * already, so a retry after a 503 finds it again and completes. */
		if (PQntuples(r) == 1 && (sid == NULL || strcmp(sid, PQgetvalue(r, 0, 2)) != 0) &&
		    mh_revocation_revoke_session(req, PQgetvalue(r, 0, 2)) < 0)
			return mh_reply_unavailable(req, res, "the token revocation service");
	}
	/* Named only now, for the access log: the transaction above needs no context, and a
	 * user who has left the token's tenant (or been deleted) must still be able to log out. */
	req->principal.user_id = user_id;
	req->principal.tenant_id = tenant_id;
	auth_set_refresh_cookie(req, res, NULL);
	res->status = 204;
	return 0;
}

int auth_logout_all(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	const char *current = req->principal.tenant_id;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 5);

	if (p == NULL)
		return -1;
	p[0] = current;
	p[1] = "logout_all";
	p[2] = req->principal.user_id;
	p[3] = mh_address_client(req);
	p[4] = req->request_id;
	/* Without a tenant context, so that it works even for a user who has since left the
	 * token's tenant: logging out everywhere must never be refused. */
	if (!mh_tx_begin_or_reply(&tx, req, res, MH_TX_READ_WRITE | MH_TX_WITHOUT_TENANT))
		return 0;
	q = mh_tx_query(&tx, "auth_revoke_all", NULL, 0);
	mh_tx_query(&tx, "auth_audit_named", p, 5);
	rc = mh_tx_end_or_reply(&tx, res, mh_tx_commit, NULL, q, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return -1;
	/* Every refresh token is revoked and the version bumped; the access tokens die when
	 * Redis says so. If it cannot, the client hears 503 and retries (each retry bumps
	 * again, so the retry that succeeds covers every older token). */
	if (mh_revocation_set_min_version(req, req->principal.user_id,
					  strtoll(PQgetvalue(r, 0, 0), NULL, 10)) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	auth_set_refresh_cookie(req, res, NULL);
	res->status = 204;
	return 0;
}

int auth_switch_tenant(struct mh_request *req, struct mh_response *res, const char *tenant_id)
{
	const char *token, *token_hash, *family = auth_session_new(req->arena);
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 6);
	const struct mh_tx_query s = {"auth_switch_tenant", p, 6};
	struct mh_tx tx;
	const PGresult *r;
	int rc;

	if (p == NULL || family == NULL || auth_refresh_new(req->arena, &token, &token_hash) < 0)
		return -1;
	p[0] = tenant_id;
	p[1] = token_hash;
	p[2] = family;
	p[3] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p[4] = mh_address_client(req);
	p[5] = req->request_id;
	if (p[3] == NULL)
		return -1;
	/* No tenant context: the user may have left the current tenant; the definer function
	 * checks the membership of the target one. */
	rc = auth_tx_without_tenant_or_reply(req, res, &tx, &s, mh_tx_commit, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 403, "forbidden", "you are not a member of that tenant");
	{
		struct auth_grant g = { req->principal.user_id, tenant_id, PQgetvalue(r, 0, 0),
					strtoll(PQgetvalue(r, 0, 1), NULL, 10), family };

		return auth_session_reply(req, res, 200, &g, token, NULL);
	}
}
