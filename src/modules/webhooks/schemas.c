/* schemas.c - what the webhooks module answers with: the tenant's webhook secret and delivery
 * attempts; and the webhook it sends. The schemas are declarations like any input (core/input.h),
 * named as components of the OpenAPI document (core/openapi.h); `menhir openapi` writes them and
 * the tests check real answers against them. */
#include "modules/webhooks/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field webhook_secret_members[] = {
        {"secret", MH_T_STRING, MH_REQUIRED, .pattern = "^whsec_[A-Za-z0-9_-]{43}$",
         .description = "HMAC-SHA256 key of the Menhir-Signature header."},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field webhook_secret_schema = {"WebhookSecret", MH_T_OBJECT, 0,
                                                      .fields = webhook_secret_members};

static const struct mh_field webhook_secret_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "WebhookSecret"},
        {0},
};
static const struct mh_field webhook_secret_response_schema = {
        "WebhookSecretResponse", MH_T_OBJECT, 0, .fields = webhook_secret_response_members};

static const struct mh_field webhook_secret_info_members[] = {
        {"exists", MH_T_BOOLEAN, .flags = MH_REQUIRED},
        {"created_at", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "When the current secret was made; null without one."},
        {0},
};
static const struct mh_field webhook_secret_info_schema = {"WebhookSecretInfo", MH_T_OBJECT, 0,
                                                           .fields = webhook_secret_info_members};

static const struct mh_field webhook_secret_info_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "WebhookSecretInfo"},
        {0},
};
static const struct mh_field webhook_secret_info_response_schema = {
        "WebhookSecretInfoResponse", MH_T_OBJECT, 0,
        .fields = webhook_secret_info_response_members};

static const struct mh_field webhook_delivery_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"job_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"url", MH_T_STRING, .flags = MH_REQUIRED},
        {"attempt", MH_T_INTEGER, MH_REQUIRED, .min = 1},
        {"status_code", MH_T_INTEGER, MH_REQUIRED | MH_NULLABLE,
         .description = "null when the receiver did not answer."},
        {"error", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "\"code: message\"; null for a 2xx."},
        {"duration_ms", MH_T_INTEGER, MH_REQUIRED | MH_NULLABLE, .min = 0,
         .description = "null when no request was sent (no secret, URL refused)."},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field webhook_delivery_schema = {"WebhookDelivery", MH_T_OBJECT, 0,
                                                        .fields = webhook_delivery_members};

static const struct mh_field webhook_delivery_list_data_item = {NULL, MH_T_OBJECT, 0,
                                                                .ref = "WebhookDelivery"};
static const struct mh_field webhook_delivery_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &webhook_delivery_list_data_item},
        {"next_cursor", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {0},
};
static const struct mh_field webhook_delivery_list_schema = {
        "WebhookDeliveryList", MH_T_OBJECT, 0, .fields = webhook_delivery_list_members};

static const char *const webhook_event_type_values[] = {"job.succeeded", "job.failed", "job.dead",
                                                        NULL};
static const struct mh_field webhook_event_members[] = {
        {"id", MH_T_STRING, MH_REQUIRED, .pattern = "^evt_[0-9a-f-]{36}$",
         .description = "The same on every attempt of one delivery: drop repeats."},
        {"type", MH_T_ENUM, MH_REQUIRED, .values = webhook_event_type_values},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Job"},
        {0},
};
static const struct mh_field webhook_event_schema = {"WebhookEvent", MH_T_OBJECT, 0,
                                                     .fields = webhook_event_members};

static const struct mh_field *const webhooks_schemas[] = {
        &webhook_secret_schema,      &webhook_secret_response_schema,
        &webhook_secret_info_schema, &webhook_secret_info_response_schema,
        &webhook_delivery_schema,    &webhook_delivery_list_schema,
        &webhook_event_schema,       NULL,
};

const struct mh_module_doc webhooks_doc = {
        .tag = "webhooks",
        .description = "Signed webhook deliveries of job results: the tenant's signing "
                       "secret and each job's delivery attempts.",
        .schemas = webhooks_schemas,
        .webhooks = "{\"jobFinished\":{\"post\":{\"operationId\":\"jobFinishedWebhook\","
                    "\"tags\":[\"webhooks\"],\"security\":[],\"summary\":\"A job with a webhook_url "
                    "reached "
                    "a final status\",\"description\":\"POSTed to the job's webhook_url by "
                    "`menhir work`, signed like Stripe: `Menhir-Signature: t=<unix seconds>,"
                    "v1=<hex HMAC-SHA256(secret, \\\"<t>.<raw body>\\\")>`. Verify the "
                    "signature over the raw body with the tenant's secret, compare in "
                    "constant time, and reject when |now - t| > 5 minutes. Any non-2xx "
                    "answer (or none within webhook_timeout) is retried with exponential "
                    "backoff until webhook_max_attempts; redirects are not followed.\","
                    "\"parameters\":[{\"name\":\"Menhir-Signature\",\"in\":\"header\","
                    "\"required\":true,\"schema\":{\"type\":\"string\","
                    "\"pattern\":\"^t=[0-9]+,v1=[0-9a-f]{64}$\"}},"
                    "{\"name\":\"Menhir-Event-Id\",\"in\":\"header\",\"required\":true,"
                    "\"schema\":{\"type\":\"string\"}},{\"name\":\"User-Agent\","
                    "\"in\":\"header\",\"required\":true,"
                    "\"schema\":{\"const\":\"Menhir-Webhooks/1\"}}],"
                    "\"requestBody\":{\"required\":true,"
                    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/s"
                    "chemas/WebhookEvent\"},"
                    "\"example\":{\"id\":\"evt_5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b\","
                    "\"type\":\"job.succeeded\","
                    "\"created_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"data\":{\"id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                    "\"kind\":\"document.process\",\"status\":\"succeeded\","
                    "\"document_id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\",\"attempts\":1,"
                    "\"max_attempts\":5,\"run_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"result\":{\"feature\":\"stats\",\"words\":120},\"error\":null,"
                    "\"webhook_url\":\"https://hooks.example.com/menhir\","
                    "\"created_by\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.456789Z\","
                    "\"finished_at\":\"2026-11-24T10:15:30.456789Z\"}}}}},"
                    "\"responses\":{\"2XX\":{\"description\":\"Taken: not sent again.\"},"
                    "\"default\":{\"description\":\"Any other answer, or none: sent again "
                    "after a backoff.\"}}}}}",
};
