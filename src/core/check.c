/* check.c - `menhir check`: everything `menhir serve` needs, verified without serving. */
#include "core/check.h"

#include <string.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "core/app.h"
#include "core/keys.h"
#include "core/migrate.h"
#include "core/redis.h"
#include "core/router.h"

/* libpq's messages end with a newline (sometimes two lines); one line reads better. */
static void one_line(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n')
			*p = p[1] != '\0' ? ' ' : '\0';
}

/* Connects as `menhir serve` would and checks the schema; 0 or -1 (why, in msg). */
static int check_database(const struct mh_config *cfg, FILE *out, char *msg, size_t len)
{
	/* dbname first so that the keywords after it override what the conninfo says. */
	const char *const keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *const values[] = {cfg->database_url, "5", "menhir-check", NULL};
	PGconn *c = PQconnectdbParams(keys, values, 1);
	int rc = -1, verdict;

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		snprintf(msg, len, "PostgreSQL (database_url): cannot connect: %s",
		         c ? PQerrorMessage(c) : "out of memory");
		goto out;
	}
	fprintf(out, "menhir check: PostgreSQL: connected as %s to database %s\n", PQuser(c),
	        PQdb(c));
	verdict = mh_migrate_verify(c, cfg->schema_dir, msg, len);
	if (verdict < 0)
		goto out;
	if (verdict > 0) {
		char list[768];

		snprintf(list, sizeof(list), "%s", msg);
		snprintf(msg, len, "the schema is not fully migrated (%s): run `menhir migrate`",
		         list);
		goto out;
	}
	fprintf(out, "menhir check: schema: every migration of %s is applied\n", cfg->schema_dir);
	rc = 0;
out:
	PQfinish(c);
	one_line(msg);
	return rc;
}

static int check_redis(FILE *out, char *msg, size_t len)
{
	redisContext *c = mh_redis_open();
	redisReply *r;
	int rc = -1;

	if (c == NULL) {
		snprintf(msg, len, "Redis (redis_url): %s", mh_redis_last_error());
		return -1;
	}
	r = redisCommand(c, "PING");
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		snprintf(msg, len, "Redis (redis_url): PING: %s", r ? r->str : c->errstr);
	else
		rc = 0;
	freeReplyObject(r);
	redisFree(c);
	if (rc == 0)
		fprintf(out, "menhir check: Redis: answers PING\n");
	return rc;
}

int mh_check_run(const struct mh_config *cfg, const char *config_path, FILE *out)
{
	char msg[1024] = "";
	int rc = 1;

	fprintf(out, "menhir check: configuration %s: loaded\n", config_path);
	/* What `menhir serve` does before it listens: modules, routes, keys, Redis URL. */
	if (mh_app_init(cfg, msg, sizeof(msg)) < 0 || mh_app_configure(cfg, msg, sizeof(msg)) < 0)
		goto out;
	fprintf(out, "menhir check: %zu routes; signing key %s active in %s\n", mh_router_count(),
	        mh_keyring_active_kid() ? mh_keyring_active_kid() : "(none)", cfg->keys_dir);
	if (check_database(cfg, out, msg, sizeof(msg)) < 0 ||
	    check_redis(out, msg, sizeof(msg)) < 0)
		goto out;
	rc = 0;
out:
	if (rc == 0)
		fprintf(out, "menhir check: ok\n");
	else
		fprintf(out, "menhir check: FAILED: %s\n", msg);
	return rc;
}
