/* routes.c - the processing module's route table, handlers and job kind. A handler reads and
 * checks the input (validate.c) and hands typed values to the service; it decides nothing
 * else. Minimum roles live in the table (the dispatcher and app_enter enforce them); the rules
 * that need the document (rewriting features need the right to change it) live in the service
 * and in RLS. */
#include "modules/processing/internal.h"

/* POST /api/v1/documents/:id/process {feature, parameters?, webhook_url?} [Idempotency-Key]
 * (member+; the right to change the document for a feature that rewrites it) 202 + Location;
 * 400; 403 forbidden / feature_disabled; 404; 409 already_queued / key in use; 415; 422. */
static int handle_process(struct mh_request *req, struct mh_response *res)
{
	struct processing_request in;
	int rc;

	if ((rc = processing_request_or_reply(req, res, &in)) <= 0)
		return rc;
	return processing_enqueue(req, res, &in);
}

/* GET /api/v1/tenants/current/features (viewer+) 200 every feature with `enabled`. */
static int handle_features(struct mh_request *req, struct mh_response *res)
{
	if (!processing_no_query_or_reply(req, res) || !processing_no_body_or_reply(req, res))
		return 0;
	return processing_features_list(req, res);
}

/* PUT /api/v1/tenants/current/features/:feature {enabled} (admin+) 200; 400; 404 unknown
 * feature; 422. */
static int handle_feature_set(struct mh_request *req, struct mh_response *res)
{
	const struct processing_feature *f = processing_feature_or_reply(req, res);
	int enabled = 0;

	if (f == NULL || !processing_no_query_or_reply(req, res) ||
	    !processing_enabled_or_reply(req, res, &enabled))
		return 0;
	return processing_feature_set(req, res, f, enabled);
}

static int processing_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(processing_statements);
}

static const struct mh_route processing_routes[] = {
        {MH_POST, "/api/v1/documents/:id/process", handle_process, MH_JSON_BODY, MH_ROLE_MEMBER},
        {MH_GET, "/api/v1/tenants/current/features", handle_features, 0, MH_ROLE_VIEWER},
        {MH_PUT, "/api/v1/tenants/current/features/:feature", handle_feature_set, MH_JSON_BODY,
         MH_ROLE_ADMIN},
        {0},
};

/* The runner enters the creator's context with at least member: the role that queued it. */
static const struct mh_job_kind processing_kinds[] = {
        {.name = PROCESSING_KIND, .run = processing_run_job, .min_role = MH_ROLE_MEMBER},
        {0},
};

const struct mh_module processing_module = {
        .name = "processing",
        .routes = processing_routes,
        .init = processing_init,
        .job_kinds = processing_kinds,
};
