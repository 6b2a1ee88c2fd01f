/* routes.c - the users module's route table (each route's declared input, core/input.h, and
 * its handler), and `menhir admin create-user`. */
#include "modules/users/users.h"
#include "modules/users/internal.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include <json-c/json.h>

#include "core/input.h"
#include "core/openapi.h"
#include "core/password.h"
#include "core/validate.h"
#include "modules/auth/auth.h"

/* ---- Declared input --------------------------------------------------------------------- */

/* A password change needs the current password too (the rule over the whole body). */
static void password_needs_current(struct mh_check *c, struct json_object *body)
{
	if (json_object_object_get_ex(body, "password", NULL) &&
	    !json_object_object_get_ex(body, "current_password", NULL))
		mh_check_add(c, "current_password", "is required to change the password");
}

enum { PATCH_NAME, PATCH_PASSWORD, PATCH_CURRENT };
static const struct mh_field patch_members[] = {
        [PATCH_NAME] = {"name", MH_T_STRING, .max = 200},
        [PATCH_PASSWORD] = {"password", MH_T_STRING, MH_RAW_TEXT, .min = MH_PASSWORD_MIN_LENGTH,
                            .max = MH_PASSWORD_MAX_LENGTH, .check = mh_password_check,
                            .description = "The new password (at least 12 characters); needs "
                                           "current_password."},
        [PATCH_CURRENT] = {"current_password", MH_T_STRING, MH_RAW_TEXT | MH_BYTES,
                           .max = MH_PASSWORD_MAX_LENGTH},
        {0},
};
static const struct mh_field patch_body = {"MePatch", MH_T_OBJECT, .fields = patch_members,
                                           .check_object = password_needs_current};

enum { EMAIL_NEW, EMAIL_CURRENT };
static const struct mh_field email_members[] = {
        [EMAIL_NEW] = {"email", MH_T_EMAIL, MH_REQUIRED, .description = "The new address."},
        [EMAIL_CURRENT] = {"current_password", MH_T_STRING, MH_REQUIRED | MH_RAW_TEXT | MH_BYTES,
                           .max = MH_PASSWORD_MAX_LENGTH},
        {0},
};
static const struct mh_field email_body = {"EmailChange", MH_T_OBJECT, .fields = email_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* GET /api/v1/users/me (any member) 200 {id, email, name, created_at, updated_at,
 * tenant_id, role, tenants: [{id, role, name, slug}]}. */
static int handle_me(struct mh_request *req, struct mh_response *res)
{
	return users_me_get(req, res);
}

/* PATCH /api/v1/users/me {name?, password?, current_password?}
 * 200 the user (plus a new access token and refresh cookie after a password change, which
 * revokes every other session); 400; 403 wrong current password; 503 if the revocation
 * could not be recorded (then nothing changed). */
static int handle_me_patch(struct mh_request *req, struct mh_response *res)
{
	return users_me_update(req, res, mh_in_body(req, PATCH_NAME)->s,
	                       mh_in_body(req, PATCH_PASSWORD)->s,
	                       mh_in_body(req, PATCH_CURRENT)->s);
}

/* POST /api/v1/users/me/email {email, current_password} 202 {status: queued} whoever the
 * new address belongs to; 400; 403 wrong current password; 429. The address changes when
 * the link mailed to it comes back (POST /api/v1/auth/email/confirm). */
static int handle_me_email(struct mh_request *req, struct mh_response *res)
{
	return auth_email_change_request(req, res, mh_in_body(req, EMAIL_NEW)->s,
	                                 mh_in_body(req, EMAIL_CURRENT)->s);
}

static int users_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(users_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response get_me_responses[] = {
        {200, "OK", "MeResponse", .headers = "Cache-Control",
         .example =
                 "{\"data\":{\"id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                 "\"email\":\"ada@example.com\",\"name\":\"Ada\","
                 "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                 "\"updated_at\":\"2026-11-24T10:15:30.123456Z\","
                 "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\","
                 "\"tenants\":[{\"id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\","
                 "\"name\":\"Acme\",\"slug\":\"acme\"}]}}"},
        {0},
};
static const struct mh_route_doc get_me_doc = {
        .operation_id = "getMe",
        .summary = "The signed-in user",
        .responses = get_me_responses,
};

static const struct mh_doc_response update_me_responses[] = {
        {200, "The updated user.", "MeResponse",
         .headers = "Cache-Control Set-Cookie=Set-Cookie-Refresh",
         .example =
                 "{\"data\":{\"id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                 "\"email\":\"ada@example.com\",\"name\":\"Ada\","
                 "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                 "\"updated_at\":\"2026-11-24T10:15:30.123456Z\","
                 "\"tenant_id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\","
                 "\"tenants\":[{\"id\":\"9b8a7c6d-5e4f-4321-8fed-cba987654321\",\"role\":\"owner\","
                 "\"name\":\"Acme\",\"slug\":\"acme\"}]}}"},
        {403, "The current password is wrong; `api_key_not_allowed` when an API key calls it.",
         .errors = "invalid_credentials api_key_not_allowed",
         .example = "{\"error\":\"invalid_credentials\",\"message\":\"the current password is "
                    "incorrect\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc update_me_doc = {
        .operation_id = "updateMe",
        .summary = "Rename, change password",
        .description = "A password change needs `current_password` and revokes every other "
                       "session at once; the response then carries a new access token (and a "
                       "new refresh cookie) for this one.",
        .request_example = "{\"name\":\"Ada Lovelace\"}",
        .responses = update_me_responses,
};

static const struct mh_doc_response email_responses[] = {
        {202, "Accepted: a confirmation link goes to the new address, a notice to the old one.",
         "MailStatusResponse", .example = "{\"data\":{\"status\":\"queued\"}}"},
        {403, "The current password is wrong; `api_key_not_allowed` when an API key calls it.",
         .errors = "invalid_credentials api_key_not_allowed",
         .example = "{\"error\":\"invalid_credentials\",\"message\":\"the current password is "
                    "incorrect\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {429,
         "Past `mail_ip_max` requests per client address per hour, or within the "
         "user's `mail_cooldown`.",
         .errors = "too_many_requests", .headers = "Retry-After",
         .example = "{\"error\":\"too_many_requests\",\"message\":\"a change was requested "
                    "moments ago; check the new inbox\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc email_doc = {
        .operation_id = "changeEmail",
        .summary = "Change your e-mail address",
        .description = "Needs `current_password`. Nothing changes yet: a link (valid a day, "
                       "usable once) goes to the new address, and a notice without any link to "
                       "the current one. The answer is the same 202 whether or not the new "
                       "address has an account; if it has one, the mail there says so instead "
                       "of carrying a link. A newer request or a password change voids the "
                       "link. One request per `mail_cooldown` seconds (429), and one mail to "
                       "the same new address per `mail_cooldown` whoever asks (later ones are "
                       "still 202 and send nothing).",
        .request_example = "{\"email\":\"ada@new.example\",\"current_password\":\"correct "
                           "horse battery\"}",
        .responses = email_responses,
};

static const struct mh_route users_routes[] = {
        {MH_GET, "/api/v1/users/me", handle_me, 0, MH_ROLE_VIEWER, .doc = &get_me_doc},
        {MH_PATCH, "/api/v1/users/me", handle_me_patch, 0, MH_ROLE_VIEWER, .body = &patch_body,
         .doc = &update_me_doc},
        {MH_POST, "/api/v1/users/me/email", handle_me_email, 0, MH_ROLE_NONE, .body = &email_body,
         .doc = &email_doc},
        {0},
};

const struct mh_module users_module = {
        .name = "users",
        .routes = users_routes,
        .init = users_init,
        .doc = &users_doc,
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
	if ((m = mh_check_email(email)) != NULL) {
		fprintf(stderr, "menhir: invalid EMAIL: %s\n", m);
		return 2;
	}
	if ((m = mh_check_text(NULL, name, 0, 200)) != NULL) {
		fprintf(stderr, "menhir: invalid --name: %s\n", m);
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "menhir: expected the password on standard input\n");
		return 2;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if ((m = mh_password_check(NULL, pw)) != NULL) {
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
	                 (const char *const[]){mh_lower(&a, email), hash, name}, NULL, NULL, 0);
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
