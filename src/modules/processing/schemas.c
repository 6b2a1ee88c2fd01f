/* schemas.c - what the processing module answers with: features and queued processing jobs; and the
 * headers of a refused request. The schemas are declarations like any input (core/input.h), named
 * as components of the OpenAPI document (core/openapi.h); `menhir openapi` writes them and the
 * tests check real answers against them. */
#include "modules/processing/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field feature_name_schema = {
        "FeatureName", MH_T_ENUM, 0, .values = processing_feature_names,
        .description = "A processing feature (GET /api/v1/tenants/current/features lists them)."};

static const struct mh_field feature_members[] = {
        {"name", MH_T_OBJECT, MH_REQUIRED, .ref = "FeatureName"},
        {"description", MH_T_STRING, .flags = MH_REQUIRED},
        {"in_plan", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "The tenant's plan includes it (GET /tenants/current/subscription)."},
        {"enabled", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "Whether the tenant may run it: in the plan, and not switched off by "
                        "an admin."},
        {"rewrites_document", MH_T_BOOLEAN, MH_REQUIRED,
         .description =
                 "True when the result is a new version of the document (redact): running it "
                 "needs the right to change the document."},
        {0},
};
static const struct mh_field feature_schema = {"Feature", MH_T_OBJECT, 0,
                                               .fields = feature_members};

static const struct mh_field feature_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Feature"},
        {0},
};
static const struct mh_field feature_response_schema = {"FeatureResponse", MH_T_OBJECT, 0,
                                                        .fields = feature_response_members};

static const struct mh_field feature_list_data_item = {NULL, MH_T_OBJECT, 0, .ref = "Feature"};
static const struct mh_field feature_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &feature_list_data_item},
        {0},
};
static const struct mh_field feature_list_schema = {"FeatureList", MH_T_OBJECT, 0,
                                                    .fields = feature_list_members};

static const char *const process_accepted_data_status_const[] = {"queued", NULL};
static const struct mh_field process_accepted_data_members[] = {
        {"job_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"status", MH_T_ENUM, MH_REQUIRED, .values = process_accepted_data_status_const},
        {"job", MH_T_OBJECT, MH_REQUIRED, .ref = "Job"},
        {0},
};
static const struct mh_field process_accepted_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .fields = process_accepted_data_members},
        {0},
};
static const struct mh_field process_accepted_schema = {"ProcessAccepted", MH_T_OBJECT, 0,
                                                        .fields = process_accepted_members};

static const struct mh_field *const processing_schemas[] = {
        &feature_name_schema, &feature_schema,          &feature_response_schema,
        &feature_list_schema, &process_accepted_schema, NULL,
};

const struct mh_module_doc processing_doc = {
        .tag = "processing",
        .description = "Processing features run on documents as background jobs, and the "
                       "tenant's switches for them.",
        .schemas = processing_schemas,
        .headers = "{\"Location-Active-Job\":{\"description\":\"already_queued: the active "
                   "job's address.\",\"required\":false,\"schema\":{\"type\":\"string\"}},"
                   "\"Retry-After-Optional\":{\"description\":\"idempotency_key_in_use: "
                   "seconds to wait before retrying.\",\"required\":false,"
                   "\"schema\":{\"type\":\"integer\",\"minimum\":0}}}",
};
