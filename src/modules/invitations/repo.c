/* repo.c - the invitations module's SQL (schema 0009). Listing and revoking run under RLS as
 * menhir_app in the tenant's context (admin+ by the policy); creating goes through the
 * invoker function invitations_create, accepting through the definer invitation_accept,
 * since it runs before the invitee has any context in the tenant. */
#include "modules/invitations/internal.h"

/* SQL reads best laid out by hand. */
/* clang-format off */
/* id, email, role, status, invited_by, expires_at, accepted_at, created_at */
#define INVITATION_COLS                                                                        \
	"i.id, i.email, i.role,"                                                              \
	" CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'"                                \
	"      WHEN i.revoked_at IS NOT NULL THEN 'revoked'"                                  \
	"      WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END,"                 \
	" i.invited_by, " INVITATIONS_TS("i.expires_at") ", " INVITATIONS_TS(                 \
		"i.accepted_at") ", " INVITATIONS_TS("i.created_at")

const struct mh_db_statement invitations_statements[] = {
	{ "invitations_create",
	  "SELECT i.id, i.email, i.role, 'pending', i.invited_by, " INVITATIONS_TS("i.expires_at")
	  ", NULL, " INVITATIONS_TS("i.created_at")
	  " FROM invitations_create($1, $2, $3::bytea, $4::int, $5, $6, $7) i",
	  7 },
	/* Newest first; keyset on (created_at, id) with index invitations_tenant_created. */
	{ "invitations_first",
	  "SELECT " INVITATION_COLS " FROM invitations i WHERE i.tenant_id = app_tenant_id()"
	  " ORDER BY i.created_at DESC, i.id DESC LIMIT $1::int",
	  1 },
	{ "invitations_after",
	  "SELECT " INVITATION_COLS " FROM invitations i WHERE i.tenant_id = app_tenant_id()"
	  "   AND (i.created_at, i.id) < ($2::timestamptz, $3::uuid)"
	  " ORDER BY i.created_at DESC, i.id DESC LIMIT $1::int",
	  3 },
	{ "invitations_revoke",
	  "UPDATE invitations i SET revoked_at = now()"
	  " WHERE i.tenant_id = app_tenant_id() AND i.id = $1::uuid"
	  "   AND i.accepted_at IS NULL AND i.revoked_at IS NULL RETURNING i.id",
	  1 },
	{ "invitations_accept",
	  "SELECT outcome, user_id, tenant_id, role, token_version FROM invitation_accept("
	  "$1::bytea, nullif($2, '')::uuid, nullif($3, ''), $4, $5::bytea, $6::uuid, $7::int,"
	  " $8, $9)",
	  9 },
	{ NULL, NULL, 0 },
};
/* clang-format on */
