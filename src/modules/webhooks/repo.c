/* repo.c - the webhooks module's SQL. Every statement runs as menhir_app under RLS in the
 * tenant's context (a request's, or a delivery job's creator's): schema 0006's policies keep
 * each tenant to its own secret, jobs and deliveries, and only admin+ may write the secret. */
#include "modules/webhooks/internal.h"

#include "core/queue.h"

/* RFC 3339 UTC with microseconds: exact, so it doubles as a keyset cursor position. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* A delivery attempt as the API shows it, rendered by PostgreSQL so numbers stay numbers. */
#define DELIVERY                                                                               \
	"(SELECT row_to_json(x)::text FROM (SELECT w.id, w.job_id, w.url, w.attempt,"          \
	" w.status_code, w.error, w.duration_ms, " TS("w.created_at") " AS created_at) x)"

const struct mh_db_statement webhooks_statements[] = {
	/* Replaces the tenant's secret (one row per tenant). The row's updated_at is when
	 * the current secret was made. The secret travels as a parameter, never in the SQL
	 * text, so no statement log can show it. */
	{ "webhooks_secret_put",
	  "INSERT INTO tenant_webhook_secrets AS s (tenant_id, secret, created_by)"
	  " VALUES ((SELECT app_tenant_id()), $1, (SELECT app_user_id()))"
	  " ON CONFLICT (tenant_id) DO UPDATE SET secret = EXCLUDED.secret,"
	  "                                       created_by = EXCLUDED.created_by"
	  " RETURNING " TS("s.updated_at"),
	  1 },
	{ "webhooks_secret_info",
	  "SELECT " TS("s.updated_at") " FROM tenant_webhook_secrets s"
	  " WHERE s.tenant_id = (SELECT app_tenant_id())",
	  0 },
	/* Whether the job is visible at all: an empty list and a 404 are different answers. */
	{ "webhooks_job_visible", "SELECT 1 FROM jobs j WHERE j.id = $1::uuid", 1 },
	/* Oldest first; keyset on (created_at, id), index webhook_deliveries_job. $2 limit. */
	{ "webhooks_deliveries_first",
	  "SELECT " DELIVERY ", " TS("w.created_at") ", w.id FROM webhook_deliveries w"
	  " WHERE w.tenant_id = (SELECT app_tenant_id()) AND w.job_id = $1::uuid"
	  " ORDER BY w.created_at, w.id LIMIT $2::int",
	  2 },
	{ "webhooks_deliveries_after",
	  "SELECT " DELIVERY ", " TS("w.created_at") ", w.id FROM webhook_deliveries w"
	  " WHERE w.tenant_id = (SELECT app_tenant_id()) AND w.job_id = $1::uuid"
	  "   AND (w.created_at, w.id) > ($3::timestamptz, $4::uuid)"
	  " ORDER BY w.created_at, w.id LIMIT $2::int",
	  4 },
	/* What a delivery needs, in one row: the job it reports on (MH_QUEUE_JOB_COLUMNS; all
	 * NULL when that job is gone), the tenant's secret (NULL when none) and the delivery
	 * job's own created_at (the event's, the same on every attempt); internal.h names the
	 * columns. $1 the delivery job, $2 the job it reports on. */
	{ "webhooks_delivery_load",
	  "SELECT " MH_QUEUE_JOB_COLUMNS ","
	  " (SELECT s.secret FROM tenant_webhook_secrets s"
	  "   WHERE s.tenant_id = (SELECT app_tenant_id())),"
	  " " TS("d.created_at") " FROM jobs d LEFT JOIN jobs j ON j.id = $2::uuid"
	  " WHERE d.id = $1::uuid",
	  2 },
	{ "webhooks_delivery_record",
	  "INSERT INTO webhook_deliveries (tenant_id, job_id, url, attempt, status_code, error,"
	  "                                duration_ms)"
	  " VALUES ((SELECT app_tenant_id()), $1::uuid, $2, $3::int, $4::int, $5, $6::int)",
	  6 },
	{ NULL, NULL, 0 },
};
