/* service.c - the processing use cases: queue a feature's run on a document (the checks and
 * the job's INSERT in one transaction), list the tenant's features, switch one on or off.
 *
 * Role rules, decided here from the database's answer (the caller's CURRENT role, read by
 * app_enter) and enforced again by RLS: member+ queues work (the jobs INSERT policy); a
 * feature that rewrites the document needs the right to change it (admin+, or the owner),
 * like PATCH; any readable document may be analysed; admin+ switches features. */
#include "modules/processing/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/idempotency.h"
#include "modules/jobs/jobs.h"
#include "modules/webhooks/webhooks.h"

/* The database's refusals in this module's words; the framework maps the rest. */
static int reply_db_error(struct mh_request *req, struct mh_response *res, struct mh_tx *tx, int rc)
{
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MH409") == 0) {
		mh_response_header(res, "Retry-After", "1");
		return mh_reply_error(
		        req, res, 409, "idempotency_key_in_use",
		        "a request with this Idempotency-Key is still being processed; "
		        "retry shortly to get its response");
	}
	/* Two identical requests raced past the check: the unique index let one job in. */
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "23505") == 0)
		return mh_reply_error(req, res, 409, "already_queued",
		                      "the same feature with the same parameters is already queued "
		                      "for this document");
	return mh_db_reply_error(req, res, tx, rc);
}

/* "<document id>:<feature>:<sha256 of the canonical parameters>": the same work is queued
 * once while active, whatever spelling of the parameters asked for it. */
static const char *unique_key(struct mh_request *req, const struct processing_request *in)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	if (EVP_Digest(in->params.canonical, strlen(in->params.canonical), md, &n, EVP_sha256(),
	               NULL) != 1)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return mh_arena_sprintf(req->arena, "%s:%s:%s", in->document_id, in->feature->name, hex);
}

/* {"document_id":…,"feature":…,"parameters":{…}[,"webhook_url":…]}: what the job reads back
 * (run.c), and what the jobs API shows of it (document_id, webhook_url: modules/jobs); the
 * webhooks module delivers the job's end to webhook_url (modules/webhooks). */
static const char *payload(struct mh_request *req, const struct processing_request *in)
{
	struct mh_buf b;

	mh_buf_init(&b, req->arena, 256);
	mh_buf_puts(&b, "{\"" PROCESSING_PAYLOAD_DOCUMENT "\":");
	mh_buf_json_cstr(&b, in->document_id);
	mh_buf_puts(&b, ",\"feature\":");
	mh_buf_json_cstr(&b, in->feature->name);
	mh_buf_puts(&b, ",\"parameters\":");
	mh_buf_puts(&b, in->params.canonical);
	if (in->webhook_url != NULL) {
		mh_buf_puts(&b, ",\"" WEBHOOKS_PAYLOAD_URL "\":");
		mh_buf_json_cstr(&b, in->webhook_url);
	}
	mh_buf_putc(&b, '}');
	return mh_buf_cstr(&b);
}

/* Where a lookup statement returns the stored first answer. */
static const struct mh_idempotency_columns prior_columns = {
	PROCESSING_PRIOR_HASH, PROCESSING_PRIOR_STATUS, PROCESSING_PRIOR_BODY, PROCESSING_PRIOR_LOCATION,
};

/* Answers the refusal; returns 1 for refused()'s "answered". */
static int refuse(struct mh_request *req, struct mh_response *res, int status, const char *code,
                  const char *message)
{
	mh_reply_error(req, res, status, code, message);
	return 1;
}

/* 403 feature_not_in_plan, naming the cheapest plan that includes the feature (the same
 * words as the billing module's answer when its trigger refuses the job). Returns 1. */
static int refuse_not_in_plan(struct mh_request *req, struct mh_response *res, const char *feature,
                              const char *plan)
{
	struct mh_error_detail d[2] = {{"feature", feature}, {"plan", plan ? plan : "none"}};

	mh_reply_error_details(
	        req, res, 403, "feature_not_in_plan",
	        plan ? mh_arena_sprintf(req->arena, "%s is not in your plan; the %s plan includes it",
	                                feature, plan)
	             : mh_arena_sprintf(req->arena, "no plan includes %s", feature),
	        d, 2);
	return 1;
}

static int is_true(const PGresult *r, int col)
{
	return !PQgetisnull(r, 0, col) && strcmp(PQgetvalue(r, 0, col), "t") == 0;
}

/*
 * Why this request may not queue its job, answered (returns 1), or 0 when it may. Order
 * matters: a document the caller cannot see is 404 whatever else is wrong (nothing about
 * another tenant's features or jobs leaks through it); then the role rules; then the
 * tenant's switch; then the duplicate.
 */
static int refused(struct mh_request *req, struct mh_response *res,
                   const struct processing_request *in, const PGresult *c)
{
	if (c == NULL || PQntuples(c) != 1 || !is_true(c, PROCESSING_CHECK_DOC_LIVE))
		return refuse(req, res, 404, "not_found", "no such document");
	if (atoi(PQgetvalue(c, 0, PROCESSING_CHECK_RANK)) < (int)in->feature->min_role)
		return refuse(req, res, 403, "forbidden",
		              "your role in this tenant does not allow this feature");
	if (in->feature->rewrites_document && !is_true(c, PROCESSING_CHECK_WRITABLE))
		return refuse(req, res, 403, "forbidden",
		              "this feature changes the document: members may run it "
		              "only on their own documents");
	if (!is_true(c, PROCESSING_CHECK_IN_PLAN))
		return refuse_not_in_plan(req, res, in->feature->name,
		                          PQgetisnull(c, 0, PROCESSING_CHECK_PLAN_WITH)
		                                  ? NULL
		                                  : PQgetvalue(c, 0, PROCESSING_CHECK_PLAN_WITH));
	if (!is_true(c, PROCESSING_CHECK_ENABLED))
		return refuse(req, res, 403, "feature_disabled",
		              "this feature is not enabled for your tenant");
	if (!PQgetisnull(c, 0, PROCESSING_CHECK_ACTIVE)) {
		const char *id = PQgetvalue(c, 0, PROCESSING_CHECK_ACTIVE);

		mh_response_header(res, "Location",
		                   mh_arena_sprintf(req->arena, "/api/v1/jobs/%s", id));
		return refuse(req, res, 409, "already_queued",
		              mh_arena_sprintf(req->arena,
		                               "the same feature with the same parameters "
		                               "is already queued for this document: job %s",
		                               id));
	}
	return 0;
}

/* {"data":{"job_id","status","job":{…}}} for the new job's row. */
static const char *accepted(struct mh_request *req, const PGresult *job)
{
	struct mh_buf b;

	mh_buf_init(&b, req->arena, 1024);
	mh_buf_puts(&b, "{\"data\":{\"job_id\":");
	mh_buf_json_cstr(&b, PQgetvalue(job, 0, MH_JOB_ID));
	mh_buf_puts(&b, ",\"status\":");
	mh_buf_json_cstr(&b, PQgetvalue(job, 0, MH_JOB_STATUS));
	mh_buf_puts(&b, ",\"job\":");
	jobs_put(&b, job, 0);
	mh_buf_puts(&b, "}}");
	return mh_buf_cstr(&b);
}

/*
 * POST /documents/:id/process: 202 + Location. Round trip one locks the Idempotency-Key and
 * reads it back (when given) and the check row; round trip two queues the job and its audit
 * row and reads the job back, which is announced (and, with a key, the response stored);
 * round trip three commits.
 */
int processing_enqueue(struct mh_request *req, struct mh_response *res,
                       const struct processing_request *in)
{
	struct mh_job_spec spec;
	const char *key = unique_key(req, in), *body = NULL, *location;
	const char *route =
	        mh_arena_sprintf(req->arena, "POST /api/v1/documents/%s/process", in->document_id);
	const PGresult *r;
	struct mh_tx tx;
	int prior = -1, check, job, rc;

	memset(&spec, 0, sizeof(spec));
	spec.kind = PROCESSING_KIND;
	spec.payload_json = payload(req, in);
	spec.unique_key = key;
	if (key == NULL || route == NULL || spec.payload_json == NULL)
		return -1;
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if (in->idempotency_key != NULL) {
		processing_repo_lock_key(&tx, route, in->idempotency_key);
		prior = processing_repo_prior_key(&tx, route, in->idempotency_key);
	}
	check = processing_repo_check(&tx, in->document_id, in->feature->name, key);
	if ((rc = mh_tx_fetch(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if (prior >= 0 && (r = mh_tx_result(&tx, prior)) != NULL && PQntuples(r) == 1) {
		mh_tx_rollback(&tx);
		return mh_idempotency_replay(req, res, in->body_hash, r, &prior_columns);
	}
	if (refused(req, res, in, mh_tx_result(&tx, check))) {
		mh_tx_rollback(&tx);
		return 0;
	}
	job = mh_queue_enqueue(&tx, &spec);
	processing_repo_audit_queued(&tx, key, in->feature->name);
	if ((rc = mh_tx_fetch(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, job);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	if (in->idempotency_key != NULL) {
		if ((body = accepted(req, r)) == NULL)
			return -1;
		location = mh_arena_sprintf(req->arena, "/api/v1/jobs/%s", PQgetvalue(r, 0, MH_JOB_ID));
		processing_repo_store_key(&tx, route, in, body, location);
	}
	/* "queued" is announced BEFORE the commit: after it, a runner woken by the commit's
	 * NOTIFY could claim the job and announce "running" first (seen under load). Safe: until
	 * the commit nobody knows the job's id, and a stream needs the committed row
	 * (jobs/stream.c), so a rolled-back job's announcement can never be delivered. */
	jobs_publish(req->arena, r, 0);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if (body == NULL && (body = accepted(req, r)) == NULL)
		return -1;
	mh_response_header(res, "Location",
	                   mh_arena_sprintf(req->arena, "/api/v1/jobs/%s", PQgetvalue(r, 0, MH_JOB_ID)));
	res->status = 202;
	res->body.len = 0;
	mh_buf_puts(&res->body, body);
	return 0;
}

/* One feature as the features routes show it. */
static void put_feature(struct mh_buf *b, const struct processing_feature *f, int in_plan,
                        int enabled)
{
	mh_buf_puts(b, "{\"name\":");
	mh_buf_json_cstr(b, f->name);
	mh_buf_puts(b, ",\"description\":");
	mh_buf_json_cstr(b, f->description);
	mh_buf_printf(b, ",\"in_plan\":%s,\"enabled\":%s,\"rewrites_document\":%s}",
	              in_plan ? "true" : "false", in_plan && enabled ? "true" : "false",
	              f->rewrites_document ? "true" : "false");
}

/* GET /tenants/current/features: every registered feature, in the table's order; one the
 * plan includes is enabled unless an admin switched it off. READ ONLY, one round trip. */
int processing_features_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_tx tx;
	const PGresult *r;
	struct mh_buf *b = &res->body;
	int q, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = processing_repo_features(&tx);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if ((r = mh_tx_result(&tx, q)) == NULL)
		return -1;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (size_t i = 0; i < processing_nfeatures; i++) {
		int in_plan = 0, enabled = 1;

		for (int row = 0; row < PQntuples(r); row++) {
			if (strcmp(PQgetvalue(r, row, PROCESSING_FEATURE_NAME),
			           processing_features[i]->name) != 0)
				continue;
			if (strcmp(PQgetvalue(r, row, PROCESSING_FEATURE_IN_PLAN), "t") == 0)
				in_plan = 1;
			else
				enabled = strcmp(PQgetvalue(r, row, PROCESSING_FEATURE_ENABLED),
				                 "t") == 0;
		}
		if (i > 0)
			mh_buf_putc(b, ',');
		put_feature(b, processing_features[i], in_plan, enabled);
	}
	mh_buf_puts(b, "]}");
	res->status = 200;
	return b->failed ? -1 : 0;
}

/* PUT /tenants/current/features/:feature {enabled} (admin+): 200 with the feature; 403
 * feature_not_in_plan to switch on a feature the plan does not include (switching one off
 * is always allowed). One round trip: the plan's answer and the switch's row together; the
 * switch is rolled back when the plan says no. */
int processing_feature_set(struct mh_request *req, struct mh_response *res,
                           const struct processing_feature *f, int enabled)
{
	struct mh_tx tx;
	const PGresult *r, *plan;
	struct mh_buf *b = &res->body;
	int qp, q, in_plan, rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	qp = processing_repo_feature_plan(&tx, f->name);
	q = processing_repo_feature_set(&tx, f->name, enabled);
	if ((rc = mh_tx_fetch(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if ((plan = mh_tx_result(&tx, qp)) == NULL || PQntuples(plan) != 1 ||
	    (r = mh_tx_result(&tx, q)) == NULL || PQntuples(r) != 1)
		return -1;
	in_plan = strcmp(PQgetvalue(plan, 0, 0), "t") == 0;
	if (enabled && !in_plan) {
		mh_tx_rollback(&tx);
		refuse_not_in_plan(req, res, f->name,
		                   PQgetisnull(plan, 0, 1) ? NULL : PQgetvalue(plan, 0, 1));
		return 0;
	}
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	b->len = 0;
	mh_buf_puts(b, "{\"data\":");
	put_feature(b, f, in_plan, strcmp(PQgetvalue(r, 0, PROCESSING_FEATURE_ENABLED), "t") == 0);
	mh_buf_putc(b, '}');
	res->status = 200;
	return b->failed ? -1 : 0;
}
