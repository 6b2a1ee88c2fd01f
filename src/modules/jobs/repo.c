/* repo.c - the jobs module's SQL. It runs as menhir_app under RLS in the caller's tenant:
 * the policies of schema 0006 hide other tenants' jobs and keep members to their own. Each
 * write is one statement whose CTE also writes the audit row, so the row exists iff the
 * change does, and a request stays one round trip. */
#include "modules/jobs/internal.h"

#include "core/queue.h"

#define TENANT "j.tenant_id = (SELECT app_tenant_id())"
#define TS(col) MH_QUEUE_TS(col)
#define AUDIT(action)                                                                          \
	"INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"          \
	" SELECT u.tenant_id, (SELECT app_user_id()), '" action "', u.id::text,"                 \
	" nullif($2::text, '')::inet, $3::text FROM u"

/* Newest first from the cursor ($1 created_at, $2 id; page one starts at a sentinel),
 * then the filters (document, status) and the limit. The cursor's key follows the job's
 * columns (at MH_JOB_NCOLUMNS). One statement per filter shape, so each is a plain
 * range scan of its index of schema 0006 with no OR-NULL predicate to confuse the plan. */
#define LIST(name, where, n)                                                                    \
	{ name,                                                                                \
	  "SELECT " MH_QUEUE_JOB_COLUMNS ", " TS("j.created_at") " FROM jobs j WHERE " TENANT    \
	  where " AND (j.created_at, j.id) < ($1::timestamptz, $2::uuid)"                          \
	  " ORDER BY j.created_at DESC, j.id DESC LIMIT $" #n "::int",                           \
	  n }

const struct mh_db_statement jobs_statements[] = {
	{ "jobs_get", "SELECT " MH_QUEUE_JOB_COLUMNS " FROM jobs j WHERE j.id = $1::uuid AND " TENANT,
	  1 },
	LIST("jobs_list_all", "", 3),
	LIST("jobs_list_status", " AND j.status = $3::text", 4),
	/* The document a job is about is a member of its payload (schema 0015's index). */
	LIST("jobs_list_document", " AND j.payload ->> 'document_id' = $3::text", 4),
	LIST("jobs_list_document_status",
	     " AND j.payload ->> 'document_id' = $3::text AND j.status = $4::text", 5),
	/* Cancel: queued only; a member only their own jobs (the service's rule, which the
	 * update policy repeats). $2 client ip, $3 request id. */
	{ "jobs_cancel",
	  "WITH u AS (UPDATE jobs j SET status = 'cancelled', finished_at = now()"
	  "  WHERE j.id = $1::uuid AND " TENANT " AND j.status = 'queued'"
	  "    AND (app_role_rank((SELECT app_role())) >= 3 OR j.created_by = (SELECT app_user_id()))"
	  "  RETURNING j.*),"
	  " a AS (" AUDIT("job.cancelled") ")"
	  " SELECT " MH_QUEUE_JOB_COLUMNS " FROM u j",
	  3 },
	/* Retry (admin+, by route): a failed or dead job is queued again with fresh attempts. */
	{ "jobs_retry",
	  "WITH u AS (UPDATE jobs j SET status = 'queued', attempts = 0, run_at = now(),"
	  "         result = NULL, error = NULL, finished_at = NULL"
	  "  WHERE j.id = $1::uuid AND " TENANT " AND j.status IN ('failed', 'dead')"
	  "  RETURNING j.*),"
	  " a AS (" AUDIT("job.retried") ")"
	  " SELECT " MH_QUEUE_JOB_COLUMNS " FROM u j",
	  3 },
	/* Why a cancel or retry changed nothing: the job's state after the statement, and
	 * whether the caller created it. No row: not there, or another tenant's. */
	{ "jobs_probe",
	  "SELECT j.status, j.created_by = (SELECT app_user_id()) FROM jobs j"
	  " WHERE j.id = $1::uuid AND " TENANT,
	  1 },
	{ NULL, NULL, 0 },
};

const char *jobs_list_statement(const struct jobs_list_query *q)
{
	if (q->document_id != NULL)
		return q->status != NULL ? "jobs_list_document_status" : "jobs_list_document";
	return q->status != NULL ? "jobs_list_status" : "jobs_list_all";
}
