/* internal.h - what the processing module's files share (not for other modules). */
#ifndef PROCESSING_INTERNAL_H
#define PROCESSING_INTERNAL_H

#include "core/db.h"
#include "core/http.h"
#include "core/queue.h"
#include "modules/processing/features.h"
#include "modules/processing/processing.h"

/* The job kind that runs a feature on a document (run.c). */
#define PROCESSING_KIND "document.process"
/* The payload member naming the document (the jobs API shows and filters by it). */
#define PROCESSING_PAYLOAD_DOCUMENT "document_id"

/* A validated POST /documents/:id/process. */
struct processing_request {
	const char *document_id;
	const struct processing_feature *feature;
	struct feature_params params;
	const char *webhook_url;     /* NULL when none */
	const char *idempotency_key; /* NULL when none */
	const char *body_hash;       /* SHA-256 hex of the raw body, with a key */
};

/* ---- service.c: the use cases; each answers the client and returns 0, or -1 (500) ---- */

int processing_enqueue(struct mh_request *req, struct mh_response *res,
                       const struct processing_request *in);
int processing_features_list(struct mh_request *req, struct mh_response *res);
int processing_feature_set(struct mh_request *req, struct mh_response *res,
                           const struct processing_feature *f, int enabled);

/* ---- run.c: the job kind ---------------------------------------------------------------- */

enum mh_job_outcome processing_run_job(const struct mh_job *job, struct mh_job_run *run);

/* ---- repo.c: the SQL. Each queues one statement and returns its index (or MH_DB_ERROR) -- */

extern const struct mh_db_statement processing_statements[];

/* Columns of processing_repo_check. */
enum {
	PROCESSING_CHECK_DOC_LIVE, /* the document is visible and not deleted (NULL: no row) */
	PROCESSING_CHECK_WRITABLE, /* the caller may change it */
	PROCESSING_CHECK_RANK,     /* the caller's role rank (app_role_rank) */
	PROCESSING_CHECK_ENABLED,  /* the feature is enabled for the tenant */
	PROCESSING_CHECK_ACTIVE,   /* the id of an active job with the same unique key, or NULL */
	PROCESSING_CHECK_IN_PLAN,  /* the tenant's plan includes the feature */
	PROCESSING_CHECK_PLAN_WITH, /* the cheapest plan that does, or NULL */
};
/* Columns of processing_repo_prior_key: a stored response to replay. */
enum {
	PROCESSING_PRIOR_HASH,
	PROCESSING_PRIOR_STATUS,
	PROCESSING_PRIOR_BODY,
	PROCESSING_PRIOR_LOCATION
};
/* Columns of processing_repo_features: name, the switch (NULL on a plan row), from the plan. */
enum { PROCESSING_FEATURE_NAME, PROCESSING_FEATURE_ENABLED, PROCESSING_FEATURE_IN_PLAN };

/* route: "POST /api/v1/documents/<id>/process", the key's scope (one document). */
int processing_repo_lock_key(struct mh_tx *tx, const char *route, const char *key);
int processing_repo_prior_key(struct mh_tx *tx, const char *route, const char *key);
int processing_repo_check(struct mh_tx *tx, const char *document_id, const char *feature,
                          const char *unique_key);
int processing_repo_audit_queued(struct mh_tx *tx, const char *unique_key, const char *feature);
int processing_repo_store_key(struct mh_tx *tx, const char *route,
                              const struct processing_request *in, const char *response,
                              const char *location);
int processing_repo_feature_enabled(struct mh_tx *tx, const char *feature);
int processing_repo_features(struct mh_tx *tx);
int processing_repo_feature_plan(struct mh_tx *tx, const char *feature);
int processing_repo_feature_set(struct mh_tx *tx, const char *feature, int enabled);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc processing_doc;

#endif
