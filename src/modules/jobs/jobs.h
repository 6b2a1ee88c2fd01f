/* jobs.h - the jobs module's public face: the jobs API (status, lists, cancel, retry, live
 * events) and how a job looks in it, for the modules that show jobs too. */
#ifndef JOBS_H
#define JOBS_H

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/module.h"

extern const struct mh_module jobs_module;

/* Appends the job at row `row` of r (MH_QUEUE_JOB_COLUMNS, core/queue.h) as the jobs API's
 * JSON object: the queue's columns, the payload's document_id and webhook_url (null when it
 * has none), and the result as a nested JSON value. */
void jobs_put(struct mh_buf *b, const PGresult *r, int row);

/* Publishes that object to the job's live event channel (GET /jobs/:id/events). Best effort:
 * GET /jobs/:id is the truth. A change that makes a job claimable (queued) is announced just
 * BEFORE its COMMIT, so no runner woken by the commit can announce "running" first; should
 * that commit fail, a new job's event names a job nobody can subscribe to (a subscription
 * needs the job to exist), and a retried job's subscribers may see a "queued" that did not
 * happen. Every other change is announced after its commit. */
void jobs_publish(struct mh_arena *a, const PGresult *r, int row);

#endif
