/* webhook.c - the payment provider's events: POST /billing/webhooks/stripe verifies the
 * signature over the raw body, records the event once (its id) and queues a billing.event
 * system job in the same transaction, then answers 200 at once; the job applies the event to
 * the tenant's subscription (schema 0016, billing_event_apply, which decides about
 * out-of-order delivery), and a billing.limits_changed job then tells every worker that
 * cached the tenant's limits. */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "core/json.h"
#include "core/log.h"

/* An event is small (a few KiB); anything much larger is not the provider's. */
#define MAX_EVENT (256 * 1024)

/* The events this module acts on; others are acknowledged and dropped. */
static const char *const handled[] = {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
        NULL,
};

static int is_handled(const char *type)
{
	for (const char *const *t = handled; *t != NULL; t++)
		if (strcmp(*t, type) == 0)
			return 1;
	return 0;
}

/* The raw body, as signed (MH_RAW_BODY: the dispatcher left it in the stream). */
static const char *read_body_or_reply(struct mh_request *req, struct mh_response *res, size_t *len)
{
	char *buf;
	long n;

	if (req->body_remaining > MAX_EVENT) {
		mh_reply_error(req, res, 413, "payload_too_large", "the event is too large");
		return NULL;
	}
	if ((buf = mh_arena_alloc(req->arena, (size_t)req->body_remaining + 1)) == NULL)
		return NULL;
	*len = 0;
	while ((n = mh_request_body_read(req, buf + *len, (size_t)req->body_remaining)) > 0)
		*len += (size_t)n;
	if (n < 0) {
		mh_reply_error(req, res, 400, "bad_request", "the request body ended early");
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static int signature_or_reply(struct mh_request *req, struct mh_response *res, const char *body,
                              size_t len)
{
	const char *secrets[2] = {billing_secrets.webhook[0], billing_secrets.webhook[1]};
	int rc;

	if (secrets[0][0] == '\0' && secrets[1][0] == '\0')
		return mh_reply_unavailable(req, res, "billing webhooks (no endpoint secret)"), -1;
	rc = billing_signature_verify(mh_header(req, "stripe-signature"), body, len, secrets, 2,
	                              (long long)time(NULL),
	                              billing_settings.billing_webhook_tolerance);
	if (rc == BILLING_SIG_OK)
		return 0;
	mh_log(MH_LOG_WARN, "billing_webhook_refused", "request %s: %s", req->request_id,
	       rc == BILLING_SIG_EXPIRED ? "timestamp outside the tolerance" : "bad signature");
	if (rc == BILLING_SIG_EXPIRED)
		mh_reply_error(req, res, 400, "signature_expired",
		               "the signed timestamp is outside the tolerance");
	else
		mh_reply_error(req, res, 400, "invalid_signature",
		               "no valid Stripe-Signature for this body");
	return -1;
}

/* POST /api/v1/billing/webhooks/stripe (public, raw body) 200 {received, duplicate}; 400
 * invalid_signature / signature_expired / invalid_json; 413; 503 without a secret. */
int billing_webhook_receive(struct mh_request *req, struct mh_response *res)
{
	struct json_object *o, *id, *type, *created;
	const char *body, *err = NULL, *field = NULL;
	const PGresult *r;
	struct mh_tx tx;
	size_t len = 0;
	int q, rc;

	if ((body = read_body_or_reply(req, res, &len)) == NULL)
		return res->status ? 0 : -1;
	if (signature_or_reply(req, res, body, len) < 0)
		return 0;
	/* Signed by the provider, so well-formed; checked anyway before it reaches SQL. */
	o = mh_json_parse(req->arena, body, len, &err, &field);
	if (o == NULL || !json_object_object_get_ex(o, "id", &id) ||
	    !json_object_is_type(id, json_type_string) || json_object_get_string_len(id) < 1 ||
	    json_object_get_string_len(id) > 190 || !json_object_object_get_ex(o, "type", &type) ||
	    !json_object_is_type(type, json_type_string) ||
	    !json_object_object_get_ex(o, "created", &created) ||
	    !json_object_is_type(created, json_type_int))
		return mh_reply_error(req, res, 400, "invalid_json",
		                      "the body is not a provider event (id, type, created)");
	if (!is_handled(json_object_get_string(type)))
		return mh_reply_data(req, res, 200, "{\"received\":true,\"duplicate\":false}");
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = billing_repo_event_receive(
	        &tx, json_object_get_string(id), json_object_get_string(type),
	        mh_arena_sprintf(req->arena, "%lld", (long long)json_object_get_int64(created)),
	        mh_arena_strndup(req->arena, body, len));
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if ((r = mh_tx_result(&tx, q)) == NULL || PQntuples(r) != 1)
		return -1;
	return mh_reply_data(req, res, 200,
	                     strcmp(PQgetvalue(r, 0, 0), "t") == 0
	                             ? "{\"received\":true,\"duplicate\":false}"
	                             : "{\"received\":true,\"duplicate\":true}");
}

/* The billing.event job: applies the event ({"event_id"}) in the run's transaction (which
 * also queues billing.limits_changed when the subscription changed). */
enum mh_job_outcome billing_event_job(const struct mh_job *job, struct mh_job_run *run)
{
	struct json_object *id;
	const PGresult *r;
	int q;

	if (!json_object_object_get_ex(job->payload, "event_id", &id) ||
	    !json_object_is_type(id, json_type_string)) {
		run->error = "the job names no event";
		run->error_code = "bad_payload";
		return MH_JOB_FAILED;
	}
	q = billing_repo_event_apply(run->tx, json_object_get_string(id));
	if (mh_tx_fetch(run->tx) != MH_DB_OK || (r = mh_tx_result(run->tx, q)) == NULL ||
	    PQntuples(r) != 1) {
		run->error = "the event could not be applied";
		run->error_code = "db_error";
		return MH_JOB_RETRY;
	}
	run->result_json =
	        mh_arena_sprintf(run->req->arena, "{\"tenant_id\":%s%s%s,\"outcome\":\"%s\"}",
	                         PQgetisnull(r, 0, 0) ? "" : "\"",
	                         PQgetisnull(r, 0, 0) ? "null" : PQgetvalue(r, 0, 0),
	                         PQgetisnull(r, 0, 0) ? "" : "\"", PQgetvalue(r, 0, 1));
	return MH_JOB_SUCCEEDED;
}

/* The billing.limits_changed job ({"tenant_id"}), queued by an applied event in its own
 * transaction, so it runs after the change committed: tells every worker to read the
 * tenant's limits again. Retried while Redis does not take it. */
enum mh_job_outcome billing_limits_job(const struct mh_job *job, struct mh_job_run *run)
{
	struct json_object *t;

	if (!json_object_object_get_ex(job->payload, "tenant_id", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		run->error = "the job names no tenant";
		run->error_code = "bad_payload";
		return MH_JOB_FAILED;
	}
	if (billing_limits_invalidate(run->req, json_object_get_string(t)) < 0) {
		run->error = "Redis did not take the change";
		run->error_code = "redis_unavailable";
		return MH_JOB_RETRY;
	}
	return MH_JOB_SUCCEEDED;
}
