/* it_migrate.c - `menhir migrate`: once under concurrency, checksums enforced. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "helpers.h"

static char dbname[64];
static char url[1024];

/* Every test gets a fresh database owned by menhir_owner, dropped afterwards. */
static void create_db(void)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	char sql[200];
	const char *base = t_env("MENHIR_TEST_PG_OWNER");

	snprintf(dbname, sizeof(dbname), "menhir_migtest_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
	PQclear(t_pg_ok(su, sql));
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER menhir_owner", dbname);
	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
	/* Later keywords win in a libpq conninfo string. */
	snprintf(url, sizeof(url), "%s dbname=%s", base, dbname);
}

static void drop_db(void)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	char sql[200];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	PQclear(t_pg_ok(su, sql));
	PQfinish(su);
}

TestSuite(migrate, .init = create_db, .fini = drop_db);

/* Runs `menhir migrate ARGS` against the test database and schema_dir; returns
 * the exit status and what it printed (stdout + stderr). */
static int run_migrate(const char *schema_dir, const char *args, char *out, size_t outlen)
{
	char cmd[4096];
	FILE *p;
	size_t n = 0;
	int status;

	snprintf(cmd, sizeof(cmd),
		 "MENHIR_MIGRATE_DATABASE_URL='%s' MENHIR_SCHEMA_DIR='%s' '%s' migrate %s 2>&1", url,
		 schema_dir, t_env("MENHIR_TEST_BIN"), args);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	if (out != NULL) {
		n = fread(out, 1, outlen - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];
		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int count_files(const char *dir)
{
	char cmd[1024];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -cE '^[0-9]{4}_.*\\.sql$'", dir);
	p = popen(cmd, "r");
	cr_assert(p != NULL && fscanf(p, "%d", &n) == 1);
	pclose(p);
	return n;
}

static int applied_rows(void)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	int n;

	cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	r = t_pg_ok(c, "SELECT count(*), count(DISTINCT filename) FROM schema_migrations");
	n = atoi(PQgetvalue(r, 0, 0));
	cr_assert_eq(n, atoi(PQgetvalue(r, 0, 1)), "a file was recorded twice");
	PQclear(r);
	PQfinish(c);
	return n;
}

Test(migrate, two_concurrent_runs_apply_each_file_once)
{
	const char *schema = t_env("MENHIR_TEST_SCHEMA_DIR");
	pid_t kids[2];
	int status;

	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		cr_assert(kids[i] >= 0);
		if (kids[i] == 0)
			_exit(run_migrate(schema, "", NULL, 0));
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run %d failed", i);
	}
	cr_assert_eq(applied_rows(), count_files(schema));
}

Test(migrate, status_lists_pending_then_applied)
{
	const char *schema = t_env("MENHIR_TEST_SCHEMA_DIR");
	char out[8192];

	cr_assert_eq(run_migrate(schema, "--status", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "pending  0001_foundation.sql") != NULL, "%s", out);
	cr_assert_eq(run_migrate(schema, "", out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(run_migrate(schema, "--status", out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "applied  0001_foundation.sql") != NULL, "%s", out);
	cr_assert(strstr(out, "pending") == NULL, "%s", out);
}

Test(migrate, an_edited_applied_file_is_refused)
{
	const char *schema = t_env("MENHIR_TEST_SCHEMA_DIR");
	char dir[] = "/tmp/menhir-migtest-XXXXXX", cmd[2048], out[8192];

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd), "cp '%s'/*.sql '%s'/", schema, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run_migrate(dir, "", out, sizeof(out)), 0, "%s", out);
	snprintf(cmd, sizeof(cmd), "echo '-- an innocent-looking edit' >> '%s/0001_foundation.sql'",
		 dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_neq(run_migrate(dir, "", out, sizeof(out)), 0, "edited file accepted: %s", out);
	cr_assert(strstr(out, "edited after it was applied") != NULL, "%s", out);
	cr_assert_eq(run_migrate(dir, "--status", out, sizeof(out)), 0);
	cr_assert(strstr(out, "changed  0001_foundation.sql") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	system(cmd);
}

Test(migrate, a_failing_migration_leaves_nothing_behind)
{
	const char *schema = t_env("MENHIR_TEST_SCHEMA_DIR");
	char dir[] = "/tmp/menhir-migtest-XXXXXX", cmd[2048], out[8192];
	PGconn *c;
	PGresult *r;

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd),
		 "cp '%s'/*.sql '%s'/ && printf 'CREATE TABLE half_done (x int);\\nSELECT 1/0;\\n'"
		 " > '%s/9999_broken.sql'",
		 schema, dir, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_neq(run_migrate(dir, "", out, sizeof(out)), 0, "%s", out);
	c = PQconnectdb(url);
	r = t_pg_ok(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0", "the failed file's work was kept");
	PQclear(r);
	r = t_pg_ok(c, "SELECT count(*) FROM schema_migrations WHERE filename = '9999_broken.sql'");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	PQfinish(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	system(cmd);
}

/* Schema 0015 on a database that already has jobs: each job's document and webhook move
 * into its payload (next to what the payload held), the columns and the foreign key go, and
 * the jobs keep their updated_at. Schema 0016 gives the existing tenant its subscription and
 * counts its documents. */
Test(migrate, jobs_keep_their_document_and_webhook_in_the_payload)
{
	const char *schema = t_env("MENHIR_TEST_SCHEMA_DIR");
	char dir[] = "/tmp/menhir-migtest-XXXXXX", cmd[2048], out[8192], su_url[1024];
	PGconn *c;
	PGresult *r;

	cr_assert(mkdtemp(dir) != NULL);
	snprintf(cmd, sizeof(cmd),
		 "for f in '%s'/[0-9]*.sql; do case ${f##*/} in 000[1-9]_* | 001[0-4]_*) cp \"$f\" '%s'/;; esac;"
		 " done",
		 schema, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run_migrate(dir, "", out, sizeof(out)), 0, "%s", out);
	snprintf(su_url, sizeof(su_url), "%s dbname=%s", t_env("MENHIR_TEST_PG_SUPER"), dbname);
	c = PQconnectdb(su_url);
	cr_assert(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	PQclear(t_pg_ok(
		c, "INSERT INTO tenants (id, name, slug) VALUES"
		   " ('11111111-0000-4000-8000-000000000001', 'T', 'mig-t');"
		   "INSERT INTO users (id, email, password_hash) VALUES"
		   " ('11111111-0000-4000-8000-000000000002', 'mig@example.test', 'x');"
		   "INSERT INTO documents (id, tenant_id, owner_id, title) VALUES"
		   " ('11111111-0000-4000-8000-000000000003', '11111111-0000-4000-8000-000000000001',"
		   "  '11111111-0000-4000-8000-000000000002', 'D');"
		   "INSERT INTO jobs (id, tenant_id, created_by, kind, document_id, webhook_url, payload,"
		   "                  updated_at) VALUES"
		   " ('11111111-0000-4000-8000-00000000000a', '11111111-0000-4000-8000-000000000001',"
		   "  '11111111-0000-4000-8000-000000000002', 'document.process',"
		   "  '11111111-0000-4000-8000-000000000003', 'https://hooks.example/x',"
		   "  '{\"feature\": \"stats\"}', '2020-01-01T00:00:00Z'),"
		   " ('11111111-0000-4000-8000-00000000000b', '11111111-0000-4000-8000-000000000001',"
		   "  '11111111-0000-4000-8000-000000000002', 'test.echo', NULL, NULL, '{\"n\": 1}',"
		   "  '2020-01-01T00:00:00Z')"));
	snprintf(cmd, sizeof(cmd), "cp '%s'/*.sql '%s'/", schema, dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(run_migrate(dir, "", out, sizeof(out)), 0, "%s", out);

	r = t_pg_ok(c, "SELECT payload::text, updated_at = '2020-01-01T00:00:00Z' FROM jobs"
		       " ORDER BY id");
	cr_assert_str_eq(PQgetvalue(r, 0, 0),
			 "{\"feature\": \"stats\", \"document_id\": "
			 "\"11111111-0000-4000-8000-000000000003\", \"webhook_url\": "
			 "\"https://hooks.example/x\"}");
	cr_assert_str_eq(PQgetvalue(r, 1, 0), "{\"n\": 1}");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "t", "the move touched updated_at");
	PQclear(r);
	/* Schema 0016: the tenant that existed is on the default plan, its live document
	 * counted. */
	r = t_pg_ok(c, "SELECT s.plan, c.used FROM subscriptions s JOIN usage_counters c"
		       " ON c.tenant_id = s.tenant_id AND c.meter = 'documents'"
		       " WHERE s.tenant_id = '11111111-0000-4000-8000-000000000001'");
	cr_assert_eq(PQntuples(r), 1, "no subscription for an existing tenant");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "free");
	cr_assert_str_eq(PQgetvalue(r, 0, 1), "1");
	PQclear(r);
	r = t_pg_ok(c, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'jobs'"
		       " AND column_name IN ('document_id', 'webhook_url')");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0");
	PQclear(r);
	r = t_pg_ok(c, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'jobs'::regclass"
		       " AND confrelid = 'documents'::regclass");
	cr_assert_str_eq(PQgetvalue(r, 0, 0), "0", "jobs still reference documents");
	PQclear(r);
	PQfinish(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	system(cmd);
}
