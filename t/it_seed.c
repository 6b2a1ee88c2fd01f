/* it_seed.c - `menhir admin seed`: what it makes (on which plan), that one or several loader
 * connections make the same documents, and what a failed run leaves behind on either path. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

struct seeded {
	int status; /* exit status */
	char out[8192];
	char err[4096];
	char tenants[4][40];
	int ntenants;
};

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Runs the seed command with args, in a clean environment plus `extra_env` (may be NULL),
 * in the background; returns its pid. Its stdout and stderr go to files named by tag. */
static pid_t seed_start(const char *tag, const char *extra_env, const char *args)
{
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof(cmd),
	         "exec env -i PATH=/usr/local/bin:/usr/bin:/bin %s '%s' --config '%s' admin seed %s"
	         " >/tmp/it_seed_%d_%s.out 2>/tmp/it_seed_%d_%s.err",
	         extra_env ? extra_env : "", t_env("MENHIR_TEST_BIN"), t_env("MENHIR_CONFIG"), args,
	         (int)getpid(), tag, (int)getpid(), tag);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void seed_finish(pid_t pid, const char *tag, struct seeded *s)
{
	char path[128];
	int st;
	const char *p;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	snprintf(path, sizeof(path), "/tmp/it_seed_%d_%s.out", (int)getpid(), tag);
	slurp(path, s->out, sizeof(s->out));
	unlink(path);
	snprintf(path, sizeof(path), "/tmp/it_seed_%d_%s.err", (int)getpid(), tag);
	slurp(path, s->err, sizeof(s->err));
	unlink(path);
	for (p = s->out; (p = strstr(p, "\ntenant ")) != NULL && s->ntenants < 4; p++)
		snprintf(s->tenants[s->ntenants++], 37, "%s", p + 8);
}

static void seed(const char *tag, const char *args, struct seeded *s)
{
	seed_finish(seed_start(tag, NULL, args), tag, s);
}

__attribute__((format(printf, 2, 3))) static long count(PGconn *su, const char *fmt, ...)
{
	char sql[512];
	PGresult *r;
	long n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = t_pg_ok(su, sql);
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* A digest of everything the generator decides about a tenant's documents, in order. */
static char *content(PGconn *su, const char *tenant)
{
	char sql[512], *d;
	PGresult *r;

	snprintf(sql, sizeof(sql),
	         "SELECT md5(string_agg(title || '|' || body || '|' || tags::text || '|' || status,"
	         " ',' ORDER BY created_at)) FROM documents WHERE tenant_id = '%s'",
	         tenant);
	r = t_pg_ok(su, sql);
	d = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return d;
}

Test(seed, tenants_users_and_documents_the_same_on_one_or_two_connections)
{
	struct seeded one, two;
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	seed("one", "--tenants 2 --docs 1501 --jobs 1", &one);
	cr_assert_eq(one.status, 0, "%s", one.err);
	seed("two", "--tenants 2 --docs 1501 --jobs 2", &two);
	cr_assert_eq(two.status, 0, "%s", two.err);
	cr_assert(strncmp(two.out, "password ", 9) == 0, "%s", two.out);
	cr_assert_eq(one.ntenants, 2, "%s", one.out);
	cr_assert_eq(two.ntenants, 2, "%s", two.out);
	for (int t = 0; t < 2; t++) {
		char *a = content(su, one.tenants[t]), *b = content(su, two.tenants[t]);

		cr_assert_eq(count(su, "SELECT count(*) FROM documents WHERE tenant_id = '%s'",
		                   two.tenants[t]),
		             1501);
		cr_assert_eq(count(su, "SELECT count(*) FROM memberships WHERE tenant_id = '%s'",
		                   two.tenants[t]),
		             4);
		/* Owned by the owner, admin and member; never by the viewer. */
		cr_assert_eq(
		        count(su,
		              "SELECT count(DISTINCT d.owner_id) FROM documents d JOIN memberships"
		              " m ON m.user_id = d.owner_id AND m.tenant_id = d.tenant_id"
		              " WHERE d.tenant_id = '%s' AND m.role <> 'viewer'",
		              two.tenants[t]),
		        3);
		/* The generator's stream does not depend on how it is cut into slices. */
		cr_assert_str_eq(a, b, "tenant %d differs between --jobs 1 and --jobs 2", t + 1);
		free(a);
		free(b);
	}
	PQfinish(su);
}

/* A plan kept for a few tenants (schema 0031) with more features than any other, ranked
 * dearest: the seed must not pick it, only the offered plan with the most features. */
Test(seed, a_seeded_tenant_is_on_the_richest_offered_plan_never_one_not_offered)
{
	struct seeded s;
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	char sql[512], name[32];
	PGresult *r;

	snprintf(name, sizeof(name), "seedgf%ld", (long)getpid());
	snprintf(sql, sizeof(sql),
	         "INSERT INTO plans (name, title, rank, offered, features) SELECT '%s', 'Kept',"
	         " max(rank) + 1000, false, '{stats,keywords,summary,redact,x1,x2,x3,x4,x5,x6}'"
	         " FROM plans",
	         name);
	PQclear(t_pg_ok(su, sql));
	seed("offered", "--tenants 1 --docs 1", &s);
	cr_assert_eq(s.status, 0, "%s", s.err);
	cr_assert_eq(s.ntenants, 1, "%s", s.out);
	snprintf(sql, sizeof(sql),
	         "SELECT s.plan, (SELECT p.name FROM plans p WHERE p.offered"
	         "  ORDER BY cardinality(p.features) DESC, p.rank DESC LIMIT 1)"
	         " FROM subscriptions s WHERE s.tenant_id = '%s'",
	         s.tenants[0]);
	r = t_pg_ok(su, sql);
	cr_assert_eq(PQntuples(r), 1);
	cr_assert_str_neq(PQgetvalue(r, 0, 0), name);
	cr_assert_str_eq(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	snprintf(sql, sizeof(sql), "DELETE FROM plans WHERE name = '%s'", name);
	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
}

Test(seed, bad_arguments_are_refused)
{
	static const char *const bad[] = {"--tenants 1",
	                                  "--tenants 0 --docs 1",
	                                  "--tenants 1 --docs 1 --jobs 0",
	                                  "--tenants 1 --docs 1 --jobs 9",
	                                  "--demo --jobs 2",
	                                  "--tenants 1 --docs x"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seeded s;

		seed("bad", bad[i], &s);
		cr_assert_eq(s.status, 2, "%s: exit %d", bad[i], s.status);
		cr_assert(strstr(s.err, "usage:") != NULL, "%s: %s", bad[i], s.err);
	}
}

/* Holds a lock on documents that INSERTs wait for, so the seed's documents fail (its
 * lock_timeout, through PGOPTIONS, is short); releases it once a statement starting with
 * `waiting` waits for it in pg_stat_activity (or after 20 s), or, without `waiting`, once
 * the seed has ended. */
static void fail_documents(const char *tag, const char *args, const char *waiting, struct seeded *s)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER"), *lk = t_pg("MENHIR_TEST_PG_SUPER");
	pid_t pid;
	int seen = 0;

	PQclear(t_pg_ok(lk, "BEGIN"));
	PQclear(t_pg_ok(lk, "LOCK TABLE documents IN SHARE MODE"));
	pid = seed_start(tag, "PGOPTIONS='-c lock_timeout=300'", args);
	for (int i = 0; i < 200 && waiting != NULL && !seen; i++) {
		seen = count(su,
		             "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
		             " AND query LIKE '%s%%'",
		             waiting) > 0;
		if (!seen)
			usleep(100000);
	}
	if (waiting == NULL)
		seed_finish(pid, tag, s); /* nothing of it waits: it fails on its own */
	PQclear(t_pg_ok(lk, "COMMIT"));
	if (waiting != NULL)
		seed_finish(pid, tag, s);
	cr_assert(waiting == NULL || seen, "nothing waited for the lock: %s", s->err);
	PQfinish(lk);
	PQfinish(su);
}

Test(seed, a_failed_run_on_one_connection_leaves_nothing)
{
	struct seeded s;
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	long users = count(su, "SELECT count(*) FROM users WHERE email LIKE '%s'", "seed-%"),
	     tenants = count(su, "SELECT count(*) FROM tenants WHERE slug LIKE '%s'", "seed-%");

	fail_documents("fail1", "--tenants 2 --docs 500 --jobs 1", NULL, &s);
	cr_assert_eq(s.status, 1, "exit %d: %s", s.status, s.err);
	cr_assert(strstr(s.err, "lock timeout") != NULL, "%s", s.err);
	cr_assert_eq(s.out[0], '\0', "announced what does not exist: %s", s.out);
	cr_assert_eq(count(su, "SELECT count(*) FROM users WHERE email LIKE '%s'", "seed-%"),
	             users);
	cr_assert_eq(count(su, "SELECT count(*) FROM tenants WHERE slug LIKE '%s'", "seed-%"),
	             tenants);
	PQfinish(su);
}

Test(seed, a_failed_parallel_run_removes_its_tenants_and_says_its_users_remain)
{
	struct seeded s;
	char tag[7] = "", like[32];
	const char *p;
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");

	/* The loaders give up after 300 ms; the undo (DELETE FROM tenants, whose cascade
	 * needs the same lock) waits until the lock is released. */
	fail_documents("fail2", "--tenants 2 --docs 500 --jobs 2", "DELETE FROM tenants", &s);
	cr_assert_eq(s.status, 1, "exit %d: %s", s.status, s.err);
	cr_assert_eq(s.out[0], '\0', "announced what does not exist: %s", s.out);
	p = strstr(s.err, "removed this run's 2 tenant(s); its users (seed-");
	cr_assert(p != NULL, "%s", s.err);
	memcpy(tag, strstr(p, "(seed-") + 6, 6);
	snprintf(like, sizeof(like), "seed-%s-%%", tag);
	cr_assert_eq(count(su, "SELECT count(*) FROM tenants WHERE slug LIKE '%s'", like), 0);
	cr_assert_eq(count(su,
	                   "SELECT count(*) FROM documents d JOIN users u ON u.id = d.owner_id"
	                   " WHERE u.email LIKE '%s'",
	                   like),
	             0);
	cr_assert_eq(count(su, "SELECT count(*) FROM users WHERE email LIKE '%s'", like), 8);
	cr_assert_eq(count(su,
	                   "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
	                   " WHERE u.email LIKE '%s'",
	                   like),
	             0);
	PQfinish(su);
}
