/* repo.c - the processing module's SQL, and nothing else. Every statement runs as
 * menhir_app under RLS in the request's (or the job creator's) tenant context: the policies
 * of schemas 0004 and 0006 hide other tenants' documents, jobs and features, and refuse
 * feature changes below admin, whatever the SQL says. The document's own statements live in
 * the documents module (documents.h); the job's INSERT in core/queue.c. A job names its
 * document in its payload (PROCESSING_PAYLOAD_DOCUMENT), which this module checks: before it
 * queues the job (processing_check) and when the job runs (run.c), both under RLS. Which
 * features a tenant has is its plan's business: billing_plan_features() and
 * billing_feature_plan() (schema 0016, the billing module), read in the same statements;
 * tenant_features only holds an admin's switch to turn one of them off. */
#include "modules/processing/internal.h"

#include "core/address.h"

#define ROLE_RANK "app_role_rank((SELECT app_role()))"
#define WRITABLE  "(" ROLE_RANK " >= 3 OR d.owner_id = (SELECT app_user_id()))"
/* processing_check's columns (internal.h names them); $2 the feature, $3 the unique key. */
#define CHECK_COLUMNS                                                                              \
	"d.id IS NOT NULL AND d.deleted_at IS NULL, " WRITABLE ", " ROLE_RANK ","                  \
	" coalesce((SELECT f.enabled FROM tenant_features f"                                       \
	"           WHERE f.tenant_id = (SELECT app_tenant_id()) AND f.feature = $2::text),"       \
	"          true),"                                                                         \
	" (SELECT j.id FROM jobs j WHERE j.tenant_id = (SELECT app_tenant_id())"                   \
	"    AND j.kind = 'document.process' AND j.unique_key = $3::text"                          \
	"    AND j.status IN ('queued', 'running') LIMIT 1),"                                      \
	" $2::text = ANY (billing_plan_features()), billing_feature_plan($2::text)"

const struct mh_db_statement processing_statements[] = {
        /* Idempotency-Key, as documents' POST: the lock first, then (a later statement, so a
         * later snapshot) the stored response. $1 is the route with the document's id in it
         * ("POST /api/v1/documents/<id>/process"): a key names one request to one document. */
        {"processing_lock_key", "SELECT idempotency_lock($1::text, $2::text)", 2},
        {"processing_prior_key",
         "SELECT encode(k.body_hash, 'hex'), k.status, k.body, k.location FROM idempotency_keys k"
         " WHERE k.tenant_id = (SELECT app_tenant_id()) AND k.user_id = (SELECT app_user_id())"
         "   AND k.route = $1::text AND k.key = $2::text"
         "   AND k.created_at > now() - interval '24 hours'",
         2},
        /*
         * Everything POST …/process decides on, in one row whether or not the document is
         * visible: is it live, may the caller change it, the caller's rank, is the feature on,
         * and the active job already doing the same work ($3 = its unique key).
         */
        {"processing_check",
         "SELECT " CHECK_COLUMNS " FROM (SELECT 1) one LEFT JOIN documents d ON d.id = $1::uuid",
         3},
        /* Queued after the job's INSERT in the same transaction, so it sees the new row (the
         * unique index allows one active job per key). */
        {"processing_audit_queued",
         "INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
         " SELECT j.tenant_id, (SELECT app_user_id()), 'job.queued',"
         "        j.id::text || ' ' || $2::text || ' ' || (j.payload ->> 'document_id'),"
         "        nullif($3::text, '')::inet, $4::text"
         "   FROM jobs j WHERE j.tenant_id = (SELECT app_tenant_id())"
         "    AND j.kind = 'document.process' AND j.unique_key = $1::text"
         "    AND j.status = 'queued' AND j.created_by = (SELECT app_user_id())",
         4},
        /* The exact 202 for a replay; an expired key's row is overwritten. */
        {"processing_store_key",
         "INSERT INTO idempotency_keys (tenant_id, user_id, route, key, body_hash, status, body,"
         "                              location)"
         " VALUES ((SELECT app_tenant_id()), (SELECT app_user_id()), $1::text, $2::text,"
         "         decode($3::text, 'hex'), 202, $4::text, $5::text)"
         " ON CONFLICT (tenant_id, user_id, route, key) DO UPDATE"
         "   SET body_hash = EXCLUDED.body_hash, status = EXCLUDED.status, body = EXCLUDED.body,"
         "       location = EXCLUDED.location, created_at = now()"
         "   WHERE idempotency_keys.created_at <= now() - interval '24 hours'",
         5},
        /* The job's own check when it runs: the feature may have been turned off since, or
         * the plan changed. */
        {"processing_feature_enabled",
         "SELECT $1::text = ANY (billing_plan_features())"
         "   AND coalesce((SELECT f.enabled FROM tenant_features f"
         "                  WHERE f.tenant_id = (SELECT app_tenant_id()) AND f.feature = $1::text),"
         "                true)",
         1},
        /* Every feature of the plan ("plan", enabled unless switched off) and every switch. */
        {"processing_features",
         "SELECT f.feature, f.enabled, false FROM tenant_features f"
         " WHERE f.tenant_id = (SELECT app_tenant_id())"
         " UNION ALL SELECT p, NULL, true FROM unnest(billing_plan_features()) p",
         0},
        /* Whether the plan includes the feature, and the cheapest plan that does. */
        {"processing_feature_plan",
         "SELECT $1::text = ANY (billing_plan_features()), billing_feature_plan($1::text)", 1},
        /* Admin+ by route; the policies of 0006 refuse anyone else regardless. The audit row is
         * a CTE of the same statement: it exists if and only if the change does. */
        {"processing_feature_set",
         "WITH up AS ("
         "  INSERT INTO tenant_features AS f (tenant_id, feature, enabled, updated_by)"
         "  VALUES ((SELECT app_tenant_id()), $1::text, $2::bool, (SELECT app_user_id()))"
         "  ON CONFLICT (tenant_id, feature) DO UPDATE"
         "   SET enabled = EXCLUDED.enabled, updated_by = EXCLUDED.updated_by"
         "  RETURNING f.tenant_id, f.feature, f.enabled),"
         " audit AS ("
         "  INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
         "  SELECT u.tenant_id, (SELECT app_user_id()),"
         "         CASE WHEN u.enabled THEN 'feature.enabled' ELSE 'feature.disabled' END,"
         "         u.feature, nullif($3::text, '')::inet, $4::text FROM up u)"
         " SELECT u.feature, u.enabled FROM up u",
         4},
        {NULL, NULL, 0},
};

/* A parameter array in the request arena. */
static const char **params(struct mh_tx *tx, int n)
{
	return mh_arena_alloc(tx->req->arena, sizeof(const char *) * (size_t)n);
}

int processing_repo_lock_key(struct mh_tx *tx, const char *route, const char *key)
{
	const char **p = params(tx, 2);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = route;
	p[1] = key;
	return mh_tx_query(tx, "processing_lock_key", p, 2);
}

int processing_repo_prior_key(struct mh_tx *tx, const char *route, const char *key)
{
	const char **p = params(tx, 2);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = route;
	p[1] = key;
	return mh_tx_query(tx, "processing_prior_key", p, 2);
}

int processing_repo_check(struct mh_tx *tx, const char *document_id, const char *feature,
                          const char *unique_key)
{
	const char **p = params(tx, 3);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = document_id;
	p[1] = feature;
	p[2] = unique_key;
	return mh_tx_query(tx, "processing_check", p, 3);
}

int processing_repo_audit_queued(struct mh_tx *tx, const char *unique_key, const char *feature)
{
	const char **p = params(tx, 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = unique_key;
	p[1] = feature;
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "processing_audit_queued", p, 4);
}

int processing_repo_store_key(struct mh_tx *tx, const char *route,
                              const struct processing_request *in, const char *response,
                              const char *location)
{
	const char **p = params(tx, 5);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = route;
	p[1] = in->idempotency_key;
	p[2] = in->body_hash;
	p[3] = response;
	p[4] = location;
	return mh_tx_query(tx, "processing_store_key", p, 5);
}

int processing_repo_feature_enabled(struct mh_tx *tx, const char *feature)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = feature;
	return mh_tx_query(tx, "processing_feature_enabled", p, 1);
}

int processing_repo_feature_plan(struct mh_tx *tx, const char *feature)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = feature;
	return mh_tx_query(tx, "processing_feature_plan", p, 1);
}

int processing_repo_features(struct mh_tx *tx)
{
	return mh_tx_query(tx, "processing_features", NULL, 0);
}

int processing_repo_feature_set(struct mh_tx *tx, const char *feature, int enabled)
{
	const char **p = params(tx, 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = feature;
	p[1] = enabled ? "true" : "false";
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "processing_feature_set", p, 4);
}
