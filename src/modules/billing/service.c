/* service.c - the billing use cases a tenant sees: its subscription, its usage, the plans,
 * and the owner's way to the provider (a checkout session to change plan, the customer
 * portal). Each answers the client and returns 0, or -1 for a 500. */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* The one read-only statement q of a use case, run alone: one round trip. */
static const PGresult *read_one(struct mh_request *req, struct mh_response *res,
                                int (*q)(struct mh_tx *), int *replied)
{
	struct mh_tx tx;
	int idx, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	*replied = 0;
	if (rc != MH_DB_OK) {
		*replied = 1;
		mh_db_reply_error(req, res, &tx, rc);
		return NULL;
	}
	idx = q(&tx);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK) {
		*replied = 1;
		mh_db_reply_error(req, res, &tx, rc);
		return NULL;
	}
	return mh_tx_result(&tx, idx);
}

/* A JSON number column, or null when SQL NULL. */
static void put_number(struct mh_buf *b, const PGresult *r, int row, int col)
{
	mh_buf_puts(b, PQgetisnull(r, row, col) ? "null" : PQgetvalue(r, row, col));
}

static void put_text(struct mh_buf *b, const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		mh_buf_puts(b, "null");
	else
		mh_buf_json_cstr(b, PQgetvalue(r, row, col));
}

/* The read-only statement q, then {"data":[…]} with put_row writing each row's object. */
static int reply_rows(struct mh_request *req, struct mh_response *res, int (*q)(struct mh_tx *),
                      void (*put_row)(struct mh_buf *, const PGresult *, int))
{
	struct mh_buf *b = &res->body;
	int replied;
	const PGresult *r = read_one(req, res, q, &replied);

	if (r == NULL)
		return replied ? 0 : -1;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < PQntuples(r); i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		put_row(b, r, i);
	}
	mh_buf_puts(b, "]}");
	res->status = 200;
	return b->failed ? -1 : 0;
}

static void put_meter(struct mh_buf *b, const PGresult *r, int i)
{
	mh_buf_puts(b, "{\"meter\":");
	put_text(b, r, i, BILLING_USAGE_METER);
	mh_buf_puts(b, ",\"limit\":");
	put_number(b, r, i, BILLING_USAGE_LIMIT);
	mh_buf_puts(b, ",\"used\":");
	put_number(b, r, i, BILLING_USAGE_USED);
	mh_buf_puts(b, ",\"period_end\":");
	put_text(b, r, i, BILLING_USAGE_END);
	mh_buf_putc(b, '}');
}

/* GET /tenants/current/usage: every meter of the plan, gauges first. */
int billing_usage_get(struct mh_request *req, struct mh_response *res)
{
	return reply_rows(req, res, billing_repo_usage, put_meter);
}

/* GET /tenants/current/subscription. */
int billing_subscription_get(struct mh_request *req, struct mh_response *res)
{
	struct mh_buf *b = &res->body;
	int replied;
	const PGresult *r = read_one(req, res, billing_repo_subscription, &replied);

	if (r == NULL)
		return replied ? 0 : -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found",
		                      "this tenant has no subscription");
	b->len = 0;
	mh_buf_puts(b, "{\"data\":{\"plan\":");
	put_text(b, r, 0, BILLING_SUB_PLAN);
	mh_buf_puts(b, ",\"plan_title\":");
	put_text(b, r, 0, BILLING_SUB_PLAN_TITLE);
	mh_buf_puts(b, ",\"status\":");
	put_text(b, r, 0, BILLING_SUB_STATUS);
	mh_buf_puts(b, ",\"current_period_start\":");
	put_text(b, r, 0, BILLING_SUB_PERIOD_START);
	mh_buf_puts(b, ",\"current_period_end\":");
	put_text(b, r, 0, BILLING_SUB_PERIOD_END);
	mh_buf_printf(b, ",\"has_customer\":%s,\"features\":",
	              strcmp(PQgetvalue(r, 0, BILLING_SUB_CUSTOMER), "t") == 0 ? "true" : "false");
	mh_buf_puts(b, PQgetvalue(r, 0, BILLING_SUB_FEATURES));
	mh_buf_puts(b, ",\"limits\":");
	mh_buf_puts(b, PQgetvalue(r, 0, BILLING_SUB_LIMITS));
	mh_buf_puts(b, "}}");
	res->status = 200;
	return b->failed ? -1 : 0;
}

static void put_plan(struct mh_buf *b, const PGresult *r, int i)
{
	mh_buf_puts(b, "{\"name\":");
	put_text(b, r, i, BILLING_PLAN_NAME);
	mh_buf_puts(b, ",\"title\":");
	put_text(b, r, i, BILLING_PLAN_TITLE);
	mh_buf_printf(b, ",\"purchasable\":%s,\"limits\":",
	              PQgetisnull(r, i, BILLING_PLAN_PRICE) ? "false" : "true");
	mh_buf_puts(b, PQgetvalue(r, i, BILLING_PLAN_LIMITS));
	mh_buf_puts(b, ",\"features\":");
	mh_buf_puts(b, PQgetvalue(r, i, BILLING_PLAN_FEATURES));
	mh_buf_printf(b, ",\"offered\":%s}",
	              strcmp(PQgetvalue(r, i, BILLING_PLAN_OFFERED), "t") == 0 ? "true" : "false");
}

/* GET /billing/plans: the offered plans and the tenant's own, cheapest first. */
int billing_plans_list(struct mh_request *req, struct mh_response *res)
{
	return reply_rows(req, res, billing_repo_plans, put_plan);
}

/* {"data":{"url":…}} */
static int reply_url(struct mh_request *req, struct mh_response *res, const char *url)
{
	struct mh_buf b;

	mh_buf_init(&b, req->arena, 256);
	mh_buf_puts(&b, "{\"url\":");
	mh_buf_json_cstr(&b, url);
	mh_buf_putc(&b, '}');
	return b.failed ? -1 : mh_reply_data(req, res, 200, mh_buf_cstr(&b));
}

/* The provider said no, or did not answer: 502, never its words (they may name our key). */
static int reply_provider_failed(struct mh_request *req, struct mh_response *res,
                                 const struct billing_call *call)
{
	mh_log(MH_LOG_WARN, "billing_provider", "request %s: %s answered %ld", req->request_id,
	       call->path, call->status);
	return mh_reply_error(req, res, 502, "provider_error",
	                      "the payment provider could not be reached or refused the request");
}

/* With the provider configured (else 503), reads the target plan (NULL: none) and the tenant's
 * customer (one round trip, a transaction of its own that ends before the provider is called: no
 * transaction stays open across the network). Returns 0, 1 when it replied, -1 for a 500. */
static int target_or_reply(struct mh_request *req, struct mh_response *res, const char *plan,
                           const PGresult **out)
{
	struct mh_tx tx;
	int q, rc;

	if (billing_secrets.api_key[0] == '\0')
		return mh_reply_unavailable(req, res, "the payment provider (not configured)"), 1;
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc), 1;
	q = plan ? billing_repo_checkout_target(&tx, plan) : billing_repo_customer(&tx);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc), 1;
	*out = mh_tx_result(&tx, q);
	return *out == NULL ? -1 : 0;
}

/* Asks the provider for a session (path) with form; *url gets the page it answers. The
 * idempotency key is this request's (kind names the use case), so the provider replays its
 * first answer for a retry of this very request. Returns 0, 1 when it replied (502), -1 for a
 * 500. */
static int session_or_reply(struct mh_request *req, struct mh_response *res, const char *path,
                            const char *kind, struct mh_buf *form, const char **url)
{
	struct billing_call call;

	memset(&call, 0, sizeof(call));
	call.path = path;
	call.form = mh_buf_cstr(form);
	call.idempotency_key = mh_arena_sprintf(req->arena, "menhir-%s-%s", kind, req->request_id);
	if (call.form == NULL || call.idempotency_key == NULL)
		return -1;
	if (billing_provider_post(req->arena, &call) < 0)
		return reply_provider_failed(req, res, &call), 1;
	*url = call.url;
	return 0;
}

/* Records what the owner asked the provider for (one round trip). */
static int audit(struct mh_request *req, const char *action, const char *target)
{
	struct mh_tx tx;

	if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) != MH_DB_OK)
		return -1;
	billing_repo_audit(&tx, action, target);
	return mh_tx_commit(&tx) == MH_DB_OK ? 0 : -1;
}

/* POST /billing/checkout {plan} (owner): a checkout session for the plan's price, which the
 * provider's checkout.session.completed event later turns into the subscription. The tenant
 * travels in client_reference_id and in both metadata (the session's and the
 * subscription's), so every later event finds it. */
int billing_checkout(struct mh_request *req, struct mh_response *res, const char *plan)
{
	const PGresult *t = NULL;
	const char *url = NULL;
	struct mh_buf form;
	int rc;

	if ((rc = target_or_reply(req, res, plan, &t)) != 0)
		return rc > 0 ? 0 : -1;
	if (PQntuples(t) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such plan");
	/* Before the other checks: a plan kept for the tenants on it is nobody's to choose, not
	 * even theirs (they keep it; an operator moves tenants onto it). */
	if (strcmp(PQgetvalue(t, 0, BILLING_TARGET_OFFERED), "t") != 0)
		return mh_reply_error(req, res, 422, "plan_not_offered",
		                      "this plan is not offered: an operator assigns it");
	if (PQgetisnull(t, 0, BILLING_TARGET_PRICE))
		return mh_reply_error(
		        req, res, 422, "plan_not_purchasable",
		        "this plan is not sold: it is the one a tenant falls back to");
	if (!PQgetisnull(t, 0, BILLING_TARGET_CURRENT) &&
	    strcmp(PQgetvalue(t, 0, BILLING_TARGET_CURRENT), plan) == 0)
		return mh_reply_error(req, res, 409, "already_on_plan",
		                      "the tenant is on this plan already");
	mh_buf_init(&form, req->arena, 512);
	billing_form_add(&form, "mode", "subscription");
	billing_form_add(&form, "line_items[0][price]", PQgetvalue(t, 0, BILLING_TARGET_PRICE));
	billing_form_add(&form, "line_items[0][quantity]", "1");
	billing_form_add(&form, "client_reference_id", req->principal.tenant_id);
	billing_form_add(&form, "metadata[tenant_id]", req->principal.tenant_id);
	billing_form_add(&form, "metadata[plan]", plan);
	billing_form_add(&form, "subscription_data[metadata][tenant_id]", req->principal.tenant_id);
	billing_form_add(&form, "success_url", billing_settings.billing_return_url);
	billing_form_add(&form, "cancel_url", billing_settings.billing_return_url);
	if (!PQgetisnull(t, 0, BILLING_TARGET_CUSTOMER))
		billing_form_add(&form, "customer", PQgetvalue(t, 0, BILLING_TARGET_CUSTOMER));
	rc = session_or_reply(req, res, "/v1/checkout/sessions", "checkout", &form, &url);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (audit(req, "billing.checkout", plan) < 0)
		mh_log(MH_LOG_WARN, "billing_audit", "request %s: checkout not audited",
		       req->request_id);
	return reply_url(req, res, url);
}

/* POST /billing/portal (owner): the provider's customer portal (invoices, payment method,
 * cancellation), for a tenant that has paid once. */
int billing_portal(struct mh_request *req, struct mh_response *res)
{
	const PGresult *t = NULL;
	const char *url = NULL;
	struct mh_buf form;
	int rc;

	if ((rc = target_or_reply(req, res, NULL, &t)) != 0)
		return rc > 0 ? 0 : -1;
	if (PQntuples(t) != 1 || PQgetisnull(t, 0, BILLING_TARGET_CUSTOMER))
		return mh_reply_error(req, res, 409, "no_customer",
		                      "this tenant has never paid: choose a plan first");
	mh_buf_init(&form, req->arena, 256);
	billing_form_add(&form, "customer", PQgetvalue(t, 0, BILLING_TARGET_CUSTOMER));
	billing_form_add(&form, "return_url", billing_settings.billing_return_url);
	rc = session_or_reply(req, res, "/v1/billing_portal/sessions", "portal", &form, &url);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	return reply_url(req, res, url);
}
