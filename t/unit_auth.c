/* unit_auth.c - core/auth.c: the bearer token a request must bring, decided before any
 * handler. The valid and revoked paths need the revocation table in sync with Redis, so they
 * run against the stack's Redis when there is one (script/test) and are skipped otherwise. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "core/arena.h"
#include "core/auth.h"
#include "core/jwt.h"
#include "core/keys.h"
#include "core/log.h"
#include "core/module.h"
#include "core/redis.h"
#include "core/revocation.h"

#define SUB "6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d"
#define TID "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define SID "5e5e5e5e-1111-4222-8333-444444444444"
/* RSA key generation is slow: one key for the whole run, made before the tests fork. */
#define ENV_DIR "MENHIR_UNIT_AUTH_KEYS"

static struct mh_config cfg;
static struct mh_arena arena;
static struct mh_request req;
static struct mh_response res;
static struct mh_kv headers[1];
static char authorization[4096];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	static char base[] = "/tmp/menhir-auth-XXXXXX";
	char kid[64], err[256];

	(void)set;
	if (mkdtemp(base) == NULL || mh_keys_generate(base, kid, sizeof(kid), err, sizeof(err)) < 0)
		abort();
	setenv(ENV_DIR, base, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	if (getenv(ENV_DIR) != NULL)
		nftw(getenv(ENV_DIR), rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	char err[256];

	mh_config_defaults(&cfg);
	cr_assert_not_null(getenv(ENV_DIR), "the PRE_ALL hook did not run");
	snprintf(cfg.keys_dir, sizeof(cfg.keys_dir), "%s", getenv(ENV_DIR));
	cr_assert_eq(mh_auth_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	/* The auth module's access_token_ttl, as its settings hand it to the core at start-up. */
	mh_auth_set_token_lifetime(900);
	cr_assert_eq(mh_arena_init(&arena, 16384), 0);
	memset(&req, 0, sizeof(req));
	req.arena = &arena;
	req.request_id = "unit-auth";
	req.min_role = MH_ROLE_VIEWER;
	memset(&res, 0, sizeof(res));
	mh_buf_init(&res.body, &arena, 512);
	mh_log_set_level(MH_LOG_ERROR);
}

static void teardown(void)
{
	mh_keyring_free();
	mh_arena_destroy(&arena);
}

TestSuite(auth, .init = setup, .fini = teardown, .timeout = 60);

static void with_authorization(const char *value)
{
	snprintf(authorization, sizeof(authorization), "%s", value);
	headers[0].key = "authorization";
	headers[0].value = authorization;
	req.headers = headers;
	req.nheaders = 1;
}

/* "Bearer <a token for role, issued at now, living ttl seconds>"; the claims in c. */
static void with_token(const char *role, long long now, int ttl, struct mh_token_claims *c)
{
	char token[4000], value[sizeof(token) + 16];

	memset(c, 0, sizeof(*c));
	snprintf(c->sub, sizeof(c->sub), "%s", SUB);
	snprintf(c->tid, sizeof(c->tid), "%s", TID);
	snprintf(c->sid, sizeof(c->sid), "%s", SID);
	snprintf(c->role, sizeof(c->role), "%s", role);
	cr_assert_eq(mh_jwt_issue(c, now, ttl, token, sizeof(token)), 0);
	snprintf(value, sizeof(value), "Bearer %s", token);
	with_authorization(value);
}

static const char *header(const char *name)
{
	for (size_t i = 0; i < res.nheaders; i++)
		if (strcmp(res.headers[i].key, name) == 0)
			return res.headers[i].value;
	return NULL;
}

static void assert_refused(int status, const char *code, const char *challenge)
{
	cr_assert_eq(mh_auth_authenticate_or_reply(&req, &res), 0, "the request went through");
	cr_assert_eq(res.status, status, "%d: %s", res.status, res.body.data);
	cr_assert(strstr(res.body.data, code) != NULL, "%s", res.body.data);
	if (challenge != NULL)
		cr_assert(header("WWW-Authenticate") != NULL &&
		                  strstr(header("WWW-Authenticate"), challenge) != NULL,
		          "WWW-Authenticate: %s", header("WWW-Authenticate"));
	cr_assert_null(req.principal.user_id, "no principal for a refused request");
}

/* ---- Refused before any lookup -------------------------------------------------------- */

Test(auth, no_authorization_header_is_401_with_a_bearer_challenge)
{
	assert_refused(401, "\"unauthenticated\"", "Bearer realm=");
}

Test(auth, another_scheme_is_401_unauthenticated)
{
	with_authorization("Basic dXNlcjpwYXNz");
	assert_refused(401, "\"unauthenticated\"", "Bearer");
}

Test(auth, an_empty_bearer_token_is_401_unauthenticated)
{
	with_authorization("Bearer ");
	assert_refused(401, "\"unauthenticated\"", "Bearer");
}

Test(auth, a_token_that_does_not_verify_is_401_invalid_token)
{
	with_authorization("Bearer not.a.token");
	assert_refused(401, "\"invalid_token\"", "error=\"invalid_token\"");
}

Test(auth, an_expired_token_is_401_invalid_token)
{
	struct mh_token_claims c;

	with_token("viewer", (long long)time(NULL) - 3600, 60, &c);
	assert_refused(401, "\"invalid_token\"", "error=\"invalid_token\"");
}

/* Without a revocation table known to be in sync, a good token cannot be vouched for. */
/* The revocation table cannot vouch (no Redis here): the token is not refused, and the
 * request's own transaction is told to check it in PostgreSQL (core/db.c). */
Test(auth, a_valid_token_leaves_revocation_to_postgresql_while_the_table_cannot_vouch)
{
	struct mh_token_claims c;

	with_token("owner", (long long)time(NULL), 600, &c);
	cr_assert_eq(mh_auth_authenticate_or_reply(&req, &res), 1, "%d %s", res.status,
	             res.body.data);
	cr_assert_eq(req.principal.revocation, MH_REVOCATION_IN_DB);
}

/* ---- With the revocation table in sync (the stack's Redis) ----------------------------- */

static void synced(void)
{
	const char *url = getenv("MENHIR_TEST_REDIS_URL");
	char err[256];

	if (url == NULL)
		cr_skip_test("no Redis (MENHIR_TEST_REDIS_URL): run under script/test");
	snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", url);
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(mh_revocation_init(), 0);
	mh_revocation_master_tick(); /* subscribes and loads the record */
	/* A Redis whose record of revocations started this very second (restarted by the suite
	 * before, say) cannot vouch for tokens issued in it: the tests' tokens are issued in a
	 * later second. */
	for (int i = 0; i < 30 && mh_revocation_check("x", SID, SUB, 0, (long long)time(NULL)) !=
	                                  MH_TOKEN_VALID;
	     i++) {
		struct timespec pause = {0, 100 * 1000 * 1000};

		nanosleep(&pause, NULL);
	}
	cr_assert_eq(mh_revocation_check("x", SID, SUB, 0, (long long)time(NULL)), MH_TOKEN_VALID,
	             "table not in sync");
}

Test(auth, a_valid_token_becomes_the_requests_principal)
{
	struct mh_token_claims c;

	synced();
	with_token("member", (long long)time(NULL), 600, &c);
	cr_assert_eq(mh_auth_authenticate_or_reply(&req, &res), 1, "%d %s", res.status,
	             res.body.data);
	cr_assert_str_eq(req.principal.user_id, SUB);
	cr_assert_str_eq(req.principal.tenant_id, TID);
	cr_assert_str_eq(req.principal.role, "member");
	cr_assert_str_eq(req.principal.jti, c.jti);
	cr_assert_str_eq(req.principal.session_id, SID);
	cr_assert_eq(req.principal.expires_at, c.exp);
	cr_assert_eq(req.principal.revocation, 0, "a table in sync needs no check in PostgreSQL");
	mh_revocation_master_stop();
}

Test(auth, a_role_below_the_minimum_is_403_before_any_database_work)
{
	struct mh_token_claims c;

	synced();
	req.min_role = MH_ROLE_ADMIN;
	with_token("member", (long long)time(NULL), 600, &c);
	cr_assert_eq(mh_auth_authenticate_or_reply(&req, &res), 0);
	cr_assert_eq(res.status, 403);
	cr_assert(strstr(res.body.data, "\"forbidden\"") != NULL);
	mh_revocation_master_stop();
}

Test(auth, a_revoked_token_is_401_invalid_token)
{
	struct mh_token_claims c;

	synced();
	with_token("owner", (long long)time(NULL), 600, &c);
	cr_assert_eq(mh_revocation_revoke_token(&req, c.jti, c.exp), 0);
	assert_refused(401, "\"invalid_token\"", "error=\"invalid_token\"");
	mh_revocation_master_stop();
}
