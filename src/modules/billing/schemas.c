/* schemas.c - what the billing module answers with, as components of the OpenAPI document
 * (core/openapi.h): meters, the subscription, plans, a provider URL, a webhook receipt. */
#include "modules/billing/internal.h"

#include "core/input.h"
#include "core/openapi.h"

#define LIMIT(name, what)                                                                          \
	{                                                                                          \
		name, MH_T_INTEGER, MH_REQUIRED | MH_NULLABLE,                                     \
		        .description = what " (null: unlimited)."                                  \
	}

static const struct mh_field limits_members[] = {
        LIMIT("seats", "Members of the tenant"),
        LIMIT("documents", "Live documents"),
        LIMIT("storage_bytes", "Bytes of live files"),
        LIMIT("jobs_per_month", "Processing jobs per billing period"),
        LIMIT("api_requests_per_minute", "Requests per minute for the tenant (rate limit)"),
        LIMIT("feature_requests_per_minute", "Processing requests per minute per feature"),
        LIMIT("runs_per_feature_per_month", "Runs of each feature per billing period"),
        {0},
};
static const struct mh_field limits_schema = {"PlanLimits", MH_T_OBJECT, 0,
                                              .fields = limits_members};

static const struct mh_field feature_item = {NULL, MH_T_STRING, 0, .min = 1};

static const struct mh_field meter_members[] = {
        {"meter", MH_T_STRING, MH_REQUIRED, .min = 1,
         .description = "seats, documents, storage_bytes, jobs, or runs.<feature>."},
        {"limit", MH_T_INTEGER, MH_REQUIRED | MH_NULLABLE, .description = "null: unlimited."},
        {"used", MH_T_INTEGER, .flags = MH_REQUIRED},
        {"period_end", MH_T_TIMESTAMP, MH_REQUIRED | MH_NULLABLE,
         .description = "When a monthly quota renews; null for what is counted as it stands."},
        {0},
};
static const struct mh_field meter_schema = {"Meter", MH_T_OBJECT, 0, .fields = meter_members};
static const struct mh_field meter_item = {NULL, MH_T_OBJECT, 0, .ref = "Meter"};
static const struct mh_field usage_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &meter_item},
        {0},
};
static const struct mh_field usage_schema = {"UsageList", MH_T_OBJECT, 0, .fields = usage_members};

static const char *const statuses[] = {"trialing", "active", "past_due", "canceled", NULL};
static const struct mh_field subscription_members[] = {
        {"plan", MH_T_STRING, MH_REQUIRED, .min = 1},
        {"plan_title", MH_T_STRING, MH_REQUIRED, .min = 1},
        {"status", MH_T_ENUM, MH_REQUIRED, .values = statuses},
        {"current_period_start", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"current_period_end", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"has_customer", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "The tenant has paid once: the customer portal is available."},
        {"features", MH_T_ARRAY, MH_REQUIRED, .items = &feature_item,
         .description = "The processing features the plan includes."},
        {"limits", MH_T_OBJECT, MH_REQUIRED, .ref = "PlanLimits"},
        {0},
};
static const struct mh_field subscription_schema = {"Subscription", MH_T_OBJECT, 0,
                                                    .fields = subscription_members};
static const struct mh_field subscription_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Subscription"},
        {0},
};
static const struct mh_field subscription_response_schema = {
        "SubscriptionResponse", MH_T_OBJECT, 0, .fields = subscription_response_members};

static const struct mh_field plan_members[] = {
        {"name", MH_T_STRING, MH_REQUIRED, .min = 1},
        {"title", MH_T_STRING, MH_REQUIRED, .min = 1},
        {"purchasable", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "It has a price at the provider (POST /billing/checkout)."},
        {"limits", MH_T_OBJECT, MH_REQUIRED, .ref = "PlanLimits"},
        {"features", MH_T_ARRAY, MH_REQUIRED, .items = &feature_item},
        {"offered", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "On offer to every tenant; false for a plan kept for the tenants on it "
                        "(listed to them only, never sold by checkout)."},
        {0},
};
static const struct mh_field plan_schema = {"Plan", MH_T_OBJECT, 0, .fields = plan_members};
static const struct mh_field plan_item = {NULL, MH_T_OBJECT, 0, .ref = "Plan"};
static const struct mh_field plans_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &plan_item},
        {0},
};
static const struct mh_field plans_schema = {"PlanList", MH_T_OBJECT, 0, .fields = plans_members};

static const struct mh_field url_members[] = {
        {"url", MH_T_URL, MH_REQUIRED, .max = 2000},
        {0},
};
static const struct mh_field url_schema = {"ProviderUrl", MH_T_OBJECT, 0, .fields = url_members};
static const struct mh_field url_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "ProviderUrl"},
        {0},
};
static const struct mh_field url_response_schema = {"UrlResponse", MH_T_OBJECT, 0,
                                                    .fields = url_response_members};

static const struct mh_field received_members[] = {
        {"received", MH_T_BOOLEAN, .flags = MH_REQUIRED},
        {"duplicate", MH_T_BOOLEAN, MH_REQUIRED,
         .description = "The event id was received before: nothing was queued again."},
        {0},
};
static const struct mh_field received_schema = {"WebhookReceipt", MH_T_OBJECT, 0,
                                                .fields = received_members};
static const struct mh_field received_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "WebhookReceipt"},
        {0},
};
static const struct mh_field received_response_schema = {"WebhookReceived", MH_T_OBJECT, 0,
                                                         .fields = received_response_members};

static const struct mh_field *const billing_schemas[] = {
        &limits_schema,
        &meter_schema,
        &usage_schema,
        &subscription_schema,
        &subscription_response_schema,
        &plan_schema,
        &plans_schema,
        &url_schema,
        &url_response_schema,
        &received_schema,
        &received_response_schema,
        NULL,
};

const struct mh_module_doc billing_doc = {
        .tag = "billing",
        .description = "Plans, the tenant's subscription and usage, quotas, and the payment "
                       "provider (checkout, portal, its signed webhook).",
        .schemas = billing_schemas,
};
