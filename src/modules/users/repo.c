/* repo.c - the users module's SQL, under RLS as menhir_app: a user row is visible to the
 * user themself; the password hash only through SECURITY DEFINER functions. */
#include "modules/users/internal.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define ME_COLS "id, email, name, " TS("created_at") ", " TS("updated_at") ", app_role()"

const struct mh_db_statement users_statements[] = {
	{ "users_me", "SELECT " ME_COLS " FROM users WHERE id = app_user_id()", 0 },
	{ "users_tenants",
	  "SELECT tenant_id, role, tenant_name, tenant_slug FROM auth_user_tenants(app_user_id())",
	  0 },
	/* A password change locks the row: the token version read here is the one the
	 * revocation in Redis is computed from. */
	{ "users_lock_me",
	  "SELECT auth_password_hash(), token_version FROM users WHERE id = app_user_id()"
	  " FOR UPDATE",
	  0 },
	{ "users_set_name", "UPDATE users SET name = $1 WHERE id = app_user_id()", 1 },
	{ "users_set_password", "SELECT auth_set_password($1)", 1 },
	{ "users_revoke_all", "SELECT auth_revoke_all(NULL)", 0 },
	/* The session that changed the password goes on as a new refresh family ($2). */
	{ "users_refresh_issue",
	  "SELECT auth_refresh_issue($1::bytea, $2::uuid, app_user_id(), app_tenant_id(), $3::int)",
	  3 },
	{ NULL, NULL, 0 },
};
