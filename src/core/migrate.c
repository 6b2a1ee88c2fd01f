/* migrate.c - applies schema/NNNN_*.sql in order, once, under an advisory lock. */
#include "core/migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "core/log.h"

/* Any constant shared by every deploy of Menhir; "menhir" in ASCII. */
#define MIGRATION_LOCK_KEY "119251799157362"
#define MAX_FILES 1024

struct migration {
	char name[256];
	char checksum[65];
	char *sql;
};

static int is_migration_name(const char *n)
{
	size_t len = strlen(n);

	return len > 9 && isdigit((unsigned char)n[0]) && isdigit((unsigned char)n[1]) &&
	       isdigit((unsigned char)n[2]) && isdigit((unsigned char)n[3]) && n[4] == '_' &&
	       strcmp(n + len - 4, ".sql") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->name, ((const struct migration *)b)->name);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int load_files(const char *dir, struct migration *files, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];

	*n = 0;
	if (d == NULL) {
		mh_log(MH_LOG_ERROR, "migrate", "cannot open schema_dir %s: %s", dir,
		       strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = 0;
		struct migration *mg;

		if (!is_migration_name(e->d_name))
			continue;
		if (*n == MAX_FILES || strlen(e->d_name) >= sizeof(files[0].name))
			break;
		mg = &files[*n];
		snprintf(mg->name, sizeof(mg->name), "%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		mg->sql = read_file(path, &len);
		if (mg->sql == NULL) {
			mh_log(MH_LOG_ERROR, "migrate", "cannot read %s", path);
			closedir(d);
			return -1;
		}
		sha256_hex(mg->sql, len, mg->checksum);
		(*n)++;
	}
	closedir(d);
	qsort(files, *n, sizeof(files[0]), by_name);
	return 0;
}

static int exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		mh_log(MH_LOG_ERROR, "migrate", "%s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The recorded checksum of name, "" when not applied; NULL on error. */
static const char *applied_checksum(PGconn *c, const char *name, char buf[65])
{
	const char *params[1] = { name };
	PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE filename = $1",
				   1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		mh_log(MH_LOG_ERROR, "migrate", "%s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	snprintf(buf, 65, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return buf;
}

static int apply(PGconn *c, const struct migration *mg)
{
	const char *params[2] = { mg->name, mg->checksum };
	PGresult *r;
	int ok;

	if (exec_ok(c, "BEGIN", "begin") < 0)
		return -1;
	/* The simple-query protocol runs the whole file inside our BEGIN. */
	if (exec_ok(c, mg->sql, mg->name) < 0) {
		exec_ok(c, "ROLLBACK", "rollback");
		return -1;
	}
	r = PQexecParams(c, "INSERT INTO schema_migrations (filename, checksum) VALUES ($1, $2)", 2,
			 NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		mh_log(MH_LOG_ERROR, "migrate", "%s", PQresultErrorMessage(r));
	PQclear(r);
	if (!ok || exec_ok(c, "COMMIT", "commit") < 0) {
		exec_ok(c, "ROLLBACK", "rollback");
		return -1;
	}
	return 0;
}

static int run(PGconn *c, struct migration *files, size_t n, int status_only)
{
	char recorded[65];
	int applied = 0;

	if (exec_ok(c, "SET client_min_messages = warning", "settings") < 0 ||
	    exec_ok(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", "lock") < 0)
		return -1;
	/* Created under the lock so two first deploys do not race on it. */
	if (exec_ok(c,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " filename text PRIMARY KEY,"
		    " checksum text NOT NULL,"
		    " applied_at timestamptz NOT NULL DEFAULT now())",
		    "schema_migrations") < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *have = applied_checksum(c, files[i].name, recorded);

		if (have == NULL)
			return -1;
		if (*have != '\0' && strcmp(have, files[i].checksum) != 0) {
			if (status_only) {
				printf("changed  %s\n", files[i].name);
				continue;
			}
			mh_log(MH_LOG_ERROR, "migrate",
			       "%s was edited after it was applied (checksum %s, recorded %s); "
			       "add a new migration instead",
			       files[i].name, files[i].checksum, have);
			return -1;
		}
		if (status_only) {
			printf("%s  %s\n", *have ? "applied" : "pending", files[i].name);
			continue;
		}
		if (*have != '\0')
			continue;
		if (apply(c, &files[i]) < 0)
			return -1;
		mh_log(MH_LOG_INFO, "migrate", "applied %s", files[i].name);
		applied++;
	}
	if (!status_only)
		mh_log(MH_LOG_INFO, "migrate", "%d migration(s) applied, %zu known", applied, n);
	return 0;
}

int mh_migrate_run(const struct mh_config *cfg, int status_only)
{
	struct migration *files = calloc(MAX_FILES, sizeof(*files));
	size_t n = 0;
	PGconn *c = NULL;
	int rc = 1;

	if (files == NULL)
		return 1;
	if (load_files(cfg->schema_dir, files, &n) < 0)
		goto out;
	c = PQconnectdb(cfg->migrate_database_url);
	if (PQstatus(c) != CONNECTION_OK) {
		mh_log(MH_LOG_ERROR, "migrate", "cannot connect: %s", PQerrorMessage(c));
		goto out;
	}
	rc = run(c, files, n, status_only) < 0 ? 1 : 0;
out:
	/* Closing the session releases the advisory lock too. */
	PQfinish(c);
	for (size_t i = 0; i < n; i++)
		free(files[i].sql);
	free(files);
	return rc;
}

int mh_migrate_verify(PGconn *c, const char *dir, char *report, size_t len)
{
	struct migration *files = calloc(MAX_FILES, sizeof(*files));
	size_t n = 0, used = 0, pending = 0, changed = 0;
	PGresult *r = NULL;
	int rc = -1;

	report[0] = '\0';
	if (files == NULL || load_files(dir, files, &n) < 0) {
		snprintf(report, len, "cannot read the migrations in schema_dir %s", dir);
		goto out;
	}
	r = PQexec(c, "SELECT filename, checksum FROM schema_migrations");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(report, len, "cannot read schema_migrations: %s(run `menhir migrate`)",
			 PQresultErrorMessage(r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *state = "pending";

		for (int row = 0; row < PQntuples(r); row++)
			if (strcmp(PQgetvalue(r, row, 0), files[i].name) == 0)
				state = strcmp(PQgetvalue(r, row, 1), files[i].checksum) == 0
						? NULL
						: "changed";
		if (state == NULL)
			continue;
		if (*state == 'p')
			pending++;
		else
			changed++;
		if (used < len)
			used += (size_t)snprintf(report + used, len - used, "%s%s %s",
						 used ? ", " : "", state, files[i].name);
	}
	rc = pending + changed > 0;
out:
	PQclear(r);
	for (size_t i = 0; i < n; i++)
		free(files[i].sql);
	free(files);
	return rc;
}
