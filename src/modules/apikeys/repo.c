/* repo.c - the apikeys module's SQL, under RLS as menhir_app in the request's tenant context
 * (schema 0010). The key's hash is written once and never read back: menhir_app has no
 * grant on that column. */
#include "modules/apikeys/internal.h"

/* id, name, role, prefix, last_four, created_by, created_at, expires_at, last_used_at,
 * revoked_at: what a list shows, never more of the secret than its last four. */
#define KEY_COLS                                                                                   \
	"id, name, role, 'mhk_', last_four, created_by, " APIKEYS_TS(                              \
	        "created_at") ", " APIKEYS_TS("expires_at") ", " APIKEYS_TS("last_used_at") ","    \
	                                                                                    " " APIKEYS_TS("revoked_at")

const struct mh_db_statement apikeys_statements[] = {
        {"apikeys_create",
         "SELECT id, name, role, 'mhk_', last_four, app_user_id(), " APIKEYS_TS(
                 "created_at") ", " APIKEYS_TS("expires_at") ", NULL, NULL"
                                                             " FROM api_keys_create($1::uuid, $2, "
                                                             "$3, $4::bytea, $5, $6::timestamptz, "
                                                             "$7, $8)",
         8},
        /* Newest first; keyset on (created_at, id) with index api_keys_tenant_created. */
        {"apikeys_first",
         "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = app_tenant_id()"
         " ORDER BY created_at DESC, id DESC LIMIT $1::int",
         1},
        {"apikeys_after",
         "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = app_tenant_id()"
         "   AND (created_at, id) < ($2::timestamptz, $3::uuid)"
         " ORDER BY created_at DESC, id DESC LIMIT $1::int",
         3},
        {"apikeys_get", "SELECT " KEY_COLS " FROM api_keys WHERE id = $1::uuid", 1},
        {"apikeys_revoke", "SELECT id FROM api_keys_revoke($1::uuid, $2, $3)", 3},
        {NULL, NULL, 0},
};
