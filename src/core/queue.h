/* queue.h - background jobs: what a module declares to run work outside a request, and how
 * a request queues it (schema 0006; DESIGN "Background jobs"). The runner is core/work.c. */
#ifndef MH_QUEUE_H
#define MH_QUEUE_H

#include "core/db.h"
#include "core/http.h"
#include "core/module.h"

struct json_object;

/* A claimed job, as the runner hands it to its kind. Strings live in the run's arena. */
struct mh_job {
	const char *id;
	const char *tenant_id;   /* "" for a system job */
	const char *created_by;  /* "" when none (system jobs, a deleted user) */
	const char *kind;
	const char *document_id; /* NULL when the job is not about one document */
	struct json_object *payload; /* an object, never NULL */
	const char *webhook_url;     /* NULL when none */
	int attempt;                 /* 1 on the first run; counts runs whose worker died */
	int max_attempts;
};

enum mh_job_outcome {
	MH_JOB_SUCCEEDED = 0, /* run->result_json is the result; committed with the effects */
	MH_JOB_RETRY,         /* transient (a dependency failed): again after a backoff,
			       * dead once max_attempts are used */
	MH_JOB_FAILED,        /* permanent: the same input would fail the same way */
};

/*
 * One run of a job. For a tenant job the runner has begun run->tx as the job's creator
 * (app_enter with the kind's min_role: the creator's CURRENT role, so a removed or demoted
 * user's jobs fail as their requests would), and queued nothing else. The kind queues its
 * statements on run->tx (mh_tx_query, mh_tx_fetch for results midway) and returns an
 * outcome; it must not commit: the runner queues jobs_finish() and COMMITs, so the job's
 * effects and its new status are one transaction. The runner commits what the kind queued
 * whatever the outcome (a failed webhook delivery still records its attempt), so a kind
 * that fails must not have queued changes it wants undone; only a transaction that fails
 * in the database, or a lost lease (jobs_finish raises MH409), rolls everything back. A
 * system job gets the same, with no tenant (only SECURITY DEFINER functions see anything).
 */
struct mh_job_run {
	struct mh_request *req; /* arena, principal, request_id = "job:<id>" for logs */
	struct mh_tx *tx;
	const char *result_json; /* MH_JOB_SUCCEEDED: a JSON object (text); NULL means {} */
	const char *error;       /* RETRY/FAILED: a short message for jobs.error (no secrets) */
	const char *error_code;  /* RETRY/FAILED: a machine-readable code ("invalid_utf8") */
};

struct mh_job_kind {
	const char *name; /* jobs.kind: [a-z][a-z0-9_.]* */
	enum mh_job_outcome (*run)(const struct mh_job *job, struct mh_job_run *run);
	int max_attempts;       /* when the enqueuer gives none; 0 means 5 */
	enum mh_role min_role;  /* the creator's role needed when the job runs */
	int system;             /* 1: a system job (no tenant); 0: a tenant's */
	/* > 0: a periodic system job; after each run the runner queues the next one this many
	 * seconds later (unique key = the kind's name), and `menhir work` queues the first. */
	int every_seconds;
};

/* What a request (or a job) queues. Every string is copied into the arena by the caller's
 * choice of lifetime: they must outlive the transaction. */
struct mh_job_spec {
	const char *kind;
	const char *document_id;  /* NULL for none */
	const char *payload_json; /* a JSON object; NULL means {} */
	const char *unique_key;   /* NULL for none; an active duplicate makes the INSERT fail
				   * with 23505 (mh_db_reply_error answers 409) */
	const char *webhook_url;  /* NULL for none; validated by the caller */
	int delay_seconds;        /* run_at = now() + delay */
	int max_attempts;         /* 0: the kind's default */
};

/* Queues the INSERT of a job on tx (the request's transaction, so the job exists if and
 * only if the change that caused it commits); created_by is the request's user. The
 * statement returns one row: the job as GET /jobs/:id renders it (mh_queue_job_columns).
 * Returns the query index (mh_tx_result) or MH_DB_ERROR. */
int mh_queue_enqueue(struct mh_tx *tx, const struct mh_job_spec *spec);

/* The columns every job-returning statement of the queue yields, in this order, and the JSON
 * names they are rendered under with mh_db_put_row: id, kind, status, document_id, attempts,
 * max_attempts, run_at, result (JSON text or NULL), error, webhook_url, created_by,
 * created_at, updated_at, finished_at. */
extern const char *const mh_queue_job_fields[];
extern const int mh_queue_job_nfields;
/* SQL select-list of those columns for a table aliased j (for modules' own statements). */
#define MH_QUEUE_JOB_COLUMNS                                                                   \
	"j.id, j.kind, j.status, j.document_id, j.attempts, j.max_attempts,"                  \
	" to_char(j.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"          \
	" j.result::text, j.error, j.webhook_url, j.created_by,"                                \
	" to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"      \
	" to_char(j.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"      \
	" to_char(j.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Renders row `row` of r (MH_QUEUE_JOB_COLUMNS) as the job's JSON object, with result as a
 * nested JSON value rather than a string. */
void mh_queue_put_job(struct mh_buf *b, const PGresult *r, int row);

/* The job kind registered under name by some module, or NULL. */
const struct mh_job_kind *mh_queue_kind(const char *name);

/* Registers the queue's statements; called once in the master (mh_app_init). */
int mh_queue_init(void);

/* A live status change, as published to the job's event channel (core/events.h): the job's
 * JSON object as mh_queue_put_job renders it. A change that makes a job claimable (queued)
 * is announced just BEFORE its COMMIT, so no runner woken by the commit can announce
 * "running" first. Should that commit fail, a new job's event names a job nobody can
 * subscribe to (a subscription needs the job to exist); a retried job's subscribers may see
 * a "queued" that did not happen — events are best effort, GET /jobs/:id is the truth.
 * Every other change is announced after its commit. */
void mh_queue_publish(struct mh_arena *a, const char *tenant_id, const PGresult *r, int row);

#endif
