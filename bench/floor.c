/*
 * bench/floor: the floor cost of Menhir's FastCGI architecture, with no
 * framework.  A prefork pool of libfcgi workers on a unix socket, each
 * answering every request with the same ping JSON Menhir answers at
 * GET /api/v1/ping.  bench/run puts it behind the same nginx as Menhir.
 *
 *   bench/floor SOCKET_PATH WORKERS
 *
 * The parent binds the socket, forks WORKERS children, and waits; SIGTERM or
 * SIGINT makes it stop the children (SIGTERM), reap them, remove the socket
 * and exit 0.  A child that dies is not replaced (a benchmark should see it).
 *
 * Seam for later issues: worker_init() runs once per child before the accept
 * loop (open a libpq connection there), handle() answers one request (run the
 * hand-written transaction there), worker_fini() runs when the loop ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define BACKLOG 1024 /* Menhir's listen_backlog default */
#define MAX_WORKERS 256

static const char ping_response[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"\r\n"
	"{\"data\":{\"status\":\"ok\"}}";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		stop_requested = 1;
}

/* ---- /bench/floor-list: Menhir's GET /api/v1/documents?limit=20, by hand ------------------
 *
 * With FLOOR_DATABASE_URL (libpq conninfo, as menhir_app) and FLOOR_JWT_KEY (a PEM key of
 * the stack's keys_dir: the public key is taken from it, once per worker), the floor also
 * answers /bench/floor-list with the same transaction Menhir's list makes, and nothing
 * else: verify the bearer token's RS256 signature and its exp (OpenSSL, no JSON parser:
 * the claims are found by string search), then one pipelined round trip of BEGIN READ
 * ONLY, the RLS context with the membership check (Menhir's mh_set_context: FLOOR_ENTER_SQL
 * is core/db.h's MH_DB_ENTER_SQL), the planner settings (enable_sort
 * off, the generic plan), the list SELECT of src/modules/documents/repo.c
 * (documents_list_created_desc, first page, limit 20 + 1) and COMMIT, then
 * {"data":[…],"next_cursor":…} written by hand from the raw fields, as Menhir's render.c
 * writes them. Keep FLOOR_LIST_SQL equal to that statement (t/it_documents.c checks it),
 * or the ratio compares different queries. */
static PGconn *pg;
static EVP_PKEY *jwt_key;

/* The RLS context as Menhir sets it for a request with a tenant and a user: keep it equal
 * to core/db.h's MH_DB_ENTER_SQL (t/it_documents.c checks it). */
static const char FLOOR_ENTER_SQL[] =
	"SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),"
	" set_config('app.role', coalesce((SELECT m.role FROM memberships m"
	" JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1::uuid"
	" AND m.user_id = $2::uuid AND u.disabled_at IS NULL"
	" AND app_role_rank(m.role) >= app_role_rank(coalesce(nullif($3, ''), 'viewer'))),"
	" app_refuse('MH403', 'not an enabled member with the role this route needs')), true)";

/* documents_keyset_plan_generic: what Menhir queues before an unfiltered list. Keep both
 * statements equal to repo.c's. */
static const char FLOOR_PLAN_SQL[] =
	"SELECT set_config('enable_sort', 'off', true),"
	" set_config('plan_cache_mode', 'force_generic_plan', true)";
/* documents_list_created_desc: the raw fields of a page, timestamps as microseconds. */
#define FLOOR_US(col) "(extract(epoch FROM " col ") * 1000000)::int8"
static const char FLOOR_LIST_SQL[] =
	"SELECT d.id, d.owner_id, d.title, array_to_json(d.tags), d.status, d.version, "
	FLOOR_US("d.created_at") ", " FLOOR_US("d.updated_at") ", " FLOOR_US("d.deleted_at")
	" FROM ("
	"SELECT d.* FROM documents d"
	" WHERE d.tenant_id = (SELECT app_tenant_id()) AND d.deleted_at IS NULL"
	" AND ($3::text IS NULL OR d.status = $3::text)"
	" AND ($4::text IS NULL OR d.tags @> ARRAY[$4::text])"
	" AND ($5::uuid IS NULL OR d.owner_id = $5::uuid)"
	" AND (d.created_at, d.id) < ($1::timestamptz, $2::uuid)"
	" ORDER BY d.created_at DESC, d.id DESC LIMIT $6::int) d"
	" ORDER BY d.created_at DESC, d.id DESC";

static int worker_init(void)
{
	const char *url = getenv("FLOOR_DATABASE_URL"), *keyfile = getenv("FLOOR_JWT_KEY");
	PGresult *r;
	FILE *f;

	if (url == NULL || keyfile == NULL)
		return 0; /* ping only */
	f = fopen(keyfile, "r");
	if (f == NULL || (jwt_key = PEM_read_PUBKEY(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "floor: cannot read the public key %s\n", keyfile);
		return -1;
	}
	fclose(f);
	pg = PQconnectdb(url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "floor: %s", PQerrorMessage(pg));
		return -1;
	}
	r = PQprepare(pg, "enter", FLOOR_ENTER_SQL, 3, NULL);
	PQclear(r);
	r = PQprepare(pg, "plan", FLOOR_PLAN_SQL, 0, NULL);
	PQclear(r);
	r = PQprepare(pg, "list", FLOOR_LIST_SQL, 6, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "floor: prepare: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return PQenterPipelineMode(pg) ? 0 : -1;
}

static void worker_fini(void)
{
	if (pg != NULL)
		PQfinish(pg);
	EVP_PKEY_free(jwt_key);
}

static int reply(FCGX_Request *req, const char *status, const char *body, size_t len)
{
	char head[160];
	int n = snprintf(head, sizeof head,
			 "Status: %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 status, len);

	if (FCGX_PutStr(head, n, req->out) < 0)
		return -1;
	return FCGX_PutStr(body, (int)len, req->out) < 0 ? -1 : 0;
}

static int unauthorized(FCGX_Request *req)
{
	static const char body[] = "{\"error\":\"unauthenticated\"}";
	return reply(req, "401 Unauthorized", body, sizeof body - 1);
}

/* base64url (no padding) into out; returns the length or -1. */
static int b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	char buf[1024];
	size_t m = n;
	int len;

	if (n + 4 > sizeof buf || (n + 3) / 4 * 3 > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (m % 4)
		buf[m++] = '=';
	len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)m);
	if (len < 0)
		return -1;
	return len - (int)(m - n); /* padding decodes to zero bytes */
}

/* The value of a string claim "name":"value" in the payload JSON (copied into out). */
static int claim_str(const char *json, const char *name, char *out, size_t cap)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof pat, "\"%s\":\"", name);
	p = strstr(json, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e == NULL || (size_t)(e - p) >= cap)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* A JSON string as PostgreSQL's escape_json writes it (as Menhir's list does). */
static size_t put_text(char *o, const char *s)
{
	size_t n = 0;

	o[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
			      : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
			      : c == '\t' ? "\\t" : NULL;
		if (e != NULL) {
			memcpy(o + n, e, 2);
			n += 2;
		} else if (c < 0x20) {
			n += (size_t)sprintf(o + n, "\\u%04x", c);
		} else {
			o[n++] = (char)c;
		}
	}
	o[n++] = '"';
	return n;
}

/* Microseconds since 1970 as RFC 3339 UTC with microseconds. */
static void format_us(const char *text, char out[48])
{
	long long us = atoll(text), secs = us / 1000000, frac = us % 1000000;
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	t = (time_t)secs;
	gmtime_r(&t, &tm);
	snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static size_t put_time(char *o, const PGresult *r, int row, int col)
{
	char ts[48];

	if (PQgetisnull(r, row, col)) {
		memcpy(o, "null", 4);
		return 4;
	}
	format_us(PQgetvalue(r, row, col), ts);
	return (size_t)sprintf(o, "\"%s\"", ts);
}

/* One list row as the document summary object. */
static size_t put_document(char *o, const PGresult *r, int i)
{
	size_t n = (size_t)sprintf(o, "{\"id\":\"%s\",\"owner_id\":\"%s\",\"title\":",
				   PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));

	n += put_text(o + n, PQgetvalue(r, i, 2));
	n += (size_t)sprintf(o + n, ",\"tags\":%s,\"status\":", PQgetvalue(r, i, 3));
	n += put_text(o + n, PQgetvalue(r, i, 4));
	n += (size_t)sprintf(o + n, ",\"version\":%s,\"created_at\":", PQgetvalue(r, i, 5));
	n += put_time(o + n, r, i, 6);
	memcpy(o + n, ",\"updated_at\":", 14);
	n += 14;
	n += put_time(o + n, r, i, 7);
	memcpy(o + n, ",\"deleted_at\":", 14);
	n += 14;
	n += put_time(o + n, r, i, 8);
	o[n++] = '}';
	return n;
}

static int handle_list(FCGX_Request *req)
{
	const char *auth = FCGX_GetParam("HTTP_AUTHORIZATION", req->envp), *dot1, *dot2, *p;
	unsigned char sig[512], payload[1024];
	char tid[64], sub[64];
	const char *params[6] = { "infinity", "ffffffff-ffff-ffff-ffff-ffffffffffff", NULL, NULL,
				  NULL, "21" };
	const char *enter[3] = { tid, sub, "viewer" };
	PGresult *r, *list = NULL;
	EVP_MD_CTX *md;
	int siglen, plen, ok, failed = 0, n;
	static char out[1 << 16];
	size_t len = 0;

	/* 1. The token: RS256 over header.payload, then exp. */
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
		return unauthorized(req);
	auth += 7;
	dot1 = strchr(auth, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL)
		return unauthorized(req);
	siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof sig);
	plen = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof payload - 1);
	if (siglen <= 0 || plen <= 0)
		return unauthorized(req);
	payload[plen] = '\0';
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, jwt_key) == 1 &&
	     EVP_DigestVerify(md, sig, (size_t)siglen, (const unsigned char *)auth,
			      (size_t)(dot2 - auth)) == 1;
	EVP_MD_CTX_free(md);
	p = strstr((char *)payload, "\"exp\":");
	if (!ok || p == NULL || atoll(p + 6) <= (long long)time(NULL) ||
	    claim_str((char *)payload, "tid", tid, sizeof tid) < 0 ||
	    claim_str((char *)payload, "sub", sub, sizeof sub) < 0)
		return unauthorized(req);

	/* 2. One round trip: BEGIN READ ONLY, context, plan setting, SELECT, COMMIT. */
	if (!PQsendQueryParams(pg, "BEGIN READ ONLY", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(pg, "enter", 3, enter, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(pg, "plan", 0, NULL, NULL, NULL, 0) ||
	    !PQsendQueryPrepared(pg, "list", 6, params, NULL, NULL, 0) ||
	    !PQsendQueryParams(pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) || !PQpipelineSync(pg))
		return reply(req, "503 Service Unavailable", "{}", 2);
	/* Five results, each followed by NULL, then the sync. */
	for (int q = 0; q < 5; q++) {
		while ((r = PQgetResult(pg)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
				failed = 1;
			if (q == 3 && st == PGRES_TUPLES_OK && list == NULL)
				list = r;
			else
				PQclear(r);
		}
	}
	r = PQgetResult(pg); /* PGRES_PIPELINE_SYNC */
	PQclear(r);
	if (failed || list == NULL) {
		PQclear(list);
		return reply(req, "500 Internal Server Error", "{}", 2);
	}

	/* 3. The envelope by hand: the same JSON as Menhir's, minus its cursor encoding. */
	n = PQntuples(list);
	len = (size_t)snprintf(out, sizeof out, "{\"data\":[");
	for (int i = 0; i < n && i < 20; i++) {
		/* A title escapes to at most 6 bytes per byte; the rest is bounded. */
		if (len + 6 * (size_t)PQgetlength(list, i, 2) + (size_t)PQgetlength(list, i, 3) +
			    512 >= sizeof out)
			break;
		if (i > 0)
			out[len++] = ',';
		len += put_document(out + len, list, i);
	}
	if (n > 20) {
		char ts[48];
		format_us(PQgetvalue(list, 19, 6), ts);
		len += (size_t)snprintf(out + len, sizeof out - len, "],\"next_cursor\":\"%s|%s\"}",
					ts, PQgetvalue(list, 19, 0));
	} else {
		len += (size_t)snprintf(out + len, sizeof out - len, "],\"next_cursor\":null}");
	}
	PQclear(list);
	return reply(req, "200 OK", out, len);
}

static int handle(FCGX_Request *req)
{
	const char *uri = FCGX_GetParam("DOCUMENT_URI", req->envp);

	if (pg != NULL && uri != NULL && strcmp(uri, "/bench/floor-list") == 0)
		return handle_list(req);
	return FCGX_PutStr(ping_response, (int)(sizeof ping_response - 1), req->out) < 0 ? -1 : 0;
}

static void worker_loop(int listen_fd)
{
	FCGX_Request req;

	if (FCGX_InitRequest(&req, listen_fd, 0) != 0) {
		fprintf(stderr, "floor: FCGX_InitRequest failed\n");
		_exit(1);
	}
	if (worker_init() != 0)
		_exit(1);
	while (FCGX_Accept_r(&req) >= 0) {
		handle(&req);
		FCGX_Finish_r(&req);
	}
	worker_fini();
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *path;
	char *end;
	long nworkers;
	int listen_fd, i, status;
	pid_t pids[MAX_WORKERS];
	int live = 0, rc = 0;
	struct sigaction sa;
	sigset_t block, orig;

	/* bench/run feeds the same statement to pgbench (PostgreSQL alone). */
	if (argc == 2 && strcmp(argv[1], "--print-list-sql") == 0) {
		puts(FLOOR_LIST_SQL);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-plan-sql") == 0) {
		puts(FLOOR_PLAN_SQL);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--print-enter-sql") == 0) {
		puts(FLOOR_ENTER_SQL);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr,
			"usage: %s SOCKET_PATH WORKERS | --print-list-sql | --print-plan-sql | "
			"--print-enter-sql\n",
			argv[0]);
		return 2;
	}
	path = argv[1];
	errno = 0;
	nworkers = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "floor: WORKERS must be 1..%d\n", MAX_WORKERS);
		return 2;
	}

	/*
	 * Block the signals we wait for, so none is lost between checking
	 * stop_requested and sleeping: sigsuspend() unblocks them atomically.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	if (FCGX_Init() != 0) {
		fprintf(stderr, "floor: FCGX_Init failed\n");
		return 1;
	}
	unlink(path);
	listen_fd = FCGX_OpenSocket(path, BACKLOG);
	if (listen_fd < 0) {
		fprintf(stderr, "floor: cannot bind %s\n", path);
		return 1;
	}
	/* nginx workers may run as another user */
	if (chmod(path, 0666) != 0) {
		fprintf(stderr, "floor: chmod %s: %s\n", path, strerror(errno));
		return 1;
	}

	for (i = 0; i < nworkers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "floor: fork: %s\n", strerror(errno));
			stop_requested = 1;
			rc = 1;
			break;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGCHLD, SIG_DFL);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			worker_loop(listen_fd);
		}
		pids[live++] = pid;
	}

	for (;;) {
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < live; i++) {
				if (pids[i] == pid) {
					pids[i] = pids[--live];
					break;
				}
			}
			if (!stop_requested)
				fprintf(stderr, "floor: worker %ld exited (status %d)\n",
					(long)pid, status);
		}
		if (live == 0)
			break;
		if (stop_requested) {
			for (i = 0; i < live; i++)
				kill(pids[i], SIGTERM);
			while (live > 0 && waitpid(-1, &status, 0) > 0)
				live--;
			break;
		}
		sigsuspend(&orig);
	}
	unlink(path);
	return rc;
}
