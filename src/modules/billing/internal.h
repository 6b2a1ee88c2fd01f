/* internal.h - what the billing module's files share (not for other modules). */
#ifndef BILLING_INTERNAL_H
#define BILLING_INTERNAL_H

#include <stddef.h>

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/queue.h"
#include "modules/billing/billing.h"

/* ---- settings.c: the module's keys, and the secrets their files hold ------------------- */

#define BILLING_SECRET_SIZE 512

struct billing_settings {
	char billing_api_url[256];
	char billing_api_key_file[256];
	char billing_webhook_secret_file[256];
	char billing_webhook_secret_previous_file[256];
	int billing_webhook_tolerance; /* seconds */
	int billing_timeout;           /* milliseconds of one call to the provider */
	char billing_return_url[256];
	int billing_limits_cache_seconds;
};
extern struct billing_settings billing_settings;
extern const struct mh_settings billing_config;

/* What the *_file keys named, read when the configuration was applied (never printed).
 * An empty string: not configured. */
struct billing_secrets {
	char api_key[BILLING_SECRET_SIZE];
	char webhook[2][BILLING_SECRET_SIZE]; /* the current endpoint secret, the previous one */
};
extern struct billing_secrets billing_secrets;

/* ---- signature.c: Stripe-Signature ------------------------------------------------------- */

enum billing_sig_rc {
	BILLING_SIG_OK = 0,
	BILLING_SIG_MALFORMED = -1, /* no t=, no v1=, not numbers */
	BILLING_SIG_MISMATCH = -2,  /* no v1 matches any secret */
	BILLING_SIG_EXPIRED = -3,   /* t is further than tolerance from now */
};

/*
 * Verifies a Stripe-Signature header ("t=<unix>,v1=<hex>[,v1=…][,v0=…]") over the raw body:
 * some v1 must equal hex(HMAC-SHA256(secret, "<t>.<body>")) for one of the nsecrets secrets
 * (empty ones skipped), compared in constant time, and |now - t| must be at most tolerance
 * seconds. Other schemes (v0) are ignored, as Stripe's libraries do. Returns an
 * enum billing_sig_rc.
 */
int billing_signature_verify(const char *header, const char *body, size_t len,
                             const char *const *secrets, int nsecrets, long long now,
                             int tolerance);

/* ---- errors.c: the quotas' SQLSTATEs in the client's words ------------------------------ */

int billing_reply_db_error(struct mh_request *req, struct mh_response *res, const struct mh_tx *tx);

/* ---- repo.c ------------------------------------------------------------------------------ */

extern const struct mh_db_statement billing_statements[];

/* Columns of billing_repo_subscription. */
enum {
	BILLING_SUB_PLAN,
	BILLING_SUB_STATUS,
	BILLING_SUB_PERIOD_START,
	BILLING_SUB_PERIOD_END,
	BILLING_SUB_CUSTOMER, /* "t"/"f": the tenant has a customer at the provider */
	BILLING_SUB_PLAN_TITLE,
	BILLING_SUB_FEATURES, /* JSON array text */
	BILLING_SUB_LIMITS,   /* JSON object text */
	BILLING_SUB_PRICE_ID,
};
/* Columns of billing_repo_usage: meter, limit (NULL: unlimited), used, period end. */
enum { BILLING_USAGE_METER, BILLING_USAGE_LIMIT, BILLING_USAGE_USED, BILLING_USAGE_END };
/* Columns of billing_repo_plans: name, title, price id, JSON limits, JSON features, offered
 * ('t'/'f'). */
enum {
	BILLING_PLAN_NAME,
	BILLING_PLAN_TITLE,
	BILLING_PLAN_PRICE,
	BILLING_PLAN_LIMITS,
	BILLING_PLAN_FEATURES,
	BILLING_PLAN_OFFERED
};
/* Columns of billing_repo_checkout_target: price id, customer id (NULL), current plan,
 * offered ('t'/'f'; NULL from billing_repo_customer). */
enum {
	BILLING_TARGET_PRICE,
	BILLING_TARGET_CUSTOMER,
	BILLING_TARGET_CURRENT,
	BILLING_TARGET_OFFERED
};
/* Columns of billing_repo_limits: api/min, feature/min, features (text[]) */
enum { BILLING_LIMITS_API, BILLING_LIMITS_FEATURE, BILLING_LIMITS_FEATURES };

int billing_repo_subscription(struct mh_tx *tx);
int billing_repo_usage(struct mh_tx *tx);
int billing_repo_plans(struct mh_tx *tx);
int billing_repo_checkout_target(struct mh_tx *tx, const char *plan);
int billing_repo_customer(struct mh_tx *tx);
int billing_repo_audit(struct mh_tx *tx, const char *action, const char *target);
int billing_repo_event_receive(struct mh_tx *tx, const char *id, const char *type,
                               const char *created, const char *payload);
int billing_repo_event_apply(struct mh_tx *tx, const char *id);
int billing_repo_limits(struct mh_tx *tx);

/* ---- service.c: the use cases; each answers the client and returns 0, or -1 (500) ---- */

int billing_usage_get(struct mh_request *req, struct mh_response *res);
int billing_subscription_get(struct mh_request *req, struct mh_response *res);
int billing_plans_list(struct mh_request *req, struct mh_response *res);
int billing_checkout(struct mh_request *req, struct mh_response *res, const char *plan);
int billing_portal(struct mh_request *req, struct mh_response *res);

/* ---- webhook.c: the provider's events ----------------------------------------------------- */

#define BILLING_EVENT_KIND  "billing.event"
#define BILLING_LIMITS_KIND "billing.limits_changed"

int billing_webhook_receive(struct mh_request *req, struct mh_response *res);
enum mh_job_outcome billing_event_job(const struct mh_job *job, struct mh_job_run *run);
enum mh_job_outcome billing_limits_job(const struct mh_job *job, struct mh_job_run *run);

/* ---- provider.c: calls to the payment provider's API -------------------------------------- */

struct billing_call {
	const char *path;            /* "/v1/checkout/sessions" */
	const char *form;            /* application/x-www-form-urlencoded body */
	const char *idempotency_key; /* the Idempotency-Key header */
	/* Out: the HTTP status (0: no answer) and the answer's "url" member (arena). */
	long status;
	const char *url;
};

/* POSTs call->form to billing_api_url + call->path with the secret key as a Bearer token.
 * Returns 0 when the provider answered 2xx with a url; -1 otherwise (call->status says
 * whether it answered at all). */
int billing_provider_post(struct mh_arena *a, struct billing_call *call);

/* Appends name=value to a form body, percent-encoding both. */
void billing_form_add(struct mh_buf *b, const char *name, const char *value);

/* ---- limits.c: the rate limiter's limits from the plan ------------------------------------- */

/* Maps the cache of tenants' limits that the workers share (the master, before fork) and
 * registers the lookup. Returns 0 or -1. */
int billing_limits_init(void);
/* Every worker of every machine forgets the cached limits of tenant_id (its subscription
 * changed), or of every tenant when NULL (a plan changed). Call it after the change
 * committed. Returns 0, or -1 (logged) when Redis did not take it: the entries then last
 * billing_limits_cache_seconds at most once the channel is down, an hour otherwise. */
int billing_limits_invalidate(struct mh_request *req, const char *tenant_id);

struct mh_module_doc;
extern const struct mh_module_doc billing_doc;

#endif
