/* schemas.c - what the jobs module answers with: jobs and pages of them. The schemas are
 * declarations like any input (core/input.h), named as components of the OpenAPI document
 * (core/openapi.h); `menhir openapi` writes them and the tests check real answers against them. */
#include "modules/jobs/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field job_status_schema = {"JobStatus", MH_T_ENUM, 0,
                                                  .values = jobs_statuses};

static const struct mh_field job_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"kind", MH_T_STRING, MH_REQUIRED,
         .description = "What the job does, e.g. document.process."},
        {"status", MH_T_OBJECT, MH_REQUIRED, .ref = "JobStatus"},
        {"document_id", MH_T_UUID, .flags = MH_REQUIRED | MH_NULLABLE},
        {"attempts", MH_T_INTEGER, MH_REQUIRED, .min = 0,
         .description = "Runs started so far, including runs whose worker died."},
        {"max_attempts", MH_T_INTEGER, MH_REQUIRED, .min = 1},
        {"run_at", MH_T_TIMESTAMP, MH_REQUIRED,
         .description = "When the job is (or was) due; a retry moves it by the backoff."},
        {"result", MH_T_OBJECT, MH_REQUIRED,
         .schema = "{\"description\": \"The job's result once it succeeded (an object), else "
                   "null.\"}"},
        {"error", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "\"code: message\" of the last failed run."},
        {"webhook_url", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {"created_by", MH_T_UUID, .flags = MH_REQUIRED | MH_NULLABLE},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"updated_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"finished_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED | MH_NULLABLE},
        {0},
};
static const struct mh_field job_schema = {"Job", MH_T_OBJECT, 0, .fields = job_members};

static const struct mh_field job_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Job"},
        {0},
};
static const struct mh_field job_response_schema = {"JobResponse", MH_T_OBJECT, 0,
                                                    .fields = job_response_members};

static const struct mh_field job_list_data_item = {NULL, MH_T_OBJECT, 0, .ref = "Job"};
static const struct mh_field job_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &job_list_data_item},
        {"next_cursor", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {0},
};
static const struct mh_field job_list_schema = {"JobList", MH_T_OBJECT, 0,
                                                .fields = job_list_members};

static const struct mh_field *const jobs_schemas[] = {
        &job_status_schema, &job_schema, &job_response_schema, &job_list_schema, NULL,
};

const struct mh_module_doc jobs_doc = {
        .tag = "jobs",
        .description = "Background jobs: status, lists, cancel, retry, live events.",
        .schemas = jobs_schemas,
};
