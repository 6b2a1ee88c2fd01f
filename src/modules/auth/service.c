/* service.c - the auth flows: sign-up, login (with lockout), refresh rotation, logout,
 * logout everywhere, tenant switch; and the session helpers other modules use. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/jwt.h"
#include "core/log.h"
#include "core/password.h"
#include "core/redis.h"
#include "core/revocation.h"

/* ---- Helpers shared with other modules (auth.h) ------------------------------------------ */

int auth_access_ttl(void)
{
	return auth_settings.access_token_ttl;
}

int auth_refresh_ttl(void)
{
	return auth_settings.refresh_token_ttl;
}

const char *auth_client_ip(const struct mh_request *req)
{
	unsigned char buf[16];
	const char *ip = req->remote_addr;

	if (ip != NULL && (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1))
		return ip;
	return "";
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* The bytea parameter ("\x…" hex text) holding SHA-256(token). */
static const char *token_hash_param(struct mh_arena *a, const char *token)
{
	char *hex = auth_sha256_hex(a, token, strlen(token));

	return hex ? mh_arena_sprintf(a, "\\x%s", hex) : NULL;
}

int auth_refresh_new(struct mh_arena *a, const char **token, const char **hash_param)
{
	unsigned char raw[32];
	char *t = mh_arena_alloc(a, 44);

	if (t == NULL || RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	base64url(raw, sizeof(raw), t);
	*token = t;
	*hash_param = token_hash_param(a, t);
	return *hash_param ? 0 : -1;
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
	const char *secure = auth_settings.cookie_secure ? "; Secure" : "";
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
	p[2] = auth_client_ip(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "auth_audit_here", p, 4);
}

/* ---- Responses ----------------------------------------------------------------------------- */

/* {"data": {access token…, "user_id", "tenant_id", "role"[, extra]}} + the refresh cookie. */
static int session_reply(struct mh_request *req, struct mh_response *res, int status,
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

static int invalid_credentials(struct mh_request *req, struct mh_response *res)
{
	/* Exactly this answer for an unknown e-mail, a wrong password, a disabled account
	 * and an account without a usable password: nothing tells them apart. */
	return mh_reply_error(req, res, 401, "invalid_credentials",
			      "the e-mail or password is incorrect");
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

/* ---- Lockout ------------------------------------------------------------------------------- */

struct lockout_keys {
	const char *account;
	const char *ip;
};

static int lockout_keys(struct mh_request *req, const char *email, struct lockout_keys *k)
{
	/* Hashed: Redis never holds an e-mail address. */
	const char *h = auth_sha256_hex(req->arena, email, strlen(email));

	k->account = h ? mh_arena_sprintf(req->arena, "mh:lf:a:%s", h) : NULL;
	k->ip = mh_arena_sprintf(req->arena, "mh:lf:i:%s", req->remote_addr ? req->remote_addr : "");
	return k->account && k->ip ? 0 : -1;
}

/*
 * 1 when the account and the address may try a password; otherwise replies 429 (locked,
 * with Retry-After) or 503 (Redis down: without the counters we cannot tell, so we refuse)
 * and returns 0. *failures gets the account's count.
 */
static int lockout_check_or_reply(struct mh_request *req, struct mh_response *res,
				  const struct lockout_keys *k, long long *failures)
{
	redisReply *a, *i, *ta, *ti;
	long long na = 0, ni = 0, wait;
	int ok_append = mh_redis_append("GET %s", k->account) == 0 &&
			mh_redis_append("GET %s", k->ip) == 0 &&
			mh_redis_append("TTL %s", k->account) == 0 &&
			mh_redis_append("TTL %s", k->ip) == 0;

	/* Read every reply that was queued, so the connection stays in step. */
	a = ok_append ? mh_redis_reply(req) : NULL;
	i = ok_append ? mh_redis_reply(req) : NULL;
	ta = ok_append ? mh_redis_reply(req) : NULL;
	ti = ok_append ? mh_redis_reply(req) : NULL;
	if (!ok_append || a == NULL || i == NULL || ta == NULL || ti == NULL) {
		mh_reply_unavailable(req, res, "the login service");
		return 0;
	}
	if (a->type == REDIS_REPLY_STRING)
		na = strtoll(a->str, NULL, 10);
	if (i->type == REDIS_REPLY_STRING)
		ni = strtoll(i->str, NULL, 10);
	*failures = na;
	if (na < auth_settings.login_max_failures &&
	    ni < (long long)auth_settings.login_max_failures * AUTH_IP_FAILURE_FACTOR)
		return 1;
	wait = na >= auth_settings.login_max_failures ? ta->integer : 0;
	if (ni >= (long long)auth_settings.login_max_failures * AUTH_IP_FAILURE_FACTOR &&
	    ti->integer > wait)
		wait = ti->integer;
	if (wait < 1)
		wait = 1;
	mh_log(MH_LOG_INFO, "login_locked", "request %s: too many failed logins",
	       req->request_id);
	mh_response_header(res, "Retry-After", mh_arena_sprintf(req->arena, "%lld", wait));
	mh_reply_error(req, res, 429, "too_many_attempts",
		       "too many failed logins; retry after the time in Retry-After");
	return 0;
}

/* Counts a failure for the account and the address. The window starts at the first
 * failure (SET NX EX), so a locked account unlocks login_lockout seconds later whatever
 * an attacker keeps sending. */
static void lockout_fail(struct mh_request *req, const struct lockout_keys *k)
{
	int ok = mh_redis_append("SET %s 0 EX %d NX", k->account, auth_settings.login_lockout) == 0 &&
		 mh_redis_append("INCR %s", k->account) == 0 &&
		 mh_redis_append("SET %s 0 EX %d NX", k->ip, auth_settings.login_lockout) == 0 &&
		 mh_redis_append("INCR %s", k->ip) == 0;

	/* Read every queued reply (NULL after a failure), keeping the connection in step. */
	for (int n = 0; ok && n < 4; n++)
		if (mh_redis_reply(req) == NULL)
			ok = 0;
	if (!ok)
		mh_log(MH_LOG_WARN, "lockout_count_failed", "request %s: cannot count a failed login",
		       req->request_id);
}

/* ---- Flows --------------------------------------------------------------------------------- */

int auth_signup(struct mh_request *req, struct mh_response *res, const char *email,
		const char *password, const char *name, const char *tenant_name)
{
	const char *hash = auth_password_hash(req, password), *token, *token_hash;
	const char *slug = auth_slug_from_name(req->arena, tenant_name), *ttl;
	const char **p;
	struct auth_grant g;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (hash == NULL || slug == NULL || auth_refresh_new(req->arena, &token, &token_hash) < 0)
		return -1;
	ttl = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p = mh_arena_alloc(req->arena, sizeof(*p) * 9);
	if (p == NULL || ttl == NULL)
		return -1;
	p[0] = email;
	p[1] = hash;
	p[2] = name ? name : "";
	p[3] = tenant_name;
	p[4] = slug;
	p[5] = token_hash;
	p[6] = ttl;
	p[7] = auth_client_ip(req);
	p[8] = req->request_id;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_signup", p, 9);
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
		return session_reply(req, res, 201, &g, token, mh_buf_cstr(&extra));
	}
}

/* Picks the login's tenant among the user's rows (all of one user): the one asked for by
 * id or slug, else the most recently joined. Returns the row or -1. */
static int pick_tenant(const PGresult *r, const char *tenant)
{
	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, 4))
			continue;
		if (tenant == NULL || strcmp(PQgetvalue(r, i, 4), tenant) == 0 ||
		    strcmp(PQgetvalue(r, i, 5), tenant) == 0)
			return i;
	}
	return -1;
}

int auth_login(struct mh_request *req, struct mh_response *res, const char *email,
	       const char *password, const char *tenant)
{
	struct lockout_keys k;
	long long failures = 0;
	struct mh_tx tx;
	const PGresult *r;
	const char *hash = NULL, *token, *token_hash, *ttl;
	int q, rc, row, known, ok;
	size_t pwlen = strlen(password);

	if (lockout_keys(req, email, &k) < 0)
		return -1;
	if (!lockout_check_or_reply(req, res, &k, &failures))
		return 0;

	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_login_lookup", &email, 1);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	known = r != NULL && PQntuples(r) > 0;
	if (known)
		hash = PQgetvalue(r, 0, 1);
	/* The same argon2 work whether or not the account exists or has a usable password. */
	if (known && strncmp(hash, "$argon2", 7) == 0)
		ok = mh_password_verify(hash, password, pwlen) == 1;
	else
		ok = mh_password_verify_dummy(password, pwlen) != 0;
	if (ok && strcmp(PQgetvalue(r, 0, 3), "t") == 0)
		ok = 0; /* disabled */

	if (!ok) {
		const char *tenant_id = "", *user_id = "";
		const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 5);

		lockout_fail(req, &k);
		if (known) {
			user_id = PQgetvalue(r, 0, 0);
			row = pick_tenant(r, tenant);
			if (row < 0)
				row = pick_tenant(r, NULL);
			if (row >= 0)
				tenant_id = PQgetvalue(r, row, 4);
		}
		if (p == NULL)
			return -1;
		p[0] = tenant_id;
		p[1] = user_id;
		p[2] = user_id;
		p[3] = auth_client_ip(req);
		p[4] = req->request_id;
		/* Unknown e-mail or not, the same statement and round trip. */
		if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) == MH_DB_OK) {
			mh_tx_query(&tx, "auth_audit_failed_login", p, 5);
			if (mh_tx_commit(&tx) != MH_DB_OK)
				mh_log(MH_LOG_WARN, "audit_failed", "request %s: %s", req->request_id,
				       tx.error ? tx.error : "database unavailable");
		}
		return invalid_credentials(req, res);
	}

	row = pick_tenant(r, tenant);
	if (row < 0)
		return mh_reply_error(req, res, 403, "no_tenant",
				      tenant ? "you are not a member of that tenant"
					     : "you are not a member of any tenant");
	{
		struct auth_grant g = { PQgetvalue(r, row, 0), PQgetvalue(r, row, 4),
					PQgetvalue(r, row, 6),
					strtoll(PQgetvalue(r, 0, 2), NULL, 10) };
		const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 4);
		const char *rehash = NULL;

		if (p == NULL || auth_refresh_new(req->arena, &token, &token_hash) < 0)
			return -1;
		ttl = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
		p[0] = token_hash;
		p[1] = g.user_id;
		p[2] = g.tenant_id;
		p[3] = ttl;
		if (mh_password_needs_rehash(hash) == 1)
			rehash = auth_password_hash(req, password);
		/* The context is the chosen tenant: app_enter re-checks the membership. */
		req->principal.user_id = g.user_id;
		req->principal.tenant_id = g.tenant_id;
		rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		mh_tx_query(&tx, "auth_refresh_issue", p, 4);
		auth_audit_queue(&tx, "login", g.user_id);
		if (rehash != NULL)
			mh_tx_query(&tx, "auth_set_password", (const char **)&rehash, 1);
		rc = mh_tx_commit(&tx);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		if (failures > 0) {
			redisReply *d = mh_redis_command(req, "DEL %s", k.account);
			(void)d;
		}
		return session_reply(req, res, 200, &g, token, NULL);
	}
}

int auth_refresh(struct mh_request *req, struct mh_response *res)
{
	const char *old, *old_hash, *token, *token_hash;
	const char **p;
	struct mh_tx tx;
	const PGresult *r;
	const char *outcome;
	int q, rc;

	if (!origin_ok_or_reply(req, res))
		return 0;
	old = refresh_cookie(req);
	if (old == NULL)
		return invalid_refresh(req, res, "no refresh cookie");
	old_hash = token_hash_param(req->arena, old);
	p = mh_arena_alloc(req->arena, sizeof(*p) * 6);
	if (old_hash == NULL || p == NULL || auth_refresh_new(req->arena, &token, &token_hash) < 0)
		return -1;
	p[0] = old_hash;
	p[1] = token_hash;
	p[2] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_reuse_grace);
	p[3] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p[4] = auth_client_ip(req);
	p[5] = req->request_id;
	if (p[2] == NULL || p[3] == NULL)
		return -1;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_refresh_use", p, 6);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	outcome = PQgetvalue(r, 0, 0);
	if (strcmp(outcome, "ok") != 0 && strcmp(outcome, "grace") != 0) {
		if (strcmp(outcome, "reuse") == 0)
			mh_log(MH_LOG_WARN, "refresh_reuse_detected",
			       "request %s: a rotated refresh token was replayed; family revoked",
			       req->request_id);
		return invalid_refresh(req, res, outcome);
	}
	{
		struct auth_grant g = { PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
					PQgetvalue(r, 0, 3), strtoll(PQgetvalue(r, 0, 4), NULL, 10) };

		req->principal.user_id = g.user_id;
		req->principal.tenant_id = g.tenant_id;
		return session_reply(req, res, 200, &g, token, NULL);
	}
}

int auth_logout(struct mh_request *req, struct mh_response *res)
{
	const char *h = mh_header(req, "authorization"), *cookie;
	struct mh_tx tx;
	int rc;

	if (!origin_ok_or_reply(req, res))
		return 0;
	/* The access token presented with the logout dies now too. Revocation first: if Redis
	 * cannot record it, nothing else changes and the client is told to retry. */
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		struct mh_token_claims c;
		const char *why = NULL;

		if (mh_jwt_verify(h + 7, strlen(h + 7), (long long)time(NULL), &c, &why) == 0) {
			if (mh_revocation_revoke_token(req, c.jti, c.exp) < 0)
				return mh_reply_unavailable(req, res, "the token revocation service");
			req->principal.user_id = mh_arena_strdup(req->arena, c.sub);
			req->principal.tenant_id = mh_arena_strdup(req->arena, c.tid);
		}
	}
	cookie = refresh_cookie(req);
	if (cookie != NULL) {
		const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);

		if (p == NULL || (p[0] = token_hash_param(req->arena, cookie)) == NULL)
			return -1;
		p[1] = auth_client_ip(req);
		p[2] = req->request_id;
		rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		mh_tx_query(&tx, "auth_logout", p, 3);
		rc = mh_tx_commit(&tx);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
	}
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
	p[3] = auth_client_ip(req);
	p[4] = req->request_id;
	/* Without a tenant context, so that it works even for a user who has since left the
	 * token's tenant: logging out everywhere must never be refused. */
	req->principal.tenant_id = "";
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	req->principal.tenant_id = current;
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_revoke_all", NULL, 0);
	mh_tx_query(&tx, "auth_audit_named", p, 5);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
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
	const char *token, *token_hash, *current = req->principal.tenant_id;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 5);
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (p == NULL || auth_refresh_new(req->arena, &token, &token_hash) < 0)
		return -1;
	p[0] = tenant_id;
	p[1] = token_hash;
	p[2] = mh_arena_sprintf(req->arena, "%d", auth_settings.refresh_token_ttl);
	p[3] = auth_client_ip(req);
	p[4] = req->request_id;
	/* No tenant context: the user may have left the current tenant; the definer function
	 * checks the membership of the target one. */
	req->principal.tenant_id = "";
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	req->principal.tenant_id = current;
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_switch_tenant", p, 5);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 403, "forbidden", "you are not a member of that tenant");
	{
		struct auth_grant g = { req->principal.user_id, tenant_id, PQgetvalue(r, 0, 0),
					strtoll(PQgetvalue(r, 0, 1), NULL, 10) };

		return session_reply(req, res, 200, &g, token, NULL);
	}
}
