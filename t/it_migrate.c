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
