/* repo.c - the auth module's SQL: prepared statements over the narrow SECURITY DEFINER
 * functions of schema 0002/0003/0007 (menhir_app cannot read password hashes or refresh
 * tokens). */
#include "modules/auth/internal.h"

/* RFC 3339 UTC with microseconds, as every other module writes times. */
#define AUTH_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const struct mh_db_statement auth_statements[] = {
	/* Signup in one statement: user, tenant, owner membership, refresh token, audit. */
	{ "auth_signup",
	  "SELECT user_id, tenant_id, tenant_slug, token_version"
	  "  FROM auth_signup_session($1, $2, $3, $4, $5, $6::bytea, $7::uuid, $8::int, $9, $10)",
	  10 },
	/* What a password check needs, and nothing about the account's tenants: a failure must
	 * cost the same for every e-mail (schema 0007). */
	{ "auth_login_lookup",
	  "SELECT user_id, password_hash, token_version, disabled FROM auth_login_lookup($1)", 1 },
	/* Every failure, known e-mail or not: the same probes and one row written. */
	{ "auth_login_failed",
	  "SELECT auth_login_failed(nullif($1, '')::uuid, $2, $3, $4)", 4 },
	{ "auth_login_session",
	  "SELECT tenant_id, role, token_version"
	  "  FROM auth_login_session($1::uuid, $2, $3::bytea, $4::uuid, $5::int, $6, $7)",
	  7 },
	/* An audit row in the transaction's own tenant (RLS WITH CHECK holds it there). */
	{ "auth_audit_here",
	  "INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
	  " VALUES (app_tenant_id(), app_user_id(), $1, $2, nullif($3, '')::inet, $4)",
	  4 },
	/* An audit row for a named tenant, the actor being the context's user. */
	{ "auth_audit_named",
	  "SELECT auth_audit($1::uuid, app_user_id(), $2, $3, $4, $5)", 5 },
	{ "auth_set_password", "SELECT auth_set_password($1)", 1 },
	/* Columns: outcome, user, tenant, family (the session), role, version, and for a
	 * replay inside the grace window the sealed successors and the current token's hash. */
	{ "auth_refresh_use",
	  "SELECT outcome, user_id, tenant_id, coalesce(family_id::text, ''), role, token_version,"
	  "       boxes, current_hash"
	  "  FROM auth_refresh_use($1::bytea, $2::bytea, $3::bytea, $4::int, $5::int, $6, $7)",
	  7 },
	{ "auth_logout", "SELECT user_id, tenant_id, family_id FROM auth_logout($1::bytea, $2, $3)",
	  3 },
	{ "auth_revoke_all", "SELECT auth_revoke_all(NULL)", 0 },
	/* A logout by access token ends its session's refresh family too (schema 0014). */
	{ "auth_session_end", "SELECT auth_session_end($1::uuid, $2::uuid)", 2 },
	{ "auth_switch_tenant",
	  "SELECT role, token_version"
	  "  FROM auth_switch_tenant($1::uuid, $2::bytea, $3::uuid, $4::int, $5, $6)",
	  6 },
	/* Mail flows (schema 0009). */
	{ "auth_forgot_queue", "SELECT auth_forgot_queue($1)", 1 },
	{ "auth_reset_issue", "SELECT auth_reset_issue($1, $2::bytea, $3::int, $4::jsonb)", 4 },
	{ "auth_password_reset",
	  "SELECT user_id, email, token_version FROM auth_password_reset($1::bytea, $2, $3, $4)",
	  4 },
	{ "auth_verify_issue",
	  "SELECT auth_verify_issue($1, $2::bytea, $3::int, $4::jsonb)", 4 },
	{ "auth_email_verify", "SELECT user_id FROM auth_email_verify($1::bytea, $2, $3)", 3 },
	{ "auth_email_verified", "SELECT auth_email_verified()", 0 },
	{ "auth_accounts_cleanup",
	  "SELECT row_to_json(c)::text FROM accounts_cleanup(make_interval(days => $1::int)) c", 1 },
	/* Changing the address (schema 0030). */
	{ "auth_email_change_lock", "SELECT password_hash, email FROM auth_email_change_lock()", 0 },
	{ "auth_email_change_request",
	  "SELECT auth_email_change_request($1, $2::bytea, $3::int, $4, $5, $6)", 6 },
	{ "auth_email_change_confirm",
	  "SELECT outcome, user_id, token_version, tenant_id, role FROM auth_email_change_confirm("
	  "$1::bytea, nullif($2, '')::uuid, nullif($3, '')::uuid, $4::bytea, $5::uuid, $6::int,"
	  " $7, $8)",
	  8 },
	/* The client that the refresh tokens written in this transaction belong to (schema
	 * 0010: their user_agent and coarse client_net). */
	{ "auth_client_note", "SELECT auth_client_note($1, $2)", 2 },
	{ "auth_sessions_list",
	  "SELECT id, tenant_id, tenant_name, " AUTH_TS("created_at") ", "
	  AUTH_TS("last_used_at") ", " AUTH_TS("expires_at") ", user_agent, client_net"
	  "  FROM auth_sessions_list()",
	  0 },
	{ "auth_session_revoke", "SELECT tenant_id FROM auth_session_revoke($1::uuid, $2, $3)", 3 },
	{ NULL, NULL, 0 },
};
