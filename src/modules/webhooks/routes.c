/* routes.c - the webhooks module: its route table (each route's declared input, core/input.h,
 * and its handler, which hands over to service.c), its job kind and its end-of-job hook
 * (deliver.c). */
#include "modules/webhooks/internal.h"

#include "core/input.h"
#include "core/openapi.h"

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field job_param[] = {
        {"id", MH_T_UUID, .not_found = "no such job",
         .description = "The job whose result was delivered. A malformed id is a 404 like an "
                        "unknown one."},
        {0},
};

enum { PAGE_LIMIT };
static const struct mh_field page_query[] = {
        MH_PAGE_QUERY(WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX),
        {0},
};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/tenants/current/webhook-secret (admin+, no body) 201 {secret, created_at}:
 * a new secret replaces the old one at once; this answer is the only place it appears. */
static int handle_secret_rotate(struct mh_request *req, struct mh_response *res)
{
	return webhooks_secret_rotate(req, res);
}

/* GET /api/v1/tenants/current/webhook-secret (admin+) 200 {exists, created_at}. */
static int handle_secret_show(struct mh_request *req, struct mh_response *res)
{
	return webhooks_secret_show(req, res);
}

/* GET /api/v1/jobs/:id/deliveries?limit=&cursor= (viewer+) 200 list, oldest first; 404 for
 * a job that is not the tenant's (or a malformed id, which names no job). */
static int handle_deliveries(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return webhooks_deliveries_list(req, res, mh_in_path(req, 0)->s, &page);
}

static int webhooks_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(webhooks_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response rotate_webhook_secret_responses[] = {
        {201, "The new secret.", "WebhookSecretResponse", .headers = "Cache-Control Location",
         .example = "{\"data\":{\"secret\":\"whsec_q0Xw3Jd5bYcT1lK7nV9mR2sA4eF6gH8iJ0kL1mN3oP5\","
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\"}}"},
        {0},
};
static const struct mh_route_doc rotate_webhook_secret_doc = {
        .operation_id = "rotateWebhookSecret",
        .summary = "Make a new webhook signing secret (admin+); the old one stops signing at "
                   "once",
        .description = "The answer is the only time the secret is shown (Cache-Control: "
                       "no-store); store it in the receiver. Audited as "
                       "webhook_secret.rotated (without the secret). Takes no body.",
        .responses = rotate_webhook_secret_responses,
};

static const struct mh_doc_response get_webhook_secret_responses[] = {
        {200, "The secret's existence and age.", "WebhookSecretInfoResponse",
         .headers = "Cache-Control",
         .example = "{\"data\":{\"exists\":true,\"created_at\":\"2026-11-24T10:15:30.123456Z\"}}"},
        {0},
};
static const struct mh_route_doc get_webhook_secret_doc = {
        .operation_id = "getWebhookSecret",
        .summary = "Whether the tenant has a webhook signing secret, and since when (admin+)",
        .description = "Never the secret itself: it is shown once, by POST.",
        .responses = get_webhook_secret_responses,
};

static const struct mh_doc_response list_webhook_deliveries_responses[] = {
        {200, "The attempts.", "WebhookDeliveryList", .headers = "Cache-Control",
         .example =
                 "{\"data\":[{\"id\":\"7c2d1e0f-4a5b-4c6d-8e7f-9a0b1c2d3e4f\","
                 "\"job_id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                 "\"url\":\"https://hooks.example.com/menhir\",\"attempt\":1,\"status_code\":503,"
                 "\"error\":\"http_status: the receiver answered 503\",\"duration_ms\":84,"
                 "\"created_at\":\"2026-11-24T10:15:31.123456Z\"},"
                 "{\"id\":\"8d3e2f10-5b6c-4d7e-9f80-a1b2c3d4e5f6\","
                 "\"job_id\":\"0b9f1c2e-3d4a-4b5c-8d6e-7f8091a2b3c4\","
                 "\"url\":\"https://hooks.example.com/menhir\",\"attempt\":2,\"status_code\":200,"
                 "\"error\":null,\"duration_ms\":61,\"created_at\":\"2026-11-24T10:15:33.123456Z\"}"
                 "],"
                 "\"next_cursor\":null}"},
        {404, "No such job in your tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such job\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc list_webhook_deliveries_doc = {
        .operation_id = "listWebhookDeliveries",
        .summary = "A job's webhook delivery attempts, oldest first (viewer+)",
        .description = "One row per attempt: the receiver's status code, or the error when "
                       "it did not answer (timeout, TLS, refused address, no secret...).",
        .responses = list_webhook_deliveries_responses,
};

static const struct mh_route webhooks_routes[] = {
        {MH_POST, "/api/v1/tenants/current/webhook-secret", handle_secret_rotate, MH_API_KEY, MH_ROLE_ADMIN,
         .doc = &rotate_webhook_secret_doc},
        {MH_GET, "/api/v1/tenants/current/webhook-secret", handle_secret_show, MH_API_KEY, MH_ROLE_ADMIN,
         .doc = &get_webhook_secret_doc},
        {MH_GET, "/api/v1/jobs/:id/deliveries", handle_deliveries, MH_API_KEY, MH_ROLE_VIEWER, job_param,
         page_query, .doc = &list_webhook_deliveries_doc},
        {0},
};

const struct mh_module webhooks_module = {
        .name = "webhooks",
        .routes = webhooks_routes,
        .init = webhooks_init,
        .job_kinds = webhooks_job_kinds,
        .on_job_finished = webhooks_on_job_finished,
        .doc = &webhooks_doc,
        .settings = &webhooks_config,
};
