/* repo.c - the tenants module's SQL. Every statement runs under RLS as menhir_app in the
 * request's tenant context; WHERE tenant_id = app_tenant_id() is there for the indexes,
 * the policies enforce it anyway. */
#include "modules/tenants/internal.h"

#define MEMBER_COLS "m.user_id, u.email, u.name, m.role, " TENANTS_TS("m.created_at")
#define AUDIT_COLS                                                                             \
	"id, actor_id, action, target, host(ip), request_id, " TENANTS_TS("created_at")

const struct mh_db_statement tenants_statements[] = {
	{ "tenants_get",
	  "SELECT id, name, slug, " TENANTS_TS("created_at") ", " TENANTS_TS("updated_at")
	  ", app_role() FROM tenants WHERE id = app_tenant_id()",
	  0 },
	{ "tenants_update",
	  "UPDATE tenants SET name = coalesce($1, name), slug = coalesce($2, slug)"
	  " WHERE id = app_tenant_id()"
	  " RETURNING id, name, slug, " TENANTS_TS("created_at") ", " TENANTS_TS("updated_at")
	  ", app_role()",
	  2 },
	{ "tenants_members_first",
	  "SELECT " MEMBER_COLS " FROM memberships m JOIN users u ON u.id = m.user_id"
	  " WHERE m.tenant_id = app_tenant_id()"
	  " ORDER BY m.created_at, m.user_id LIMIT $1::int",
	  1 },
	{ "tenants_members_after",
	  "SELECT " MEMBER_COLS " FROM memberships m JOIN users u ON u.id = m.user_id"
	  " WHERE m.tenant_id = app_tenant_id()"
	  "   AND (m.created_at, m.user_id) > ($2::timestamptz, $3::uuid)"
	  " ORDER BY m.created_at, m.user_id LIMIT $1::int",
	  3 },
	{ "tenants_members_set_role",
	  "SELECT user_id, email, name, role, " TENANTS_TS("joined_at")
	  " FROM members_set_role($1::uuid, $2, $3, $4)",
	  4 },
	{ "tenants_members_remove", "SELECT members_remove($1::uuid, $2, $3)", 3 },
	/* Newest first; keyset on (created_at, id) with index audit_log_tenant_created. */
	{ "tenants_audit_first",
	  "SELECT " AUDIT_COLS " FROM audit_log WHERE tenant_id = app_tenant_id()"
	  " ORDER BY created_at DESC, id DESC LIMIT $1::int",
	  1 },
	{ "tenants_audit_after",
	  "SELECT " AUDIT_COLS " FROM audit_log WHERE tenant_id = app_tenant_id()"
	  "   AND (created_at, id) < ($2::timestamptz, $3::uuid)"
	  " ORDER BY created_at DESC, id DESC LIMIT $1::int",
	  3 },
	{ NULL, NULL, 0 },
};
