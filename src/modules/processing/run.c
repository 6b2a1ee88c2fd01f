/* run.c - the job kind document.process: runs one feature on one document, in the job's
 * transaction, as the job's creator (the runner did app_enter with the kind's min_role, so a
 * creator who lost their membership or role fails as their request would).
 *
 * Payload {"document_id", "feature": name, "parameters": {…}} (service.c writes it; the
 * document is a reference this module checks, under RLS, so a document of another tenant or
 * one deleted since is simply not found). The result lands in
 * jobs.result as {"feature", "version" (the document's version after the job),
 * "source_version" (the version the feature read), <feature>: {…}}; a feature that rewrites
 * the document writes the new version and its audit row in the same transaction, so the new
 * body exists if and only if the job succeeded. Permanent problems (the document is gone,
 * the feature was switched off, the body is not UTF-8) fail the job; a database error is
 * left in tx for the runner, which rolls back and retries. */
#include "modules/processing/internal.h"

#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "core/validate.h"
#include "modules/documents/documents.h"

#define REDACTED_ACTION "document.redacted"

static enum mh_job_outcome fail(struct mh_job_run *run, const char *code, const char *message)
{
	run->error_code = code;
	run->error = message;
	return MH_JOB_FAILED;
}

/* A statement failed or the database is gone. With tx->sqlstate set the runner decides from
 * it (a transient failure is retried, a refusal ends the job failed); this outcome applies
 * only when the run ended without one. */
static enum mh_job_outcome retry(struct mh_job_run *run, const char *message)
{
	run->error_code = "database_error";
	run->error = message;
	return MH_JOB_RETRY;
}

/* The document, the feature and its parameters from the payload, validated again: the job
 * may have been queued by an older version of the code, or by hand. Returns NULL having set
 * run's error. */
static const struct processing_feature *feature_of(const struct mh_job *job, struct mh_job_run *run,
                                                   struct feature_params *params,
                                                   const char **document_id)
{
	const struct processing_feature *f = NULL;
	struct json_object *v, *p = NULL;
	struct feature_errors e = {.n = 0};

	*document_id = NULL;
	if (json_object_object_get_ex(job->payload, "feature", &v) &&
	    json_object_is_type(v, json_type_string))
		f = processing_feature_find(json_object_get_string(v));
	if (json_object_object_get_ex(job->payload, PROCESSING_PAYLOAD_DOCUMENT, &v) &&
	    json_object_is_type(v, json_type_string) && mh_is_uuid(json_object_get_string(v)))
		*document_id = json_object_get_string(v);
	if (f == NULL || *document_id == NULL) {
		fail(run, "invalid_payload", "the job names no known feature or no document");
		return NULL;
	}
	if (json_object_object_get_ex(job->payload, "parameters", &p) &&
	    !json_object_is_type(p, json_type_object)) {
		fail(run, "invalid_payload", "the job's parameters are not an object");
		return NULL;
	}
	if (f->validate(p, run->req->arena, params, &e) < 0) {
		fail(run, "invalid_parameters",
		     e.n ? mh_arena_sprintf(run->req->arena, "%s %s", e.d[0].field, e.d[0].message)
		         : "the parameters could not be read");
		return NULL;
	}
	return f;
}

/* After a locked read found nothing: the document is gone, or the creator may no longer
 * change it (the lock needs the right to write). One more round trip tells which. */
static enum mh_job_outcome explain_missing(const char *document_id, struct mh_job_run *run)
{
	int q = documents_queue_body(run->tx, document_id, 0);
	const PGresult *r;

	if (q < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return retry(run, "reading the document failed");
	r = mh_tx_result(run->tx, q);
	if (r != NULL && PQntuples(r) == 1)
		return fail(run, "forbidden",
		            "the job's creator may no longer change this document");
	return fail(run, "document_not_found", "the document no longer exists or was deleted");
}

/* Writes the feature's new body as the next version; sets *new_version to it. */
static enum mh_job_outcome rewrite(const char *document_id, struct mh_job_run *run,
                                   const char *version, const struct feature_result *out,
                                   const char **new_version)
{
	const PGresult *r;
	int q;

	if (out->body_len > DOCUMENTS_BODY_MAX)
		return fail(run, "result_too_large",
		            "the rewritten document would exceed the largest body allowed");
	q = documents_queue_replace_body(run->tx, document_id, version, out->body,
	                                 REDACTED_ACTION);
	if (q < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return retry(run, "writing the new version failed");
	r = mh_tx_result(run->tx, q);
	/* The row is locked since the read: no row now means the database changed its mind. */
	if (r == NULL || PQntuples(r) != 1)
		return retry(run, "the document changed while it was being rewritten");
	*new_version = PQgetvalue(r, 0, 0);
	return MH_JOB_SUCCEEDED;
}

enum mh_job_outcome processing_run_job(const struct mh_job *job, struct mh_job_run *run)
{
	const struct processing_feature *f;
	struct feature_params params;
	struct feature_result out;
	const PGresult *enabled, *doc;
	const char *version, *new_version, *document_id;
	struct mh_buf b;
	int qe, qd;

	if ((f = feature_of(job, run, &params, &document_id)) == NULL)
		return MH_JOB_FAILED;
	qe = processing_repo_feature_enabled(run->tx, f->name);
	qd = documents_queue_body(run->tx, document_id, f->rewrites_document);
	if (qe < 0 || qd < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return retry(run, "reading the document failed");
	enabled = mh_tx_result(run->tx, qe);
	if (enabled == NULL || PQntuples(enabled) != 1 ||
	    strcmp(PQgetvalue(enabled, 0, 0), "t") != 0)
		return fail(run, "feature_disabled",
		            "the feature is no longer enabled for the tenant");
	doc = mh_tx_result(run->tx, qd);
	if (doc == NULL || PQntuples(doc) != 1)
		return f->rewrites_document ? explain_missing(document_id, run)
		                            : fail(run, "document_not_found",
		                                   "the document no longer exists or was deleted");
	version = new_version = PQgetvalue(doc, 0, DOCUMENTS_BODY_VERSION);
	if (processing_feature_run(f, PQgetvalue(doc, 0, DOCUMENTS_BODY_TEXT),
	                           (size_t)PQgetlength(doc, 0, DOCUMENTS_BODY_TEXT), &params,
	                           run->req->arena, &out) < 0) {
		/* Memory is a passing condition; anything else is the input's fault. */
		if (strcmp(out.error_code, "out_of_memory") == 0) {
			run->error_code = out.error_code;
			run->error = out.error;
			return MH_JOB_RETRY;
		}
		return fail(run, out.error_code, out.error);
	}
	if (f->rewrites_document && out.changed) {
		enum mh_job_outcome o = rewrite(document_id, run, version, &out, &new_version);

		if (o != MH_JOB_SUCCEEDED)
			return o;
	}
	mh_buf_init(&b, run->req->arena, out.json.len + 128);
	mh_buf_puts(&b, "{\"feature\":");
	mh_buf_json_cstr(&b, f->name);
	mh_buf_printf(&b, ",\"version\":%s,\"source_version\":%s,", new_version, version);
	mh_buf_json_cstr(&b, f->name);
	mh_buf_putc(&b, ':');
	mh_buf_append(&b, out.json.data, out.json.len);
	mh_buf_putc(&b, '}');
	if ((run->result_json = mh_buf_cstr(&b)) == NULL) {
		run->error_code = "out_of_memory";
		run->error = "the result did not fit in memory";
		return MH_JOB_RETRY;
	}
	return MH_JOB_SUCCEEDED;
}
