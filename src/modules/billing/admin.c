/* admin.c - `menhir admin plans …` and `menhir admin set-plan`: the operator's commands, run
 * as the migration role (the plans table is read-only to the application; subscriptions are
 * changed through billing_admin_set_plan). After a change the workers' cached limits are told
 * through Redis (limits.c). */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/redis.h"

/* A key of `plans set`, and its column: only these names ever reach the SQL text. */
static const struct plan_key {
	const char *key, *column, *cast;
} plan_keys[] = {
        {"title", "title", "text"},
        {"rank", "rank", "int"},
        {"price_id", "price_id", "text"},
        {"seats", "seats", "int"},
        {"documents", "documents", "int"},
        {"storage_bytes", "storage_bytes", "bigint"},
        {"jobs_per_month", "jobs_per_month", "int"},
        {"api_per_minute", "api_per_minute", "int"},
        {"feature_per_minute", "feature_per_minute", "int"},
        {"runs_per_feature_per_month", "runs_per_feature_per_month", "int"},
        {"features", "features", "text[]"},
        {"offered", "offered", "boolean"},
        {NULL, NULL, NULL},
};

#define PLAN_COLUMNS                                                                               \
	"name, title, rank, coalesce(price_id, '-'), CASE WHEN is_default THEN 'yes' ELSE 'no' "   \
	"END,"                                                                                     \
	" coalesce(seats::text, 'unlimited'), coalesce(documents::text, 'unlimited'),"             \
	" coalesce(storage_bytes::text, 'unlimited'), coalesce(jobs_per_month::text, "             \
	"'unlimited'),"                                                                            \
	" coalesce(api_per_minute::text, 'unlimited'),"                                            \
	" coalesce(feature_per_minute::text, 'unlimited'),"                                        \
	" coalesce(runs_per_feature_per_month::text, 'unlimited'), array_to_string(features, "     \
	"','),"                                                                                    \
	" CASE WHEN offered THEN 'yes' ELSE 'no' END"
static const char *const column_names[] = {
        "name",
        "title",
        "rank",
        "price_id",
        "default",
        "seats",
        "documents",
        "storage_bytes",
        "jobs_per_month",
        "api_per_minute",
        "feature_per_minute",
        "runs_per_feature_per_month",
        "features",
        "offered",
};

static int usage(void)
{
	fprintf(stderr, "usage: menhir admin plans list\n"
	                "       menhir admin plans show NAME\n"
	                "       menhir admin plans set NAME KEY=VALUE... (a new NAME is created)\n"
	                "       menhir admin plans set-default NAME\n"
	                "       menhir admin set-plan TENANT PLAN (TENANT: id or slug)\n"
	                "keys: title rank price_id seats documents storage_bytes jobs_per_month\n"
	                "      api_per_minute feature_per_minute runs_per_feature_per_month\n"
	                "      features (comma-separated) offered (true/false: listed to every\n"
	                "      tenant and open to checkout); a limit may be 'unlimited'\n");
	return 2;
}

/* Tells every worker that a tenant's limits (tenant_id) or every tenant's (NULL) changed.
 * Best effort: they expire anyway. */
static void invalidate(const struct mh_config *cfg, const char *tenant_id)
{
	struct mh_request req;
	struct mh_arena a;
	char err[256];

	if (mh_arena_init(&a, 4096) < 0)
		return;
	memset(&req, 0, sizeof(req));
	req.arena = &a;
	req.request_id = "admin";
	if (mh_redis_configure(cfg, err, sizeof(err)) < 0)
		fprintf(stderr, "menhir: %s\n", err);
	else
		billing_limits_invalidate(&req, tenant_id);
	mh_arena_reset(&a);
	mh_arena_destroy(&a);
	mh_redis_disconnect();
}

static int print_plans(PGconn *c, const char *name)
{
	const char *p[1] = {name};
	PGresult *r = PQexecParams(c,
	                           name ? "SELECT " PLAN_COLUMNS " FROM plans WHERE name = $1"
	                                : "SELECT " PLAN_COLUMNS " FROM plans ORDER BY rank",
	                           name ? 1 : 0, NULL, name ? p : NULL, NULL, NULL, 0);
	int status = 1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
	} else if (name != NULL && PQntuples(r) != 1) {
		fprintf(stderr, "menhir: no such plan: %s\n", name);
	} else {
		for (int i = 0; i < PQntuples(r); i++) {
			if (name == NULL) {
				for (int j = 0; j < PQnfields(r); j++)
					printf("%s%s", j ? "\t" : "", PQgetvalue(r, i, j));
				printf("\n");
				continue;
			}
			for (int j = 0; j < PQnfields(r); j++)
				printf("%s = %s\n", column_names[j], PQgetvalue(r, i, j));
		}
		status = 0;
	}
	PQclear(r);
	return status;
}

/* One KEY=VALUE as "column = $n::cast"; the value becomes params[n-1]. */
static int set_clause(struct mh_arena *a, const char *arg, struct mh_buf *sql, const char **params,
                      int n)
{
	const char *eq = strchr(arg, '=');
	const struct plan_key *k;
	char *value;

	if (eq == NULL)
		return -1;
	for (k = plan_keys; k->key != NULL; k++)
		if (strlen(k->key) == (size_t)(eq - arg) &&
		    strncmp(k->key, arg, (size_t)(eq - arg)) == 0)
			break;
	if (k->key == NULL)
		return -1;
	value = mh_arena_strdup(a, eq + 1);
	if (value == NULL)
		return -1;
	if (strcmp(k->cast, "text[]") == 0) {
		value = mh_arena_sprintf(a, "{%s}", value);
	} else if ((strcmp(value, "unlimited") == 0 && strcmp(k->cast, "boolean") != 0) ||
	           (strcmp(k->key, "price_id") == 0 && value[0] == '\0')) {
		value = NULL; /* NULL: unlimited, or no price */
	}
	params[n - 1] = value;
	mh_buf_printf(sql, ", %s = $%d::%s", k->column, n, k->cast);
	return 0;
}

static int plans_set(PGconn *c, struct mh_arena *a, const char *name, int argc, char **argv)
{
	const char *params[16];
	struct mh_buf sql;
	PGresult *r;
	int n = 1, status = 1;

	if (argc < 1 || argc > 15)
		return usage();
	params[0] = name;
	mh_buf_init(&sql, a, 512);
	/* A new plan starts as a copy of the default one's limits, ranked last. */
	mh_buf_puts(&sql,
	            "WITH ins AS (INSERT INTO plans (name, title, rank, seats, documents,"
	            " storage_bytes, jobs_per_month, api_per_minute, feature_per_minute,"
	            " runs_per_feature_per_month, features)"
	            " SELECT $1, $1, (SELECT max(rank) + 10 FROM plans), d.seats, d.documents,"
	            " d.storage_bytes, d.jobs_per_month, d.api_per_minute, d.feature_per_minute,"
	            " d.runs_per_feature_per_month, d.features FROM plans d WHERE d.is_default"
	            " ON CONFLICT (name) DO NOTHING RETURNING name)"
	            " SELECT count(*) FROM ins");
	r = PQexecParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
	PQclear(r);
	r = PQexecParams(c, mh_buf_cstr(&sql), 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	mh_buf_init(&sql, a, 512);
	mh_buf_puts(&sql, "UPDATE plans SET updated_at = now()");
	for (int i = 0; i < argc; i++) {
		if (set_clause(a, argv[i], &sql, params, ++n) < 0) {
			fprintf(stderr, "menhir: not KEY=VALUE with a known key: %s\n", argv[i]);
			status = 2;
			goto out;
		}
	}
	mh_buf_puts(&sql, " WHERE name = $1");
	r = PQexecParams(c, mh_buf_cstr(&sql), n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	r = PQexec(c, "COMMIT");
	status = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : 1;
	PQclear(r);
	return status == 0 ? print_plans(c, name) : 1;
out:
	r = PQexec(c, "ROLLBACK");
	PQclear(r);
	return status;
}

/* Runs sql; with tenant (37 bytes), prints the set-plan row and keeps its tenant id. */
static int run_sql(PGconn *c, const char *sql, int n, const char *const *params, char *tenant)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok) {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
	} else if (tenant != NULL && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		printf("tenant %s plan %s status %s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		       PQgetvalue(r, 0, 2));
		snprintf(tenant, 37, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return ok ? 0 : 1;
}

int billing_admin_command(const struct mh_config *cfg, int argc, char **argv)
{
	struct mh_arena a;
	PGconn *c = NULL;
	char tenant[37] = "";
	int status = 1, changed = 0;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "set-plan") == 0 && argc != 3)
		return usage();
	if (strcmp(argv[0], "plans") == 0 && argc < 2)
		return usage();
	if (strcmp(argv[0], "set-plan") != 0 && strcmp(argv[0], "plans") != 0)
		return usage();
	if (mh_arena_init(&a, 4096) < 0)
		return 1;
	c = PQconnectdb(cfg->migrate_database_url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "menhir: cannot connect to the database: %s", PQerrorMessage(c));
		goto out;
	}
	if (strcmp(argv[0], "set-plan") == 0) {
		const char *p[2] = {argv[1], argv[2]};

		status = run_sql(c,
		                 "SELECT s.tenant_id, s.plan, s.status FROM "
		                 "billing_admin_set_plan($1, $2) s",
		                 2, p, tenant);
		changed = status == 0;
	} else if (strcmp(argv[1], "list") == 0 && argc == 2) {
		status = print_plans(c, NULL);
	} else if (strcmp(argv[1], "show") == 0 && argc == 3) {
		status = print_plans(c, argv[2]);
	} else if (strcmp(argv[1], "set") == 0 && argc >= 4) {
		status = plans_set(c, &a, argv[2], argc - 3, argv + 3);
		changed = status == 0;
	} else if (strcmp(argv[1], "set-default") == 0 && argc == 3) {
		const char *p[1] = {argv[2]};

		/* Two statements: the unique index allows one default at every moment. */
		status = run_sql(c, "BEGIN", 0, NULL, NULL) ||
		         run_sql(c,
		                 "UPDATE plans SET is_default = false WHERE is_default"
		                 " AND name <> $1 AND EXISTS (SELECT 1 FROM plans WHERE name = $1)",
		                 1, p, NULL) ||
		         run_sql(c, "UPDATE plans SET is_default = true WHERE name = $1", 1, p,
		                 NULL) ||
		         run_sql(c, "COMMIT", 0, NULL, NULL);
		if (status == 0)
			status = print_plans(c, argv[2]);
	} else {
		status = usage();
	}
out:
	PQfinish(c);
	mh_arena_destroy(&a);
	if (changed)
		invalidate(cfg, tenant[0] != '\0' ? tenant : NULL);
	return status;
}
