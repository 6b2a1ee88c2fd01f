/* routes.c - the users module's route table and handlers, and `menhir admin create-user`. */
#include "modules/users/users.h"
#include "modules/users/internal.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/password.h"
#include "modules/auth/auth.h"

/* GET /api/v1/users/me (any member) 200 {id, email, name, created_at, updated_at,
 * tenant_id, role, tenants: [{id, role, name, slug}]}. */
static int handle_me(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };

	if (!auth_query_or_reply(req, res, none))
		return 0;
	return users_me_get(req, res);
}

/* PATCH /api/v1/users/me {name?, password?, current_password?}
 * 200 the user (plus a new access token and refresh cookie after a password change, which
 * revokes every other session); 403 wrong current password; 422; 503 if the revocation
 * could not be recorded (then nothing changed). */
static int handle_me_patch(struct mh_request *req, struct mh_response *res)
{
	const char *name, *password, *current, *m;
	const struct auth_field fields[] = {
		{ "name", 0, &name },
		{ "password", 0, &password },
		{ "current_password", 0, &current },
	};
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 3, &e))
		return 0;
	if (name && (m = auth_check_text(name, 200, 0)) != NULL)
		auth_error_add(&e, "name", m);
	if (password && (m = auth_check_password(password)) != NULL)
		auth_error_add(&e, "password", m);
	if (password && current == NULL)
		auth_error_add(&e, "current_password", "is required to change the password");
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return users_me_update(req, res, name, password, current);
}

static int users_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(users_statements);
}

static const struct mh_route users_routes[] = {
	{ MH_GET, "/api/v1/users/me", handle_me, 0, MH_ROLE_VIEWER },
	{ MH_PATCH, "/api/v1/users/me", handle_me_patch, MH_JSON_BODY, MH_ROLE_VIEWER },
	{ 0 },
};

const struct mh_module users_module = {
	.name = "users",
	.routes = users_routes,
	.init = users_init,
};

/* ---- menhir admin create-user -------------------------------------------------------------- */

int users_admin_create_user(const struct mh_config *cfg, int argc, char **argv)
{
	const char *email = NULL, *name = "", *m;
	char pw[MH_PASSWORD_MAX_LENGTH + 2], hash[MH_PASSWORD_HASH_MAX];
	struct mh_arena a;
	PGconn *c;
	PGresult *r;
	int status = 1, bad = 0;
	size_t n;

	for (int i = 0; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (argv[i][0] != '-' && email == NULL)
			email = argv[i];
		else
			bad = 1;
	}
	if (bad || email == NULL) {
		fprintf(stderr, "usage: menhir admin create-user EMAIL [--name NAME] < password\n");
		return 2;
	}
	if ((m = auth_check_email(email)) != NULL) {
		fprintf(stderr, "menhir: invalid EMAIL: %s\n", m);
		return 2;
	}
	if ((m = auth_check_text(name, 200, 0)) != NULL) {
		fprintf(stderr, "menhir: invalid --name: %s\n", m);
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "menhir: expected the password on standard input\n");
		return 2;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if ((m = auth_check_password(pw)) != NULL) {
		fprintf(stderr, "menhir: password %s\n", m);
		return 2;
	}
	mh_password_configure(cfg->password_time_cost, cfg->password_memory_kib,
			      cfg->password_parallelism);
	if (mh_password_hash(pw, n, hash, sizeof(hash)) < 0) {
		fprintf(stderr, "menhir: cannot hash the password\n");
		return 1;
	}
	memset(pw, 0, sizeof(pw));
	if (mh_arena_init(&a, 4096) < 0)
		return 1;
	c = PQconnectdb(cfg->migrate_database_url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "menhir: cannot connect to the database: %s", PQerrorMessage(c));
		goto out;
	}
	r = PQexecParams(c, "SELECT admin_create_user($1, $2, $3)", 3, NULL,
			 (const char *const[]){ auth_lower(&a, email), hash, name }, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		printf("user %s\n", PQgetvalue(r, 0, 0));
		status = 0;
	} else {
		fprintf(stderr, "menhir: %s", PQresultErrorMessage(r));
	}
	PQclear(r);
out:
	PQfinish(c);
	mh_arena_destroy(&a);
	return status;
}
