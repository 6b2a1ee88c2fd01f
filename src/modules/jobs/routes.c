/* routes.c - the jobs module: its route table with each route's declared input
 * (core/input.h), and its registration. The handlers live in service.c and stream.c. */
#include "modules/jobs/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field id_param[] = {
        {"id", MH_T_UUID, .not_found = "no such job"},
        {0},
};

static const struct mh_field list_query[] = {
        [JOBS_LIST_LIMIT] = {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = JOBS_PAGE_MAX,
                             .def = JOBS_PAGE_DEFAULT},
        [JOBS_LIST_CURSOR] = {"cursor", MH_T_CURSOR, .max = 1024,
                              .description = "next_cursor of the previous page (same filters, "
                                             "else 400)."},
        [JOBS_LIST_STATUS] = {"status", MH_T_ENUM, .values = jobs_statuses, .ref = "JobStatus"},
        [JOBS_LIST_DOCUMENT] = {"document_id", MH_T_UUID,
                                .description = "Jobs about this document."},
        {0},
};

static int jobs_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(jobs_stream_statements) < 0)
		return -1;
	return mh_db_register(jobs_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response list_jobs_responses[] = {
        {200, "A page of jobs.", "JobList",
         .example = "{\"data\":[{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"kind\":\"document.process\",\"status\":\"succeeded\","
                    "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":1,"
                    "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"result\":{\"feature\":\"stats\",\"words\":120},\"error\":null,"
                    "\"webhook_url\":null,\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"finished_at\":\"2026-11-24T10:15:30.456789Z\"}],\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_jobs_doc = {
        .operation_id = "listJobs",
        .summary = "List the tenant's jobs, newest first (viewer+)",
        .description = "Keyset pagination: pass next_cursor back as cursor with the same "
                       "filters.",
        .responses = list_jobs_responses,
};

static const struct mh_doc_response get_job_responses[] = {
        {200, "The job.", "JobResponse",
         .example = "{\"data\":{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"kind\":\"document.process\",\"status\":\"succeeded\","
                    "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":1,"
                    "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"result\":{\"feature\":\"stats\",\"words\":120},\"error\":null,"
                    "\"webhook_url\":null,\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"finished_at\":\"2026-11-24T10:15:30.456789Z\"}}"},
        {404, "No such job in your tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such job\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc get_job_doc = {
        .operation_id = "getJob",
        .summary = "A job's status and result (viewer+)",
        .description = "Poll it, or follow GET /api/v1/jobs/{id}/events for live changes.",
        .responses = get_job_responses,
};

static const struct mh_doc_response stream_job_events_responses[] = {
        {200, "The event stream (never ends by itself before 15 minutes).",
         .content =
                 "{\"text/event-stream\":{\"schema\":{\"type\":\"string\","
                 "\"contentMediaType\":\"text/event-stream\"},\"example\":\": hi\\n\\nid: "
                 "1795526518:0\\ndata: {\\\"id\\\":\\\"0b5c5f3e-6a47-4f0e-9a51-3f9f0e4b2c11\\\","
                 "\\\"status\\\":\\\"queued\\\",\\\"attempts\\\":0}\\n\\nid: 1795526518:1\\ndata: "
                 "{\\\"id\\\":\\\"0b5c5f3e-6a47-4f0e-9a51-3f9f0e4b2c11\\\","
                 "\\\"status\\\":\\\"running\\\",\\\"attempts\\\":1}\\n\\n\"}}",
         .headers = "-"},
        {404, "No such job in the caller's tenant (or a malformed id).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such job\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {406, "The request does not accept `text/event-stream`.", .errors = "not_acceptable",
         .example = "{\"error\":\"not_acceptable\",\"message\":\"this endpoint answers "
                    "text/event-stream only; send Accept: text/event-stream\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc stream_job_events_doc = {
        .operation_id = "streamJobEvents",
        .summary = "Follow a job's status changes as Server-Sent Events (viewer+)",
        .description = "Send `Accept: text/event-stream` and the bearer token (browsers: a "
                       "fetch-based EventSource, since the built-in one cannot send "
                       "`Authorization`). Menhir checks that the job belongs to the caller's "
                       "tenant and hands the connection to nginx (nchan), which holds the "
                       "stream: no Menhir worker is held while it is open.\n\nEach event's "
                       "`data` is the job as `GET /api/v1/jobs/{id}` shows it, one line of "
                       "JSON, published at every status change (`queued`, `running`, "
                       "`succeeded`, `failed`, `dead`, `cancelled`, and `queued` again "
                       "before a retry). Events published before the client subscribed are "
                       "replayed first, oldest first (the last 32, for one hour), so "
                       "subscribing after `POST /api/v1/documents/{id}/process` misses "
                       "nothing; each event has an `id`, and a client that reconnects with "
                       "`Last-Event-ID` gets only what it missed. A comment line (`:`) is "
                       "sent every 15 s to keep idle connections open. The stream ends after "
                       "15 minutes (reconnect with a fresh token), and at most 100 streams "
                       "may be open per client address (429). Events are a convenience: the "
                       "job's row stays the truth.",
        .responses = stream_job_events_responses,
};

static const struct mh_doc_response cancel_job_responses[] = {
        {200, "The cancelled job.", "JobResponse",
         .example = "{\"data\":{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"kind\":\"document.process\",\"status\":\"succeeded\","
                    "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":1,"
                    "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"result\":{\"feature\":\"stats\",\"words\":120},\"error\":null,"
                    "\"webhook_url\":null,\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"finished_at\":\"2026-11-24T10:15:30.456789Z\"}}"},
        {404, "No such job in your tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such job\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {409, "The job is not queued.", .errors = "invalid_state",
         .example = "{\"error\":\"invalid_state\",\"message\":\"a running job cannot be cancelled "
                    "(only "
                    "queued jobs can)\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc cancel_job_doc = {
        .operation_id = "cancelJob",
        .summary = "Cancel a queued job (member+: own jobs; admin+: any)",
        .description = "Only a queued job can be cancelled; a running one finishes.",
        .responses = cancel_job_responses,
};

static const struct mh_doc_response retry_job_responses[] = {
        {200, "The job, queued again.", "JobResponse",
         .example = "{\"data\":{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"kind\":\"document.process\",\"status\":\"succeeded\","
                    "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":1,"
                    "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"result\":{\"feature\":\"stats\",\"words\":120},\"error\":null,"
                    "\"webhook_url\":null,\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"finished_at\":\"2026-11-24T10:15:30.456789Z\"}}"},
        {404, "No such job in your tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such job\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {409, "The job is not failed or dead, or the same work is already active.",
         .errors = "invalid_state",
         .example =
                 "{\"error\":\"invalid_state\",\"message\":\"a succeeded job cannot be retried "
                 "(only "
                 "failed or dead jobs can)\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc retry_job_doc = {
        .operation_id = "retryJob",
        .summary = "Queue a failed or dead job again (admin+)",
        .description = "Attempts start from zero; the same unique work may not be active "
                       "twice (409).",
        .responses = retry_job_responses,
};

static const struct mh_route jobs_routes[] = {
        {MH_GET, "/api/v1/jobs", jobs_list, MH_API_KEY, MH_ROLE_VIEWER, .query = list_query,
         .doc = &list_jobs_doc},
        {MH_GET, "/api/v1/jobs/:id", jobs_get, MH_API_KEY, MH_ROLE_VIEWER, id_param, .doc = &get_job_doc},
        {MH_GET, "/api/v1/jobs/:id/events", jobs_stream, MH_API_KEY, MH_ROLE_VIEWER, id_param,
         .doc = &stream_job_events_doc},
        {MH_POST, "/api/v1/jobs/:id/cancel", jobs_cancel, MH_API_KEY, MH_ROLE_MEMBER, id_param,
         .doc = &cancel_job_doc},
        {MH_POST, "/api/v1/jobs/:id/retry", jobs_retry, MH_API_KEY, MH_ROLE_ADMIN, id_param,
         .doc = &retry_job_doc},
        {0},
};

const struct mh_module jobs_module = {
        .name = "jobs",
        .routes = jobs_routes,
        .init = jobs_init,
        .doc = &jobs_doc,
        .on_job_status = jobs_on_status,
};
