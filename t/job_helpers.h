/* job_helpers.h - helpers of the job, processing, events and webhook suites: switching a
 * tenant's features, asking for a document's processing, waiting for a job to end, and
 * queueing a job behind the API's back (as the superuser) for what the API cannot arrange. */
#ifndef T_JOB_HELPERS_H
#define T_JOB_HELPERS_H

#include <json-c/json.h>

#include "doc_helpers.h"

/* PUT /tenants/current/features/<name> {enabled} as s (an admin or owner); asserts 200. */
void t_job_feature(const struct t_session *s, const char *name, int enabled);

/* Every registered processing feature on (or off) for s's tenant; on puts the tenant on the
 * business plan first, which has every feature (features follow the plan). */
void t_job_features_all(const struct t_session *s, int enabled);

/* POST /documents/<doc>/process with body (JSON text) and extra headers (may be NULL) as s.
 * Returns the status; out holds the response (the caller frees it). */
long t_job_process(const struct t_session *s, const char *doc, const char *body,
                   const char *const *headers, struct http_response *out);

/* Like t_job_process but asserts 202 and copies data.job_id into id[40]. */
void t_job_process_ok(const struct t_session *s, const char *doc, const char *body, char id[40]);

/* Polls GET /jobs/<id> as s until the job is succeeded, failed, dead or cancelled, for at
 * most timeout_ms; returns its "data" object (the caller puts it). Fails the test on time. */
json_object *t_job_wait(const struct t_session *s, const char *id, int timeout_ms);

/* String and object members of a JSON object, asserting they exist ("" for null). */
const char *t_job_str(json_object *o, const char *key);
json_object *t_job_obj(json_object *o, const char *key);

/* Inserts a queued job as the superuser (RLS does not apply): kind, tenant, creator,
 * document (may be NULL: else added to the payload as document_id, as the processing module
 * does), payload (JSON text), unique key (may be NULL), due in delay seconds. Copies its id
 * into id[40]. */
void t_job_insert(const char *kind, const char *tenant_id, const char *user_id,
                  const char *document_id, const char *payload, const char *unique_key,
                  int delay_seconds, char id[40]);

/* The number of audit rows of s's tenant with this action and a target starting with
 * target_prefix (read as the superuser). */
long t_job_audit_count(const struct t_session *s, const char *action, const char *target_prefix);

#endif
