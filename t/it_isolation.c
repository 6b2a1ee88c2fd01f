/* it_isolation.c - the isolation proof: EVERY route of the binary's route table (read from
 * `menhir routes`, not a hand-kept list) is called by every kind of caller against tenant A's
 * resources: no token, an expired token, A's viewer, member, admin and owner, the owner
 * of another tenant B, and two API keys: an admin key of A and an owner key of B. Each cell
 * of a person has an expected status in the table below; a route without a row fails the
 * test, so a new route cannot ship without someone deciding who may call it. The key columns
 * follow from the route's API-key flag: a route that takes keys answers A's key as it
 * answers A's admin and B's key as it answers B's owner; a public route answers a key as it
 * answers an owner, unless it refuses one (key_refused); any other route refuses
 * a key (403) whatever its tenant and role.
 * No answer to a caller outside tenant A may carry any of A's ids, titles or e-mails, and
 * nothing of A's may change when B calls a write route on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "doc_helpers.h"
#include "secrets.h"

TestSuite(isolation, .timeout = 300);

enum actor { NONE, EXPIRED, VIEWER, MEMBER, ADMIN, OWNER, OTHER, KEY_A, KEY_B, NACTORS };
/* The people's columns of the table; the keys' follow from them. */
#define NPEOPLE KEY_A
static const char *const actor_names[NACTORS] = {
        "no token", "expired token", "A viewer", "A member", "A admin", "A owner", "B owner",
        "A admin API key", "B owner API key"};

/* What a cell needs made fresh before it runs, so that no cell depends on another. */
enum prep {
	PREP_NONE,
	PREP_DOC,         /* :id = a new document of A (owned by A's member) */
	PREP_DELETED_DOC, /* :id = a new, soft-deleted document of A */
	PREP_MEMBER,      /* :user_id = a new viewer of A */
	PREP_FILE,        /* :id/:file_id = a new document of A (A's member's) with a file */
	PREP_JOB,         /* :id = a new queued job of A's member (due in an hour) */
	PREP_FAILED_JOB,  /* :id = a new job of A's member that failed for good */
	PREP_FEATURE,     /* :feature = stats (a name, not one of A's secrets) */
	PREP_INVITATION,  /* :id = a new pending invitation of A (to a fresh address) */
	PREP_SESSION,     /* :id = a new session (login) of A's member */
	PREP_KEY,         /* :id = a new API key of A (viewer, made by A's owner) */
};

struct expectation {
	const char *method;
	const char *pattern;
	const char *body; /* JSON; "{email}" becomes a fresh address, "{tenant_a}" A's id */
	enum prep prep;
	int fresh_actor; /* the route ends the caller's session: use a new one per cell */
	long want[NPEOPLE];
};

/* Public routes that read an optional bearer token as a person's: a key sent there is
 * refused (403 api_key_not_allowed) instead of being ignored. */
static int key_refused(const struct expectation *e)
{
	return strcmp(e->pattern, "/api/v1/auth/invitations/accept") == 0 ||
	       strcmp(e->pattern, "/api/v1/auth/email/confirm") == 0;
}

/* Routes whose 200 is an event stream that nginx keeps open: only its head is read. */
static const char *const stream_routes[] = {"/api/v1/jobs/:id/events", NULL};

#define SIGNUP_BODY                                                                                \
	"{\"email\":\"{email}\",\"password\":\"" T_SECRET_PASSWORD "\",\"tenant_name\":\"Iso\"}"

/* Columns: no token, expired, A viewer, A member, A admin, A owner, B owner. */
static const struct expectation table[] = {
        /* Operational and public. */
        {"GET", "/healthz", NULL, PREP_NONE, 0, {200, 200, 200, 200, 200, 200, 200}},
        {"GET", "/readyz", NULL, PREP_NONE, 0, {200, 200, 200, 200, 200, 200, 200}},
        /* Internal: the public listener never serves it (nginx's JSON 404), whoever asks. */
        {"GET", "/metrics", NULL, PREP_NONE, 0, {404, 404, 404, 404, 404, 404, 404}},
        {"GET", "/api/v1/ping", NULL, PREP_NONE, 0, {200, 200, 200, 200, 200, 200, 200}},
        {"GET", "/.well-known/jwks.json", NULL, PREP_NONE, 0, {200, 200, 200, 200, 200, 200, 200}},
        /* Auth. Public routes ignore the bearer token; signup makes a separate account. */
        {"POST",
         "/api/v1/auth/signup",
         SIGNUP_BODY,
         PREP_NONE,
         0,
         {201, 201, 201, 201, 201, 201, 201}},
        {"POST", "/api/v1/auth/login", "{}", PREP_NONE, 0, {400, 400, 400, 400, 400, 400, 400}},
        {"POST", "/api/v1/auth/refresh", NULL, PREP_NONE, 0, {403, 403, 403, 403, 403, 403, 403}},
        {"POST", "/api/v1/auth/logout", NULL, PREP_NONE, 0, {403, 403, 403, 403, 403, 403, 403}},
        /* The mailbox flows: the same answer for every caller, whoever the address is. */
        {"POST",
         "/api/v1/auth/password/forgot",
         "{\"email\":\"{email}\"}",
         PREP_NONE,
         0,
         {202, 202, 202, 202, 202, 202, 202}},
        {"POST",
         "/api/v1/auth/password/reset",
         "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"password\":\"" T_SECRET_PASSWORD "\"}",
         PREP_NONE,
         0,
         {400, 400, 400, 400, 400, 400, 400}},
        {"POST",
         "/api/v1/auth/email/verify",
         "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         PREP_NONE,
         0,
         {400, 400, 400, 400, 400, 400, 400}},
        /* Confirming a new address needs the mailed token: a made-up one is refused the same
         * for everyone (a bearer token sent along must be valid). */
        {"POST",
         "/api/v1/auth/email/confirm",
         "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         PREP_NONE,
         0,
         {400, 401, 400, 400, 400, 400, 400}},
        {"POST",
         "/api/v1/auth/email/verify/resend",
         NULL,
         PREP_NONE,
         0,
         {401, 401, 202, 202, 202, 202, 202}},
        {"POST",
         "/api/v1/auth/logout-all",
         NULL,
         PREP_NONE,
         1,
         {401, 401, 204, 204, 204, 204, 204}},
        {"POST",
         "/api/v1/auth/switch-tenant",
         "{\"tenant_id\":\"{tenant_a}\"}",
         PREP_NONE,
         0,
         {401, 401, 200, 200, 200, 200, 403}},
        /* The signed-in user: always their own. */
        {"GET", "/api/v1/users/me", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"PATCH",
         "/api/v1/users/me",
         "{\"name\":\"Iso\"}",
         PREP_NONE,
         0,
         {401, 401, 200, 200, 200, 200, 200}},
        /* Changing one's address: always one's own, whatever the tenant. */
        {"POST",
         "/api/v1/users/me/email",
         "{\"email\":\"{email}\",\"current_password\":\"" T_SECRET_PASSWORD "\"}",
         PREP_NONE,
         0,
         {401, 401, 202, 202, 202, 202, 202}},
        /* The current tenant: B's "current" is B, so B succeeds on its own tenant. */
        {"GET", "/api/v1/tenants/current", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"PATCH",
         "/api/v1/tenants/current",
         "{\"name\":\"Renamed\"}",
         PREP_NONE,
         0,
         {401, 401, 403, 403, 200, 200, 200}},
        {"GET",
         "/api/v1/tenants/current/members",
         NULL,
         PREP_NONE,
         0,
         {401, 401, 200, 200, 200, 200, 200}},
        /* Invitations: A's admins manage A's; B's owner invites into B, and never sees or
         * revokes one of A's. */
        {"POST",
         "/api/v1/tenants/current/invitations",
         "{\"email\":\"{email}\",\"role\":\"viewer\"}",
         PREP_NONE,
         0,
         {401, 401, 403, 403, 201, 201, 201}},
        {"GET",
         "/api/v1/tenants/current/invitations",
         NULL,
         PREP_INVITATION,
         0,
         {401, 401, 403, 403, 200, 200, 200}},
        {"DELETE",
         "/api/v1/tenants/current/invitations/:id",
         NULL,
         PREP_INVITATION,
         0,
         {401, 401, 403, 403, 204, 204, 404}},
        /* Accepting needs the mailed token: a made-up one is refused the same for everyone. */
        {"POST",
         "/api/v1/auth/invitations/accept",
         "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
         PREP_NONE,
         0,
         {400, 401, 400, 400, 400, 400, 400}},
        {"PATCH",
         "/api/v1/tenants/current/members/:user_id",
         "{\"role\":\"member\"}",
         PREP_MEMBER,
         0,
         {401, 401, 403, 403, 200, 200, 404}},
        {"DELETE",
         "/api/v1/tenants/current/members/:user_id",
         NULL,
         PREP_MEMBER,
         0,
         {401, 401, 403, 403, 204, 204, 404}},
        {"GET",
         "/api/v1/tenants/current/audit",
         NULL,
         PREP_NONE,
         0,
         {401, 401, 403, 403, 200, 200, 200}},
        /* Documents: viewer reads, member writes own (A's member owns every prepared one),
         * admin+ writes all; B sees none of A's. */
        {"GET", "/api/v1/documents", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"POST",
         "/api/v1/documents",
         "{\"title\":\"Iso new\"}",
         PREP_NONE,
         0,
         {401, 401, 403, 201, 201, 201, 201}},
        {"GET", "/api/v1/documents/:id", NULL, PREP_DOC, 0, {401, 401, 200, 200, 200, 200, 404}},
        {"PATCH",
         "/api/v1/documents/:id",
         "{\"title\":\"Iso edited\"}",
         PREP_DOC,
         0,
         {401, 401, 403, 200, 200, 200, 404}},
        {"DELETE", "/api/v1/documents/:id", NULL, PREP_DOC, 0, {401, 401, 403, 204, 204, 204, 404}},
        {"POST",
         "/api/v1/documents/:id/restore",
         NULL,
         PREP_DELETED_DOC,
         0,
         {401, 401, 403, 403, 200, 200, 404}},
        /* Attachments. The upload row sends no file and no ?name=: 400 for every caller the
         * route lets through, before any lookup (t/it_files.c covers real uploads,
         * including B's 404). */
        {"POST", "/api/v1/documents/:id/files", NULL, PREP_DOC, 0, {401, 401, 403, 400, 400, 400, 400}},
        {"GET", "/api/v1/documents/:id/files/:file_id", NULL, PREP_FILE, 0, {401, 401, 200, 200, 200, 200, 404}},
        {"DELETE", "/api/v1/documents/:id/files/:file_id", NULL, PREP_FILE, 0, {401, 401, 403, 204, 204, 204, 404}},
        /* Jobs: viewer reads, member cancels own (A's member queued every prepared one),
         * admin+ cancels any and retries; B sees none of A's. */
        {"GET", "/api/v1/jobs", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"GET", "/api/v1/jobs/:id", NULL, PREP_JOB, 0, {401, 401, 200, 200, 200, 200, 404}},
        {"POST", "/api/v1/jobs/:id/cancel", NULL, PREP_JOB, 0, {401, 401, 403, 200, 200, 200, 404}},
        {"POST", "/api/v1/jobs/:id/retry", NULL, PREP_FAILED_JOB, 0, {401, 401, 403, 403, 200, 200, 404}},
        /* Processing: A has stats on (setup); member+ queues it on any readable document,
         * B cannot see A's; features are read by all, switched by admin+ (B its own). */
        {"POST", "/api/v1/documents/:id/process", "{\"feature\":\"stats\"}", PREP_DOC, 0, {401, 401, 403, 202, 202, 202, 404}},
        {"GET", "/api/v1/tenants/current/features", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"PUT", "/api/v1/tenants/current/features/:feature", "{\"enabled\":true}", PREP_FEATURE, 0, {401, 401, 403, 403, 200, 200, 200}},
        /* Live job events (t/it_events.c covers the stream itself). */
        {"GET", "/api/v1/jobs/:id/events", NULL, PREP_JOB, 0, {401, 401, 200, 200, 200, 200, 404}},
        /* Webhooks: a job's deliveries are read like the job; the signing secret is admin+
         * (B's "current" tenant is B, so B makes and reads its own). */
        {"GET", "/api/v1/jobs/:id/deliveries", NULL, PREP_JOB, 0, {401, 401, 200, 200, 200, 200, 404}},
        {"GET", "/api/v1/tenants/current/webhook-secret", NULL, PREP_NONE, 0, {401, 401, 403, 403, 200, 200, 200}},
        {"POST", "/api/v1/tenants/current/webhook-secret", NULL, PREP_NONE, 0, {401, 401, 403, 403, 201, 201, 201}},
        /* Sessions are a person's own, in every tenant: B lists B's; ending one needs it to be
         * yours (the member ends their own, everyone else gets 404). */
        {"GET", "/api/v1/auth/sessions", NULL, PREP_NONE, 0, {401, 401, 200, 200, 200, 200, 200}},
        {"DELETE", "/api/v1/auth/sessions/:id", NULL, PREP_SESSION, 0, {401, 401, 404, 204, 404, 404, 404}},
        /* API keys: admins manage their tenant's. */
        {"GET", "/api/v1/tenants/current/api-keys", NULL, PREP_NONE, 0, {401, 401, 403, 403, 200, 200, 200}},
        {"POST", "/api/v1/tenants/current/api-keys", "{\"name\":\"iso\",\"role\":\"viewer\"}", PREP_NONE, 0, {401, 401, 403, 403, 201, 201, 201}},
        {"GET", "/api/v1/tenants/current/api-keys/:id", NULL, PREP_KEY, 0, {401, 401, 403, 403, 200, 200, 404}},
        {"DELETE", "/api/v1/tenants/current/api-keys/:id", NULL, PREP_KEY, 0, {401, 401, 403, 403, 204, 204, 404}},
        /* menhir new-module adds its rows above this line. */
};

/* ---- Fixture ------------------------------------------------------------------------- */

#define MAX_SECRETS 512

static struct t_team a;
static struct t_session b;
static char expired[4096];
static char key_a[128], key_b[128];
static char title_prefix[64];
/* Everything of A's that must never reach a caller outside A. */
static char secrets[MAX_SECRETS][200];
static int nsecrets;

static void remember(const char *s)
{
	cr_assert(nsecrets < MAX_SECRETS);
	snprintf(secrets[nsecrets++], sizeof(secrets[0]), "%s", s);
}

static void forge_expired(const struct t_session *s, char *out, size_t outlen)
{
	char header[256], payload[1024];
	long long now = (long long)time(NULL);

	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
	         t_auth_active_kid());
	snprintf(payload, sizeof(payload),
	         "{\"sub\":\"%s\",\"tid\":\"%s\",\"role\":\"owner\",\"jti\":\"iso-%ld\",\"ver\":0,"
	         "\"iat\":%lld,\"nbf\":%lld,\"exp\":%lld,\"iss\":\"%s\",\"aud\":\"%s\"}",
	         s->user_id, s->tenant_id, (long)getpid(), now - 3600, now - 3600, now - 60,
	         t_auth_config("jwt_issuer"), t_auth_config("jwt_audience"));
	t_auth_forge(header, payload, NULL, 0, out, outlen);
}

/* An API key made by the holder of bearer; its secret and id (either may be NULL). */
static void make_key(const char *bearer, const char *role, char *secret, size_t slen, char *id,
                     size_t idlen)
{
	struct http_response r;
	char body[128];

	snprintf(body, sizeof(body), "{\"name\":\"iso %s\",\"role\":\"%s\"}", role, role);
	t_doc_request("POST", "/api/v1/tenants/current/api-keys", bearer, NULL, body, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	if (secret != NULL)
		t_doc_data_str(&r, "secret", secret, slen);
	if (id != NULL)
		t_doc_data_str(&r, "id", id, idlen);
	t_http_free(&r);
}

static void setup(void)
{
	char id[40], body[256];
	struct http_response res;

	t_team_setup(&a, "iso-a");
	t_auth_signup(&b, "iso-b");
	forge_expired(&a.as[T_OWNER], expired, sizeof(expired));
	snprintf(title_prefix, sizeof(title_prefix), "IsoSecret%ld", (long)getpid());
	remember(a.as[T_OWNER].tenant_id);
	remember(title_prefix);
	make_key(a.as[T_OWNER].access, "admin", key_a, sizeof(key_a), NULL, 0);
	make_key(b.access, "owner", key_b, sizeof(key_b), NULL, 0);
	remember(key_a);
	for (int r = 0; r < T_NROLES; r++) {
		remember(a.as[r].user_id);
		remember(a.as[r].email);
	}
	/* A document every route's answers could leak. */
	snprintf(body, sizeof(body), "{\"title\":\"%s standing\",\"tags\":[\"%s\"]}", title_prefix,
	         title_prefix);
	t_doc_create(&a.as[T_MEMBER], body, id);
	remember(id);
	/* The process row queues stats: on for A, off for B (B's 404 must not depend on it). */
	t_doc_request("PUT", "/api/v1/tenants/current/features/stats", a.as[T_ADMIN].access, NULL,
	              "{\"enabled\":true}", &res);
	cr_assert_eq(res.status, 200, "%s", res.body);
	t_http_free(&res);
}

/* ---- Cells ----------------------------------------------------------------------------- */

static const struct expectation *expectation_for(const char *method, const char *pattern)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].method, method) == 0 && strcmp(table[i].pattern, pattern) == 0)
			return &table[i];
	return NULL;
}

/* A fresh resource of A for one cell; its id joins the secrets. */
static void prepare(enum prep p, char *value, size_t vlen)
{
	struct http_response r;
	char body[256], email[160], path[128];

	value[0] = '\0';
	switch (p) {
	case PREP_NONE: return;
	case PREP_FEATURE: snprintf(value, vlen, "stats"); return;
	case PREP_DOC:
	case PREP_DELETED_DOC:
		snprintf(body, sizeof(body), "{\"title\":\"%s cell\"}", title_prefix);
		t_doc_create(&a.as[T_MEMBER], body, value);
		if (p == PREP_DELETED_DOC) {
			snprintf(path, sizeof(path), "/api/v1/documents/%s", value);
			t_doc_request("DELETE", path, a.as[T_MEMBER].access, NULL, NULL, &r);
			cr_assert_eq(r.status, 204, "%s", r.body);
			t_http_free(&r);
		}
		break;
	case PREP_FILE: {
		/* value is "<document id>\t<file id>": fill_path() fills both parameters. */
		static const char png[] = "\x89PNG\r\n\x1a\n iso cell";
		char doc[40], fid[40], auth[4200];

		snprintf(body, sizeof(body), "{\"title\":\"%s cell\"}", title_prefix);
		t_doc_create(&a.as[T_MEMBER], body, doc);
		remember(doc);
		snprintf(path, sizeof(path), "/api/v1/documents/%s/files?name=iso.png", doc);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a.as[T_MEMBER].access);
		cr_assert_eq(t_http_ex(NULL, "POST", path, auth, "image/png", png, sizeof(png) - 1, &r),
		             0);
		cr_assert_eq(r.status, 201, "%s", r.body);
		t_doc_data_str(&r, "id", fid, sizeof(fid));
		t_http_free(&r);
		remember(fid);
		snprintf(value, vlen, "%s\t%s", doc, fid);
		return;
	}
	case PREP_JOB:
	case PREP_FAILED_JOB: {
		/* test.echo jobs (the test-only kind): one due in an hour, or one that fails at once
		 * and is waited for. */
		json_object *root, *data, *ids;
		long long tries = 0;

		t_doc_request("POST", "/api/v1/test/jobs", a.as[T_MEMBER].access, NULL,
		              p == PREP_JOB ? "{\"delay_seconds\":3600}"
		                            : "{\"payload\":{\"permanent\":true}}",
		              &r);
		cr_assert_eq(r.status, 201, "%s", r.body);
		root = json_tokener_parse(r.body);
		cr_assert(json_object_object_get_ex(root, "data", &data) &&
		          json_object_object_get_ex(data, "ids", &ids));
		snprintf(value, vlen, "%s", json_object_get_string(json_object_array_get_idx(ids, 0)));
		json_object_put(root);
		t_http_free(&r);
		snprintf(path, sizeof(path), "/api/v1/jobs/%s", value);
		while (p == PREP_FAILED_JOB) {
			t_doc_request("GET", path, a.as[T_MEMBER].access, NULL, NULL, &r);
			cr_assert_eq(r.status, 200, "%s", r.body);
			if (strstr(r.body, "\"status\":\"failed\"") != NULL) {
				t_http_free(&r);
				break;
			}
			t_http_free(&r);
			cr_assert(++tries < 600, "the prepared job never failed");
			usleep(50000);
		}
		break;
	}
	case PREP_MEMBER: {
		/* A viewer of A, as an accepted invitation makes one. */
		struct t_session target;
		char sql[512];

		t_auth_signup(&target, "iso-target");
		snprintf(sql, sizeof(sql),
		         "INSERT INTO memberships (tenant_id, user_id, role) VALUES ('%s', '%s', "
		         "'viewer')",
		         a.as[T_OWNER].tenant_id, target.user_id);
		t_auth_sql(sql);
		snprintf(value, vlen, "%s", target.user_id);
		remember(target.email);
		break;
	}
	case PREP_SESSION: {
		struct t_session s;

		cr_assert_eq(t_auth_login(&s, a.as[T_MEMBER].email, T_SECRET_PASSWORD, NULL), 200);
		snprintf(value, vlen, "%s", t_auth_token_claim(s.access, "sid"));
		break;
	}
	case PREP_KEY:
		make_key(a.as[T_OWNER].access, "viewer", NULL, 0, value, vlen);
		break;
	case PREP_INVITATION:
		t_auth_email(email, sizeof(email), "iso-invitee");
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"viewer\"}", email);
		t_doc_request("POST", "/api/v1/tenants/current/invitations", a.as[T_OWNER].access,
		              NULL, body, &r);
		cr_assert_eq(r.status, 201, "%s", r.body);
		t_doc_data_str(&r, "id", value, vlen);
		t_http_free(&r);
		remember(email);
		break;
	}
	remember(value);
}

/* The caller's token for a cell (NULL: none). Cells that end a session get a new one. */
static const char *token_for(enum actor who, int fresh, struct t_session *scratch)
{
	static const enum t_role roles[] = {
	        [VIEWER] = T_VIEWER, [MEMBER] = T_MEMBER, [ADMIN] = T_ADMIN, [OWNER] = T_OWNER};

	switch (who) {
	case NONE: return NULL;
	case EXPIRED: return expired;
	case KEY_A: return key_a;
	case KEY_B: return key_b;
	case OTHER:
		if (!fresh)
			return b.access;
		t_auth_signup(scratch, "iso-b-fresh");
		return scratch->access;
	default:
		if (!fresh)
			return a.as[roles[who]].access;
		t_auth_member(scratch, &a.as[T_OWNER], t_role_names[roles[who]], "iso-fresh");
		remember(scratch->user_id);
		remember(scratch->email);
		return scratch->access;
	}
}

static char *substitute(const char *s, const char *from, const char *to)
{
	const char *at = s ? strstr(s, from) : NULL;
	char *out;

	if (s == NULL)
		return NULL;
	if (at == NULL)
		return strdup(s);
	out = malloc(strlen(s) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

/* The path with its :param segment replaced by value. */
static void fill_path(const char *pattern, const char *value, char *out, size_t outlen)
{
	const char *colon = strchr(pattern, ':'), *tab = strchr(value, '\t');

	if (colon != NULL && tab != NULL) { /* PREP_FILE: two parameters, two values */
		const char *second = strchr(colon + 1, ':');
		size_t seg = strcspn(colon, "/");

		cr_assert(second != NULL, "%s: one parameter for two values", pattern);
		snprintf(out, outlen, "%.*s%.*s%.*s%s%s", (int)(colon - pattern), pattern,
		         (int)(tab - value), value, (int)(second - colon - seg), colon + seg, tab + 1,
		         second + strcspn(second, "/"));
		return;
	}
	if (colon == NULL) {
		snprintf(out, outlen, "%s", pattern);
		return;
	}
	snprintf(out, outlen, "%.*s%s%s", (int)(colon - pattern), pattern, value,
	         colon + strcspn(colon, "/"));
	cr_assert(strchr(colon + 1, ':') == NULL, "%s: more than one parameter; teach prepare()",
	          pattern);
}

/* Nothing of A's in what a caller outside A received. */
static void assert_no_leak(const char *cell, const struct http_response *r)
{
	for (int i = 0; i < nsecrets; i++) {
		cr_assert(strstr(r->body, secrets[i]) == NULL, "%s: the body leaks %s: %s", cell,
		          secrets[i], r->body);
		cr_assert(strstr(r->headers, secrets[i]) == NULL, "%s: a header leaks %s", cell,
		          secrets[i]);
	}
}

/* B's failed write left A's row as it was. */
static void assert_untouched(enum prep p, const char *id)
{
	PGconn *su;
	const char *param[2] = {id, a.as[T_OWNER].tenant_id};
	PGresult *r;

	if (p == PREP_FILE) {
		param[0] = strchr(id, '\t') + 1;
		su = t_pg("MENHIR_TEST_PG_SUPER");
		r = PQexecParams(su, "SELECT deleted_at IS NULL FROM document_files WHERE id = $1", 1,
		                 NULL, param, NULL, NULL, 0);
		cr_assert_eq(PQntuples(r), 1, "A's file %s is gone", param[0]);
		cr_assert_str_eq(PQgetvalue(r, 0, 0), "t", "A's file %s was deleted", param[0]);
		PQclear(r);
		PQfinish(su);
		return;
	}
	if (p == PREP_SESSION || p == PREP_KEY) {
		su = t_pg("MENHIR_TEST_PG_SUPER");
		r = PQexecParams(su,
		                 p == PREP_SESSION
		                         ? "SELECT count(*) > 0 AND bool_and(revoked_at IS NULL)"
		                           "  FROM refresh_tokens WHERE family_id = $1"
		                         : "SELECT revoked_at IS NULL FROM api_keys WHERE id = $1",
		                 1, NULL, param, NULL, NULL, 0);
		cr_assert_eq(PQntuples(r), 1, "A's resource %s is gone", id);
		cr_assert_str_eq(PQgetvalue(r, 0, 0), "t", "A's resource %s was revoked", id);
		PQclear(r);
		PQfinish(su);
		return;
	}
	if (p != PREP_DOC && p != PREP_DELETED_DOC && p != PREP_MEMBER)
		return;
	su = t_pg("MENHIR_TEST_PG_SUPER");
	r = p == PREP_MEMBER
	            ? PQexecParams(su,
	                           "SELECT role = 'viewer' FROM memberships"
	                           " WHERE user_id = $1 AND tenant_id = $2",
	                           2, NULL, param, NULL, NULL, 0)
	    : p == PREP_DOC
	            ? PQexecParams(
	                      su,
	                      "SELECT version = 1 AND deleted_at IS NULL AND title LIKE '%cell'"
	                      "  FROM documents WHERE id = $1",
	                      1, NULL, param, NULL, NULL, 0)
	            : PQexecParams(
	                      su,
	                      "SELECT version = 2 AND deleted_at IS NOT NULL AND title LIKE '%cell'"
	                      "  FROM documents WHERE id = $1",
	                      1, NULL, param, NULL, NULL, 0);
	cr_assert_eq(PQntuples(r), 1, "A's resource %s is gone", id);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "t", "A's resource %s changed", id);
	PQclear(r);
	PQfinish(su);
}

/* Appends to a malloc'd, NUL-terminated buffer; stops an event stream at its first line (an
 * SSE comment, ":"), which only an opened stream sends. */
struct grow {
	char **data;
	size_t *len;
	int sse;
};

static size_t grow_append(char *ptr, size_t size, size_t n, void *userdata)
{
	struct grow *g = userdata;
	char *p = realloc(*g->data, *g->len + size * n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + *g->len, ptr, size * n);
	*g->len += size * n;
	p[*g->len] = '\0';
	*g->data = p;
	return g->sse && p[0] == ':' ? 0 : size * n;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* GET of a stream route as an EventSource client would (Accept: text/event-stream). */
static void stream_request(const char *path, const char *bearer, struct http_response *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Accept: text/event-stream");
	struct grow bg = {&out->body, &out->body_len, 1}, hg = {&out->headers, &out->headers_len, 0};
	char url[512], auth[4200];

	memset(out, 0, sizeof(*out));
	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		h = curl_slist_append(h, auth);
	}
	snprintf(url, sizeof(url), "%s%s", t_env("MENHIR_TEST_BASE_URL"), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &bg);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow_append);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hg);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out->body == NULL)
		out->body = calloc(1, 1);
	if (out->headers == NULL)
		out->headers = calloc(1, 1);
}

/* The route table of the binary under test, without the test-only routes. */
static json_object *live_routes(void)
{
	char cmd[4200];
	static char out[1 << 16];
	size_t n = 0, got;
	FILE *p;
	json_object *routes;

	snprintf(cmd, sizeof(cmd), "MENHIR_ENABLE_TEST_ROUTES=false '%s' routes",
	         t_env("MENHIR_TEST_BIN"));
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	while ((got = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	cr_assert_eq(pclose(p), 0, "%s failed", cmd);
	routes = json_tokener_parse(out);
	cr_assert(routes != NULL && json_object_is_type(routes, json_type_array), "%s", out);
	return routes;
}

static const char *member_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int bool_member(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

/* A cell's expected status: the table's for a person; for a key, what the route's flags
 * imply (see the top of the file). */
static long want_for(const struct expectation *e, json_object *route, enum actor who)
{
	if (who < NPEOPLE)
		return e->want[who];
	if (bool_member(route, "public"))
		return key_refused(e) ? 403 : e->want[OWNER];
	if (!bool_member(route, "api_key"))
		return 403;
	return e->want[who == KEY_A ? ADMIN : OTHER];
}

Test(isolation, every_route_every_caller_against_tenant_a)
{
	json_object *routes;
	size_t nroutes;
	int missing = 0, wrong = 0;
	static char report[1 << 15];
	size_t rlen = 0;

	setup();
	routes = live_routes();
	nroutes = json_object_array_length(routes);
	cr_assert(nroutes >= sizeof(table) / sizeof(table[0]) - 1);

	/* Every row of the table names a live route, so the table cannot rot either. */
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int found = 0;

		for (size_t k = 0; k < nroutes && !found; k++) {
			json_object *rt = json_object_array_get_idx(routes, k);

			found = strcmp(member_str(rt, "method"), table[i].method) == 0 &&
			        strcmp(member_str(rt, "pattern"), table[i].pattern) == 0;
		}
		cr_expect(found, "the isolation table lists %s %s, which is not a route",
		          table[i].method, table[i].pattern);
	}

	for (size_t k = 0; k < nroutes; k++) {
		json_object *rt = json_object_array_get_idx(routes, k);
		const char *method = member_str(rt, "method"), *pattern = member_str(rt, "pattern");
		const struct expectation *e = expectation_for(method, pattern);

		if (e == NULL) {
			rlen += (size_t)snprintf(report + rlen, sizeof(report) - rlen,
			                         "no expectation for %s %s: add a row to the table "
			                         "in t/it_isolation.c\n",
			                         method, pattern);
			missing++;
			continue;
		}
		for (int who = 0; who < NACTORS; who++) {
			struct t_session scratch;
			struct http_response r;
			char value[96], path[256], email[160], cell[512];
			char *body, *tmp;
			long want;
			const char *token = token_for((enum actor)who, e->fresh_actor, &scratch);

			prepare(e->prep, value, sizeof(value));
			fill_path(pattern, value, path, sizeof(path));
			t_auth_email(email, sizeof(email), "iso-new");
			tmp = substitute(e->body, "{email}", email);
			body = substitute(tmp, "{tenant_a}", a.as[T_OWNER].tenant_id);
			free(tmp);
			if (in_list(stream_routes, pattern))
				stream_request(path, token, &r);
			else
				t_doc_request(method, path, token, NULL, body, &r);
			snprintf(cell, sizeof(cell), "%s %s as %s", method, pattern,
			         actor_names[who]);
			want = want_for(e, rt, (enum actor)who);
			if (r.status != want) {
				rlen += (size_t)snprintf(report + rlen, sizeof(report) - rlen,
				                         "%s: want %ld, got %ld %.200s\n", cell, want,
				                         r.status, r.body);
				wrong++;
			}
			if (who == NONE || who == EXPIRED || who == OTHER || who == KEY_B) {
				assert_no_leak(cell, &r);
				if (who == OTHER || who == KEY_B)
					assert_untouched(e->prep, value);
			}
			if (who >= NPEOPLE && r.status == 403 &&
			    (key_refused(e) || (!bool_member(rt, "public") && !bool_member(rt, "api_key"))))
				t_assert_error(&r, 403, "api_key_not_allowed");
			if (want == 401 && r.status == 401)
				t_assert_error(&r, 401,
				               who == NONE ? "unauthenticated" : "invalid_token");
			t_http_free(&r);
			free(body);
		}
	}
	json_object_put(routes);
	cr_assert(missing == 0 && wrong == 0, "%d routes without expectations, %d wrong cells:\n%s",
	          missing, wrong, report);
}
