/* seed.c - `menhir admin seed`: tenants with a user of each role and many documents, fast.
 *
 * Everything happens in one transaction as menhir_owner, so a failed run leaves nothing
 * behind. Documents are generated in C by a deterministic generator (the same --docs gives
 * the same titles, bodies and tags every run; ids and timestamps differ), written in COPY
 * text format into a 1 MiB buffer and sent with PQputCopyData: no statement per row. One
 * argon2id hash serves every user of a run (the password is printed once), since hashing
 * is deliberately slow. */
#include "modules/seed/seed.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/password.h"
#include "modules/auth/auth.h"
#include "modules/seed/internal.h"

#define SEED_MAX_TENANTS 10000
#define SEED_MAX_DOCS 10000000L
#define COPY_BUF (1 << 20)
#define DAY_US (86400LL * 1000000LL)

static const char *const roles[] = { "owner", "admin", "member", "viewer" };

/* ---- The generator ------------------------------------------------------------------- */

/* xorshift64*: fast, and deterministic for a given seed (unlike the kernel's random). */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(uint64_t *s, unsigned n)
{
	return (unsigned)((rnd_next(s) >> 33) % n);
}

static const char *const words[] = {
	"account",   "agenda",     "analysis",  "annual",     "approval",  "archive",
	"audit",     "backlog",    "budget",    "calendar",   "campaign",  "client",
	"compliance", "contract",  "customer",  "dashboard",  "deadline",  "delivery",
	"design",    "draft",      "estimate",  "feedback",   "finance",   "forecast",
	"guideline", "handbook",   "hiring",    "incident",   "invoice",   "kickoff",
	"launch",    "legal",      "logistics", "maintenance", "marketing", "meeting",
	"metrics",   "migration",  "milestone", "minutes",    "onboarding", "operations",
	"outline",   "partner",    "payroll",   "plan",       "policy",    "pricing",
	"priority",  "procedure",  "product",   "project",    "proposal",  "quarterly",
	"release",   "renewal",    "report",    "request",    "research",  "review",
	"risk",      "roadmap",    "sales",     "schedule",   "security",  "service",
	"summary",   "supplier",   "support",   "survey",     "strategy",  "team",
	"template",  "timeline",   "training",  "travel",     "update",    "vendor",
	"warehouse", "weekly",     "workflow",  "workshop",   "the",       "for",
	"and",       "with",       "of",        "our",        "new",       "next",
	"team's",    "regional",   "internal",  "external",   "final",     "revised",
	"shared",    "open",       "pending",   "approved",   "north",     "south",
	"east",      "west",       "q1",        "q2",         "q3",        "q4",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const tags[] = {
	"finance", "hr",      "legal",  "sales",    "marketing", "ops",    "engineering",
	"design",  "urgent",  "review", "archive",  "customer",  "vendor", "internal",
	"q1",      "q2",      "q3",     "q4",       "draft",     "board",  "security",
	"travel",  "product", "support",
};
#define NTAGS (sizeof(tags) / sizeof(tags[0]))

struct out {
	char *buf;
	size_t len;
	PGconn *c;
	int failed;
};

static void out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed && PQputCopyData(o->c, o->buf, (int)o->len) != 1)
		o->failed = 1;
	o->len = 0;
}

/* The generator's text never holds a tab, newline or backslash, so no COPY escaping is
 * needed; room is checked once per row (a row is far below 4 KiB). */
static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* n words, the first capitalised (titles and sentences). */
static void out_words(struct out *o, uint64_t *s, unsigned n)
{
	size_t start = o->len;

	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			o->buf[o->len++] = ' ';
		out_str(o, words[rnd_below(s, NWORDS)]);
	}
	if (o->buf[start] >= 'a' && o->buf[start] <= 'z')
		o->buf[start] = (char)(o->buf[start] - 'a' + 'A');
}

/* One COPY line: id, owner_id, title, body, tags, status, created_at. */
static void out_document(struct out *o, uint64_t *s, const char *const owners[3],
			 long long created_us)
{
	unsigned pick = rnd_below(s, 10), ntags = rnd_below(s, 4), sentences = 2 + rnd_below(s, 3);
	unsigned used = 0;
	time_t secs = (time_t)(created_us / 1000000);
	struct tm tm;
	char ts[48];

	if (o->len > COPY_BUF - 4096)
		out_flush(o);
	/* The id: a UUIDv7 of created_at (48 bits of milliseconds, then the microseconds in
	 * rand_a, random rand_b). Rows arrive oldest first, so the primary key and the
	 * (tenant_id, id) index grow at their right edge instead of taking a random page per
	 * row: a third less time for a million rows. */
	{
		uint64_t ms = (uint64_t)created_us / 1000, b = rnd_next(s);
		unsigned us = (unsigned)(created_us % 1000);
		o->len += (size_t)sprintf(o->buf + o->len, "%08llx-%04llx-7%03x-%04llx-%012llx\t",
					  (unsigned long long)(ms >> 16),
					  (unsigned long long)(ms & 0xFFFF), us * 4,
					  (unsigned long long)(0x8000 | ((b >> 48) & 0x3FFF)),
					  (unsigned long long)(b & 0xFFFFFFFFFFFFULL));
	}
	/* Owners: half the documents the member's, three tenths the admin's, the rest the
	 * owner's, so "own documents" rules have something to bite on. */
	out_str(o, owners[pick < 5 ? 2 : pick < 8 ? 1 : 0]);
	o->buf[o->len++] = '\t';
	out_words(o, s, 3 + rnd_below(s, 5));
	o->buf[o->len++] = '\t';
	for (unsigned i = 0; i < sentences; i++) {
		if (i > 0)
			o->buf[o->len++] = ' ';
		out_words(o, s, 6 + rnd_below(s, 10));
		o->buf[o->len++] = '.';
	}
	o->buf[o->len++] = '\t';
	o->buf[o->len++] = '{';
	for (unsigned i = 0; i < ntags; i++) {
		unsigned t = rnd_below(s, NTAGS);
		if (used & (1u << t))
			continue; /* tags are a set */
		if (used)
			o->buf[o->len++] = ',';
		used |= 1u << t;
		out_str(o, tags[t]);
	}
	o->buf[o->len++] = '}';
	o->buf[o->len++] = '\t';
	pick = rnd_below(s, 10);
	out_str(o, pick < 6 ? "published" : pick < 9 ? "draft" : "archived");
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "\t%Y-%m-%d %H:%M:%S", &tm);
	out_str(o, ts);
	o->len += (size_t)sprintf(o->buf + o->len, ".%06lld+00\n", created_us % 1000000);
}

/* ---- Database steps ------------------------------------------------------------------- */

/* Runs sql with params; 0 when it succeeded, else prints the server's message. value, if
 * not NULL, receives the first column of the first row (copied into the arena). */
static char last_sqlstate[6];

static int exec(PGconn *c, struct mh_arena *a, const char *sql, int n, const char *const *p,
		const char **value)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(last_sqlstate, sizeof(last_sqlstate), "%s", state ? state : "");
	/* A demo run that finds its users already there is not an error (see below). */
	if (!ok && strcmp(last_sqlstate, "MH409") != 0)
		fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
	if (ok && value != NULL)
		*value = PQntuples(r) > 0 ? mh_arena_strdup(a, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return ok ? 0 : -1;
}

/* COPYs count generated documents into the staging table and moves them into the tenant. */
static int seed_documents(PGconn *c, struct mh_arena *a, const char *tenant,
			  const char *const owners[3], long count, uint64_t seed)
{
	struct out o = { mh_arena_alloc(a, COPY_BUF), 0, c, 0 };
	long long now = (long long)time(NULL) * 1000000LL, span = 365 * DAY_US;
	long long step = count > 0 ? span / count : 0;
	PGresult *r;

	if (o.buf == NULL)
		return -1;
	r = PQexec(c, seed_sql_copy);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	/* A year of history, oldest first; the jitter stays below the step, so timestamps
	 * strictly increase and keyset pages never tie. */
	for (long i = 0; i < count && !o.failed; i++) {
		unsigned jitter = step > 1 ? rnd_below(&seed, step > 1000000 ? 1000000u
									     : (unsigned)step)
					   : 0;
		out_document(&o, &seed, owners, now - span + i * step + jitter);
	}
	out_flush(&o);
	if (PQputCopyEnd(c, o.failed ? "generator failed" : NULL) != 1) {
		fprintf(stderr, "menhir: seed: %s", PQerrorMessage(c));
		return -1;
	}
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "menhir: seed: %s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	if (exec(c, a, seed_sql_move, 1, (const char *const[]){ tenant }, NULL) < 0 ||
	    exec(c, a, seed_sql_unstage, 0, NULL, NULL) < 0)
		return -1;
	return 0;
}

/* One tenant with a user of each role; reports them into rep. emails[r] per role. */
static int seed_tenant(PGconn *c, struct mh_arena *a, struct mh_buf *rep, const char *name,
		       const char *slug, const char *const emails[4], const char *hash, long docs,
		       uint64_t seed)
{
	const char *ids[4], *tenant;

	for (int r = 0; r < 4; r++) {
		const char *display = mh_arena_sprintf(a, "%s %s", name, roles[r]);
		if (exec(c, a, seed_sql_create_user, 3,
			 (const char *const[]){ emails[r], hash, display }, &ids[r]) < 0)
			return -1;
	}
	if (exec(c, a, seed_sql_create_tenant, 3, (const char *const[]){ name, slug, emails[0] },
		 &tenant) < 0 ||
	    exec(c, a, seed_sql_enter, 2, (const char *const[]){ tenant, ids[0] }, NULL) < 0)
		return -1;
	for (int r = 1; r < 4; r++)
		if (exec(c, a, seed_sql_add_member, 3,
			 (const char *const[]){ tenant, ids[r], roles[r] }, NULL) < 0)
			return -1;
	if (docs > 0 && seed_documents(c, a, tenant, ids, docs, seed) < 0)
		return -1;
	mh_buf_printf(rep, "tenant %s %s\n", tenant, slug);
	for (int r = 0; r < 4; r++)
		mh_buf_printf(rep, "user %s %s %s %s\n", tenant, roles[r], emails[r], ids[r]);
	mh_buf_printf(rep, "documents %s %ld\n", tenant, docs);
	return rep->failed ? -1 : 0;
}

/* 18 characters from an unambiguous alphabet: ~100 bits. */
static void new_password(char out[19])
{
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[18];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		abort();
	for (int i = 0; i < 18; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[18] = '\0';
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int seed_admin_command(const struct mh_config *cfg, int argc, char **argv)
{
	long ntenants = 1, ndocs = -1;
	int demo = 0, bad = 0, status = 1;
	char password[19], hash[MH_PASSWORD_HASH_MAX], run[7];
	unsigned char rb[3];
	struct mh_arena a;
	struct mh_buf rep;
	PGconn *c = NULL;

	for (int i = 0; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--tenants") == 0 && i + 1 < argc)
			bad = parse_count(argv[++i], SEED_MAX_TENANTS, &ntenants) < 0 || ntenants < 1;
		else if (strcmp(argv[i], "--docs") == 0 && i + 1 < argc)
			bad = parse_count(argv[++i], SEED_MAX_DOCS, &ndocs) < 0;
		else if (strcmp(argv[i], "--demo") == 0)
			demo = 1;
		else
			bad = 1;
	}
	if (bad || (demo && ntenants != 1) || (!demo && ndocs < 0)) {
		fprintf(stderr, "usage: menhir admin seed --tenants N --docs M\n"
				"       menhir admin seed --demo [--docs M]\n");
		return 2;
	}
	if (ndocs < 0)
		ndocs = 300;
	if (mh_arena_init(&a, 1 << 16) < 0)
		return 1;
	c = PQconnectdb(cfg->migrate_database_url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "menhir: cannot connect to the database: %s", PQerrorMessage(c));
		goto out;
	}
	new_password(password);
	mh_password_configure(cfg->password_time_cost, cfg->password_memory_kib,
			      cfg->password_parallelism);
	if (mh_password_hash(password, strlen(password), hash, sizeof(hash)) < 0) {
		fprintf(stderr, "menhir: cannot hash the password\n");
		goto out;
	}
	if (getrandom(rb, sizeof(rb), 0) != (ssize_t)sizeof(rb))
		goto out;
	snprintf(run, sizeof(run), "%02x%02x%02x", rb[0], rb[1], rb[2]);
	/* One transaction for everything; synchronous_commit off for this one commit only
	 * (seed data is reproducible: losing it to a crash costs a rerun, nothing else). */
	if (exec(c, &a, seed_sql_begin, 0, NULL, NULL) < 0 ||
	    exec(c, &a, seed_sql_sync_off, 0, NULL, NULL) < 0 ||
	    exec(c, &a, seed_sql_stage, 0, NULL, NULL) < 0)
		goto out;
	/* The report is printed after the commit: nothing is announced that does not exist. */
	mh_buf_init(&rep, &a, 4096);
	mh_buf_printf(&rep, "password %s\n", password);
	for (long t = 0; t < ntenants; t++) {
		const char *emails[4], *name, *slug;

		for (int r = 0; r < 4; r++)
			emails[r] = demo ? mh_arena_sprintf(&a, "%s@demo.menhir.test", roles[r])
					 : mh_arena_sprintf(&a, "seed-%s-%ld-%s@example.test", run,
							    t + 1, roles[r]);
		name = demo ? "Demo" : mh_arena_sprintf(&a, "Seed %s %ld", run, t + 1);
		slug = demo ? "demo" : mh_arena_sprintf(&a, "seed-%s-%ld", run, t + 1);
		if (seed_tenant(c, &a, &rep, name, slug, emails, hash, ndocs,
				0x5EEDC0FFEEULL + (uint64_t)t * 0x9E3779B97F4A7C15ULL) < 0) {
			/* Idempotent demo: its fixed e-mails (or slug) exist, so it was made
			 * before. menhir_owner cannot look first (RLS hides users and tenants
			 * without a tenant context); the admin functions can, and say MH409.
			 * The transaction is dropped, so nothing changes. */
			if (demo && strcmp(last_sqlstate, "MH409") == 0) {
				fprintf(stderr, "menhir: seed: the demo tenant exists already\n");
				status = 0;
			} else if (strcmp(last_sqlstate, "MH409") == 0) {
				fprintf(stderr, "menhir: seed: a user or tenant exists already\n");
			}
			goto out;
		}
	}
	if (exec(c, &a, seed_sql_commit, 0, NULL, NULL) < 0)
		goto out;
	fwrite(rep.data, 1, rep.len, stdout);
	status = 0;
out:
	memset(password, 0, sizeof(password));
	if (c != NULL)
		PQfinish(c);
	mh_arena_destroy(&a);
	return status;
}
