/* routes.c - the processing module's route table with each route's declared input
 * (core/input.h), its handlers and its job kind. A handler hands the checked values to the
 * service; it decides nothing else. Minimum roles live in the table (the dispatcher and
 * app_enter enforce them); the rules that need the document (rewriting features need the
 * right to change it) live in the service and in RLS. */
#include "modules/processing/internal.h"

#include <string.h>

#include <json-c/json.h>

#include "core/idempotency.h"
#include "core/input.h"
#include "core/openapi.h"
#include "core/ratelimit.h"
#include "modules/webhooks/webhooks.h"

/* ---- Declared input --------------------------------------------------------------------- */

/* Where a job's result goes: the webhooks module's rule (https, a public address). */
static const char *check_webhook_url(struct mh_arena *a, const char *url)
{
	const char *why = NULL;

	(void)a;
	if (webhooks_target_check(url, &why) < 0)
		return why ? why : "is not an acceptable webhook URL";
	return NULL;
}

/* The feature's parameters are the feature's to judge (their names and bounds are its own);
 * its problems come back as "parameters.<name>". */
static void check_parameters(struct mh_check *c, struct json_object *body)
{
	const struct processing_feature *f;
	struct feature_errors fe = {.n = 0};
	struct feature_params out;
	struct json_object *name, *params = NULL;

	if (!json_object_object_get_ex(body, "feature", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    (f = processing_feature_find(json_object_get_string(name))) == NULL)
		return; /* the declaration has reported it */
	if (json_object_object_get_ex(body, "parameters", &params) &&
	    !json_object_is_type(params, json_type_object))
		return;
	if (f->validate(params, mh_check_arena(c), &out, &fe) == 0)
		return;
	for (size_t i = 0; i < fe.n; i++)
		mh_check_add(c, fe.d[i].field, fe.d[i].message);
	if (fe.n == 0)
		mh_check_add(c, "parameters", "could not be read (out of memory)");
}

static const struct mh_field document_param[] = {
        {"id", MH_T_UUID, .not_found = "no such document"},
        {0},
};

enum { PROCESS_FEATURE, PROCESS_PARAMETERS, PROCESS_WEBHOOK_URL };
static const struct mh_field process_members[] = {
        [PROCESS_FEATURE] = {"feature", MH_T_ENUM, MH_REQUIRED, .values = processing_feature_names,
                             .ref = "FeatureName"},
        [PROCESS_PARAMETERS] = {"parameters", MH_T_OBJECT, MH_OPEN,
                                .description = "The feature's parameters; an unknown one is a "
                                               "400. keywords: `k` 1-50 (default 10). summary: "
                                               "`sentences` 1-20 (default 3). stats and redact "
                                               "take none."},
        [PROCESS_WEBHOOK_URL] = {"webhook_url", MH_T_STRING, .min = 1, .max = 2000,
                                 .check = check_webhook_url,
                                 .description = "Called with the job when it ends (signed); an "
                                                "https URL to a public address."},
        {0},
};
static const struct mh_field process_body = {
        "ProcessRequest", MH_T_OBJECT, .fields = process_members, .check_object = check_parameters};

static const struct mh_field feature_param[] = {
        {"feature", MH_T_ENUM, .values = processing_feature_names, .not_found = "no such feature",
         .description = "An unknown feature is a 404.", .ref = "FeatureName"},
        {0},
};

enum { SET_ENABLED };
static const struct mh_field set_members[] = {
        [SET_ENABLED] = {"enabled", MH_T_BOOLEAN, MH_REQUIRED},
        {0},
};
static const struct mh_field set_body = {"FeatureSwitch", MH_T_OBJECT, .fields = set_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/documents/:id/process {feature, parameters?, webhook_url?} [Idempotency-Key]
 * (member+; the right to change the document for a feature that rewrites it) 202 + Location;
 * 400; 403 forbidden / feature_disabled; 404; 409 already_queued / key in use; 415; 422 key
 * reused. */
static int handle_process(struct mh_request *req, struct mh_response *res)
{
	const struct mh_value *params = mh_in_body(req, PROCESS_PARAMETERS);
	struct processing_request in;
	struct feature_errors fe = {.n = 0};
	int rc;

	memset(&in, 0, sizeof(in));
	in.document_id = mh_in_path(req, 0)->s;
	in.feature = processing_feature_find(mh_in_body(req, PROCESS_FEATURE)->s);
	in.webhook_url = mh_in_body(req, PROCESS_WEBHOOK_URL)->s;
	/* Checked already (check_parameters): this only fills in the defaults. */
	if (in.feature == NULL || in.feature->validate(params->present ? params->json : NULL,
	                                               req->arena, &in.params, &fe) < 0)
		return -1;
	if ((rc = mh_idempotency_key_or_reply(req, res, &in.idempotency_key, &in.body_hash)) <= 0)
		return rc;
	/* Each feature's own rate, and the tenant's with it (MH_RATE_SCOPE: one round trip). */
	if (mh_ratelimit_check_or_reply(req, res, in.feature->name) < 0)
		return 0;
	return processing_enqueue(req, res, &in);
}

/* GET /api/v1/tenants/current/features (viewer+) 200 every feature with `enabled`. */
static int handle_features(struct mh_request *req, struct mh_response *res)
{
	return processing_features_list(req, res);
}

/* PUT /api/v1/tenants/current/features/:feature {enabled} (admin+) 200; 400; 404 unknown
 * feature. */
static int handle_feature_set(struct mh_request *req, struct mh_response *res)
{
	const struct processing_feature *f = processing_feature_find(mh_in_path(req, 0)->s);

	if (f == NULL)
		return -1; /* the declaration lists every feature */
	return processing_feature_set(req, res, f, (int)mh_in_body(req, SET_ENABLED)->i);
}

static int processing_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(processing_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response process_document_responses[] = {
        {202, "Queued (or the replay of the first response to this Idempotency-Key).",
         "ProcessAccepted", .headers = "Location Idempotent-Replayed",
         .example =
                 "{\"data\":{\"job_id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                 "\"status\":\"queued\",\"job\":{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                 "\"kind\":\"document.process\",\"status\":\"queued\","
                 "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":0,"
                 "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\",\"result\":null,"
                 "\"error\":null,\"webhook_url\":null,"
                 "\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                 "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                 "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"finished_at\":null}}}"},
        {400,
         "Malformed: the body is not a JSON object (`invalid_json`), or it has fields this "
         "endpoint does not take, a query string, or a bad Idempotency-Key (`bad_request`, "
         "`details` names each).",
         .errors = "bad_request invalid_json validation_failed",
         .example =
                 "{\"error\":\"bad_request\",\"message\":\"the body has fields this endpoint does "
                 "not accept\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {403,
         "Your role does not allow this (viewers; a member asking to rewrite someone else's "
         "document), or the feature is not enabled for your tenant (`feature_disabled`).",
         .errors = "forbidden feature_disabled",
         .example = "{\"error\":\"feature_disabled\",\"message\":\"this feature is not enabled for "
                    "your "
                    "tenant\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such document in your tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {409,
         "An identical job (same document, feature and parameters) is queued or running: "
         "`already_queued`, with its address in `Location` when known; or a request with "
         "this Idempotency-Key is in flight (`idempotency_key_in_use`, with `Retry-After`).",
         .errors = "already_queued idempotency_key_in_use",
         .headers = "Location=Location-Active-Job Retry-After=Retry-After-Optional",
         .example = "{\"error\":\"already_queued\",\"message\":\"the same feature with the same "
                    "parameters is already queued for this document: job "
                    "0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {415, "The body is not application/json.", .errors = "unsupported_media_type",
         .example = "{\"error\":\"unsupported_media_type\",\"message\":\"the request body must be "
                    "application/json\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {422, "The Idempotency-Key was used before with another body.",
         .errors = "idempotency_key_reused",
         .example = "{\"error\":\"idempotency_key_reused\",\"message\":\"this Idempotency-Key "
                    "belongs to another "
                    "request\",\"details\":[{\"field\":\"Idempotency-Key\",\"message\":\"was used "
                    "with a different request "
                    "body\"}],\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc process_document_doc = {
        .operation_id = "processDocument",
        .summary = "Run a processing feature on a document as a background job (member+)",
        .description = "Queues a `document.process` job and answers at once; follow it with "
                       "`GET /api/v1/jobs/{id}` (its `result` holds the feature's output) or "
                       "its live event stream. The feature must be enabled for the tenant. A "
                       "feature that rewrites the document (redact) needs the right to "
                       "change it: admin+, or a member on their own document. The same "
                       "feature with the same parameters is queued once per document while a "
                       "job for it is active (409).",
        .parameters = "[{\"name\":\"Idempotency-Key\",\"in\":\"header\",\"required\":false,"
                      "\"schema\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":257},"
                      "\"example\":\"\\\"8e03978e-40d5-43e8-bc93-6894a57f9324\\\"\","
                      "\"description\":\"1–255 visible ASCII characters, bare or quoted. The "
                      "same key with the same body within 24 h replays the first 202; with "
                      "another body: 422; while the first is in flight: 409.\"}]",
        .request_example = "{\"feature\":\"keywords\",\"parameters\":{\"k\":5}}",
        .responses = process_document_responses,
};

static const struct mh_doc_response list_features_responses[] = {
        {200, "Every registered feature, in a fixed order.", "FeatureList",
         .example =
                 "{\"data\":[{\"name\":\"stats\",\"description\":\"words, characters, sentences, "
                 "paragraphs and reading time\",\"enabled\":true,\"rewrites_document\":false},"
                 "{\"name\":\"redact\",\"description\":\"a new version of the document with e-mail "
                 "addresses, phone numbers and card numbers masked\",\"enabled\":false,"
                 "\"rewrites_document\":true}]}"},
        {0},
};
static const struct mh_route_doc list_features_doc = {
        .operation_id = "listFeatures",
        .summary = "The processing features and whether this tenant has them on (viewer+)",
        .responses = list_features_responses,
};

static const struct mh_doc_response set_feature_responses[] = {
        {200, "The feature as it now is.", "FeatureResponse",
         .example = "{\"data\":{\"name\":\"stats\",\"description\":\"words, characters, sentences, "
                    "paragraphs and reading time\",\"enabled\":true,\"rewrites_document\":false}}"},
        {400,
         "Malformed: the body is not a JSON object (`invalid_json`), or it has fields other "
         "than `enabled`, or a query string (`bad_request`).",
         .errors = "bad_request invalid_json validation_failed",
         .example =
                 "{\"error\":\"bad_request\",\"message\":\"the body has fields this endpoint does "
                 "not accept\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such feature.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such feature\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {415, "The body is not application/json.", .errors = "unsupported_media_type",
         .example = "{\"error\":\"unsupported_media_type\",\"message\":\"the request body must be "
                    "application/json\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc set_feature_doc = {
        .operation_id = "setFeature",
        .summary = "Switch a processing feature on or off for this tenant (admin+); audited",
        .request_example = "{\"enabled\":true}",
        .responses = set_feature_responses,
};

static const struct mh_route processing_routes[] = {
        {MH_POST, "/api/v1/documents/:id/process", handle_process, MH_API_KEY | MH_RATE_SCOPE,
         MH_ROLE_MEMBER, document_param, .body = &process_body, .doc = &process_document_doc},
        {MH_GET, "/api/v1/tenants/current/features", handle_features, MH_API_KEY, MH_ROLE_VIEWER,
         .doc = &list_features_doc},
        {MH_PUT, "/api/v1/tenants/current/features/:feature", handle_feature_set, MH_API_KEY, MH_ROLE_ADMIN,
         feature_param, .body = &set_body, .doc = &set_feature_doc},
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
        .doc = &processing_doc,
};
