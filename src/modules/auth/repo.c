/* repo.c - the auth module's SQL: prepared statements over the narrow SECURITY DEFINER
 * functions of schema 0002/0003 (menhir_app cannot read password hashes or refresh tokens). */
#include "modules/auth/internal.h"

const struct mh_db_statement auth_statements[] = {
	/* Signup in one statement: user, tenant, owner membership, refresh token, audit. */
	{ "auth_signup",
	  "SELECT user_id, tenant_id, tenant_slug, token_version"
	  "  FROM auth_signup_session($1, $2, $3, $4, $5, $6::bytea, $7::int, $8, $9)",
	  9 },
	/* What a login needs: the hash and one row per tenant, most recently joined first. */
	{ "auth_login_lookup",
	  "SELECT l.user_id, l.password_hash, l.token_version, l.disabled,"
	  "       t.tenant_id, t.tenant_slug, t.role"
	  "  FROM auth_login_lookup($1) l"
	  "  LEFT JOIN LATERAL auth_user_tenants(l.user_id) t ON true"
	  " ORDER BY t.joined_at DESC NULLS LAST, t.tenant_id",
	  1 },
	{ "auth_refresh_issue",
	  "SELECT auth_refresh_issue($1::bytea, NULL, $2::uuid, $3::uuid, $4::int)", 4 },
	/* An audit row in the transaction's own tenant (RLS WITH CHECK holds it there). */
	{ "auth_audit_here",
	  "INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
	  " VALUES (app_tenant_id(), app_user_id(), $1, $2, nullif($3, '')::inet, $4)",
	  4 },
	/* A failed login has no context: the tenant is named; nothing is written for an
	 * unknown e-mail ($1 = ''), but the statement costs the same round trip. */
	{ "auth_audit_failed_login",
	  "SELECT auth_audit(nullif($1, '')::uuid, nullif($2, '')::uuid, 'login_failed', $3, $4, $5)"
	  " WHERE $1 <> ''",
	  5 },
	/* An audit row for a named tenant, the actor being the context's user. */
	{ "auth_audit_named",
	  "SELECT auth_audit($1::uuid, app_user_id(), $2, $3, $4, $5)", 5 },
	{ "auth_set_password", "SELECT auth_set_password($1)", 1 },
	{ "auth_refresh_use",
	  "SELECT outcome, user_id, tenant_id, role, token_version"
	  "  FROM auth_refresh_use($1::bytea, $2::bytea, $3::int, $4::int, $5, $6)",
	  6 },
	{ "auth_logout", "SELECT user_id FROM auth_logout($1::bytea, $2, $3)", 3 },
	{ "auth_revoke_all", "SELECT auth_revoke_all(NULL)", 0 },
	{ "auth_switch_tenant",
	  "SELECT role, token_version FROM auth_switch_tenant($1::uuid, $2::bytea, $3::int, $4, $5)",
	  5 },
	{ NULL, NULL, 0 },
};
