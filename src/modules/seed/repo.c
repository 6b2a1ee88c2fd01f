/* repo.c - the seed command's SQL. It runs as menhir_owner, which is subject to RLS too
 * (FORCE ROW LEVEL SECURITY): every tenant-scoped write first sets the tenant context with
 * set_config(…, true), exactly as a request would. */
#include "modules/seed/internal.h"

/* One transaction for the whole run, so a failure leaves nothing behind. Its commit need
 * not wait for the WAL flush: seed data is reproducible, a crash costs a rerun. */
const char seed_sql_begin[] = "BEGIN";
const char seed_sql_sync_off[] = "SET LOCAL synchronous_commit = off";
/* The plan's gauges are not counted row by row while loading (schema 0016: loaders would wait
 * on each tenant's counter row); seed_sql_recount sets them once everything committed. */
const char seed_sql_bulk[] = "SET LOCAL menhir.billing_bulk = 'on'";
const char seed_sql_recount[] = "SELECT billing_recount($1::uuid)";
const char seed_sql_commit[] = "COMMIT";

/* Users and tenants through the admin functions of schema 0003 (the owner's membership and
 * the tenant_created audit row come with them). */
const char seed_sql_create_user[] = "SELECT admin_create_user($1, $2, $3)";
const char seed_sql_create_tenant[] = "SELECT tenant_id FROM admin_create_tenant($1, $2, $3)";

/* The RLS context of one tenant, for the rest of the transaction. app.role 'owner' is what
 * the documents insert policy asks of a writer who creates documents for other users. */
const char seed_sql_enter[] =
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),"
        "       set_config('app.role', 'owner', true)";
const char seed_sql_add_member[] =
        "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1::uuid, $2::uuid, $3)";
/* A seeded tenant is on the offered plan with the most features, the dearest of those (schema
 * 0016), so that every processing feature is in it and no quota stops a newcomer (or
 * bench/jobs) from loading and processing as much as it asks for. Only offered plans (schema
 * 0031): a plan kept for a few tenants, or a test's, must not change what the demo gets. */
const char seed_sql_plan[] =
        "SELECT billing_admin_set_plan($1, (SELECT p.name FROM plans p WHERE p.offered"
        "  ORDER BY cardinality(p.features) DESC, p.rank DESC LIMIT 1))";

/* COPY FROM refuses tables under row-level security ("COPY FROM not supported with
 * row-level security"), even for their owner under FORCE. So the rows are COPYed into a
 * temporary table (no RLS, no indexes, never WAL-logged) and moved with one INSERT …
 * SELECT per tenant, which the documents_insert policy checks like any other insert. */
const char seed_sql_stage[] = "CREATE TEMP TABLE seed_documents (id uuid, owner_id uuid, title "
                              "text, body text, tags text[],"
                              "  status text, created_at timestamptz) ON COMMIT DROP";
const char seed_sql_copy[] =
        "COPY seed_documents (id, owner_id, title, body, tags, status, created_at) FROM STDIN";
const char seed_sql_move[] =
        "INSERT INTO documents (id, tenant_id, owner_id, title, body, tags, status, created_at,"
        "                       updated_at)"
        " SELECT id, $1::uuid, owner_id, title, body, tags, status, created_at, created_at"
        "   FROM seed_documents";
const char seed_sql_unstage[] = "TRUNCATE seed_documents";

/* Undoing a parallel run whose tenants were committed before its documents failed: the
 * tenants_self policy lets the tenant's own context delete it, and ON DELETE CASCADE takes
 * its memberships, audit rows and documents along. */
const char seed_sql_drop_tenant[] = "DELETE FROM tenants WHERE id = $1::uuid";
const char seed_sql_wait_locks[] = "SET LOCAL lock_timeout = 0";
