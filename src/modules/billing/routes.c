/* routes.c - the billing module's route table with each route's declared input, its
 * handlers, its job kind and the module's registration. Reading the subscription and usage
 * is for any member (viewer+); anything that can change what the tenant pays is the
 * owner's. The provider's webhook is public: its signature is its authentication. */
#include "modules/billing/internal.h"

#include "core/input.h"
#include "core/openapi.h"

/* ---- Declared input --------------------------------------------------------------------- */

enum { CHECKOUT_PLAN };
static const struct mh_field checkout_members[] = {
        [CHECKOUT_PLAN] = {"plan", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 32,
                           .pattern = "^[a-z][a-z0-9_]{0,31}$",
                           .description = "The plan to subscribe to (GET /billing/plans)."},
        {0},
};
static const struct mh_field checkout_body = {"CheckoutRequest", MH_T_OBJECT,
                                              .fields = checkout_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* GET /api/v1/tenants/current/usage (viewer+) 200 every meter. */
static int handle_usage(struct mh_request *req, struct mh_response *res)
{
	return billing_usage_get(req, res);
}

/* GET /api/v1/tenants/current/subscription (viewer+) 200. */
static int handle_subscription(struct mh_request *req, struct mh_response *res)
{
	return billing_subscription_get(req, res);
}

/* GET /api/v1/billing/plans (viewer+) 200 the offered plans and the tenant's own. */
static int handle_plans(struct mh_request *req, struct mh_response *res)
{
	return billing_plans_list(req, res);
}

/* POST /api/v1/billing/checkout {plan} (owner) 200 {url}; 404 no such plan; 409 on it
 * already; 422 not offered or not sold; 502 the provider failed; 503 not configured. */
static int handle_checkout(struct mh_request *req, struct mh_response *res)
{
	return billing_checkout(req, res, mh_in_body(req, CHECKOUT_PLAN)->s);
}

/* POST /api/v1/billing/portal (owner) 200 {url}; 409 no_customer; 502; 503. */
static int handle_portal(struct mh_request *req, struct mh_response *res)
{
	return billing_portal(req, res);
}

/* POST /api/v1/billing/webhooks/stripe (public, raw body): see webhook.c. */
static int handle_webhook(struct mh_request *req, struct mh_response *res)
{
	return billing_webhook_receive(req, res);
}

static int billing_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(billing_statements) < 0)
		return -1;
	return billing_limits_init();
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

#define RID "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\""

static const struct mh_doc_response usage_responses[] = {
        {200,
         "Every meter of the tenant's plan: its limit (null: unlimited), the amount used "
         "and, for monthly quotas, when the period ends (null for seats, documents and "
         "storage, which are counted as they stand).",
         "UsageList",
         .example = "{\"data\":[{\"meter\":\"documents\",\"limit\":1000,\"used\":12,"
                    "\"period_end\":null},{\"meter\":\"jobs\",\"limit\":1000,\"used\":3,"
                    "\"period_end\":\"2026-12-01T00:00:00Z\"}]}"},
        {0},
};
static const struct mh_route_doc usage_doc = {
        .operation_id = "getUsage",
        .summary = "The tenant's usage against its plan's limits (viewer+)",
        .responses = usage_responses,
};

static const struct mh_doc_response subscription_responses[] = {
        {200, "The tenant's subscription and its plan's limits and features.",
         "SubscriptionResponse",
         .example = "{\"data\":{\"plan\":\"free\",\"plan_title\":\"Free\",\"status\":\"active\","
                    "\"current_period_start\":\"2026-12-01T00:00:00Z\","
                    "\"current_period_end\":\"2027-01-01T00:00:00Z\",\"has_customer\":false,"
                    "\"features\":[\"stats\",\"keywords\"],\"limits\":{\"seats\":5,"
                    "\"documents\":1000,\"storage_bytes\":104857600,\"jobs_per_month\":1000,"
                    "\"api_requests_per_minute\":120,\"feature_requests_per_minute\":20,"
                    "\"runs_per_feature_per_month\":500}}}"},
        {0},
};
static const struct mh_route_doc subscription_doc = {
        .operation_id = "getSubscription",
        .summary = "The tenant's subscription: plan, status, current period (viewer+)",
        .responses = subscription_responses,
};

static const struct mh_doc_response plans_responses[] = {
        {200,
         "The plans on offer and the tenant's current plan (which may not be on offer: "
         "`offered` says), cheapest first.",
         "PlanList",
         .example = "{\"data\":[{\"name\":\"free\",\"title\":\"Free\",\"purchasable\":false,"
                    "\"limits\":{\"seats\":5,\"documents\":1000,\"storage_bytes\":104857600,"
                    "\"jobs_per_month\":1000,\"api_requests_per_minute\":120,"
                    "\"feature_requests_per_minute\":20,\"runs_per_feature_per_month\":500},"
                    "\"features\":[\"stats\",\"keywords\"],\"offered\":true}]}"},
        {0},
};
static const struct mh_route_doc plans_doc = {
        .operation_id = "listPlans",
        .summary = "The plans a tenant may subscribe to (viewer+)",
        .responses = plans_responses,
};

static const struct mh_doc_response checkout_responses[] = {
        {200, "The provider's checkout page for the plan: send the owner there.", "UrlResponse",
         .example = "{\"data\":{\"url\":\"https://checkout.stripe.com/c/pay/cs_test_a1\"}}"},
        {404, "No such plan.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such plan\"," RID "}"},
        {409, "The tenant is on this plan already.", .errors = "already_on_plan",
         .example = "{\"error\":\"already_on_plan\",\"message\":\"the tenant is on this plan "
                    "already\"," RID "}"},
        {422,
         "The plan is not offered (`plan_not_offered`: kept for the tenants on it, an "
         "operator assigns it), or not sold (`plan_not_purchasable`: the free plan).",
         .errors = "plan_not_offered plan_not_purchasable",
         .example = "{\"error\":\"plan_not_purchasable\",\"message\":\"this plan is not sold: "
                    "it is the one a tenant falls back to\"," RID "}"},
        {502, "The payment provider could not be reached or refused.", .errors = "provider_error",
         .example = "{\"error\":\"provider_error\",\"message\":\"the payment provider could not "
                    "be reached or refused the request\"," RID "}"},
        {0},
};
static const struct mh_route_doc checkout_doc = {
        .operation_id = "createCheckout",
        .summary = "Start paying for a plan: a checkout session at the provider (owner)",
        .description = "The subscription changes when the provider's `checkout.session."
                       "completed` event arrives (the webhook), not when this answers. A "
                       "provider that is not configured makes this a 503.",
        .request_example = "{\"plan\":\"pro\"}",
        .responses = checkout_responses,
};

static const struct mh_doc_response portal_responses[] = {
        {200, "The provider's customer portal for this tenant.", "UrlResponse",
         .example = "{\"data\":{\"url\":\"https://billing.stripe.com/p/session/test_a1\"}}"},
        {409, "The tenant has never paid, so it has no customer at the provider.",
         .errors = "no_customer",
         .example = "{\"error\":\"no_customer\",\"message\":\"this tenant has never paid: "
                    "choose a plan first\"," RID "}"},
        {502, "The payment provider could not be reached or refused.", .errors = "provider_error",
         .example = "{\"error\":\"provider_error\",\"message\":\"the payment provider could not "
                    "be reached or refused the request\"," RID "}"},
        {0},
};
static const struct mh_route_doc portal_doc = {
        .operation_id = "createPortalSession",
        .summary = "The provider's customer portal: invoices, payment method, cancel (owner)",
        .responses = portal_responses,
};

static const struct mh_doc_response webhook_responses[] = {
        {200,
         "Received: recorded and queued once (`duplicate` for a redelivery of an event "
         "already received), or an event type this endpoint does not act on.",
         "WebhookReceived", .example = "{\"data\":{\"received\":true,\"duplicate\":false}}"},
        {400,
         "The Stripe-Signature header is missing or matches no endpoint secret "
         "(`invalid_signature`), its timestamp is more than `billing_webhook_tolerance` "
         "seconds away (`signature_expired`), or the body is not an event (`invalid_json`).",
         .errors = "invalid_signature signature_expired invalid_json bad_request",
         .example = "{\"error\":\"invalid_signature\",\"message\":\"no valid Stripe-Signature "
                    "for this body\"," RID "}"},
        {413, "The body is larger than an event can be.", .errors = "payload_too_large",
         .example = "{\"error\":\"payload_too_large\",\"message\":\"the event is too large\"," RID
                    "}"},
        {0},
};
static const struct mh_route_doc webhook_doc = {
        .operation_id = "receiveStripeWebhook",
        .summary = "The payment provider's events (signed; public)",
        .description = "Verified exactly as Stripe signs: `Stripe-Signature: t=…,v1=…`, "
                       "HMAC-SHA256 with the endpoint secret over `t`, `.` and the raw body; "
                       "any `v1` may match, the current or the previous secret (rotation). "
                       "Deduplicated by event id and applied by a background job: "
                       "checkout.session.completed, customer.subscription.created/updated/"
                       "deleted, invoice.paid and invoice.payment_failed.",
        .parameters = "[{\"name\":\"Stripe-Signature\",\"in\":\"header\",\"required\":true,"
                      "\"schema\":{\"type\":\"string\"},"
                      "\"example\":\"t=1764547200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e7"
                      "7a0e56ff536d0ce8e108d8bd\"}]",
        .request_body = "{\"required\":true,\"description\":\"The provider's event, as it "
                        "signed it.\",\"content\":{\"application/json\":{\"schema\":"
                        "{\"type\":\"object\",\"required\":[\"id\",\"type\",\"created\"]}}}}",
        .responses = webhook_responses,
};

static const struct mh_route billing_routes[] = {
        {MH_GET, "/api/v1/tenants/current/usage", handle_usage, MH_API_KEY, MH_ROLE_VIEWER,
         .doc = &usage_doc},
        {MH_GET, "/api/v1/tenants/current/subscription", handle_subscription, MH_API_KEY,
         MH_ROLE_VIEWER, .doc = &subscription_doc},
        {MH_GET, "/api/v1/billing/plans", handle_plans, MH_API_KEY, MH_ROLE_VIEWER,
         .doc = &plans_doc},
        {MH_POST, "/api/v1/billing/checkout", handle_checkout, 0, MH_ROLE_OWNER,
         .body = &checkout_body, .doc = &checkout_doc},
        {MH_POST, "/api/v1/billing/portal", handle_portal, 0, MH_ROLE_OWNER, .doc = &portal_doc},
        {MH_POST, "/api/v1/billing/webhooks/stripe", handle_webhook, MH_PUBLIC | MH_RAW_BODY,
         MH_ROLE_NONE, .doc = &webhook_doc},
        {0},
};

/* System jobs: the event's tenant is known only once it is applied. */
static const struct mh_job_kind billing_kinds[] = {
        {.name = BILLING_EVENT_KIND, .run = billing_event_job, .max_attempts = 10, .system = 1},
        {.name = BILLING_LIMITS_KIND, .run = billing_limits_job, .max_attempts = 10, .system = 1},
        {0},
};

const struct mh_module billing_module = {
        .name = "billing",
        .routes = billing_routes,
        .init = billing_init,
        .job_kinds = billing_kinds,
        .doc = &billing_doc,
        .settings = &billing_config,
        .reply_db_error = billing_reply_db_error,
};
