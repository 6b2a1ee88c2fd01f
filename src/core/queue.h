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
	const char *tenant_id;  /* "" for a system job */
	const char *created_by; /* "" when none (system jobs, a deleted user) */
	const char *kind;
	/* An object, never NULL: what the enqueuer gave. Its members are the business of the
	 * kind's module (and of any module it says reads them); the queue
	 * never looks inside. */
	struct json_object *payload;
	int attempt; /* 1 on the first run; counts runs whose worker died */
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
 * whatever the outcome (a failed call to another service still records its attempt), so a kind
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
	int max_attempts;      /* when the enqueuer gives none; 0 means 5 */
	enum mh_role min_role; /* the creator's role needed when the job runs */
	int system;            /* 1: a system job (no tenant); 0: a tenant's */
	/* > 0: a periodic system job; after each run the runner queues the next one this many
	 * seconds later (unique key = the kind's name), and `menhir work` queues the first. */
	int every_seconds;
};

/* What a request (or a job) queues. Every string is copied into the arena by the caller's
 * choice of lifetime: they must outlive the transaction. */
struct mh_job_spec {
	const char *kind;
	const char *payload_json; /* a JSON object; NULL means {} */
	const char *unique_key;   /* NULL for none; an active duplicate makes the INSERT fail
	                           * with 23505 (mh_db_reply_error answers 409) */
	int delay_seconds;        /* run_at = now() + delay */
	int max_attempts;         /* 0: the kind's default */
};

/* Queues the INSERT of a job on tx (the request's transaction, so the job exists if and
 * only if the change that caused it commits); created_by is the request's user. The
 * statement returns one row: the job's MH_QUEUE_JOB_COLUMNS. Returns the query index
 * (mh_tx_result) or MH_DB_ERROR. */
int mh_queue_enqueue(struct mh_tx *tx, const struct mh_job_spec *spec);

/* The columns every job-returning statement of the queue yields, in this order
 * (MH_QUEUE_JOB_COLUMNS): modules that select jobs themselves use the same list, so one
 * renderer reads them all. Timestamps are RFC 3339 UTC text; result and payload JSON text. */
enum mh_job_column {
	MH_JOB_ID,
	MH_JOB_KIND,
	MH_JOB_STATUS,
	MH_JOB_ATTEMPTS,
	MH_JOB_MAX_ATTEMPTS,
	MH_JOB_RUN_AT,
	MH_JOB_RESULT, /* NULL unless succeeded */
	MH_JOB_ERROR,
	MH_JOB_CREATED_BY,
	MH_JOB_CREATED_AT,
	MH_JOB_UPDATED_AT,
	MH_JOB_FINISHED_AT,
	MH_JOB_TENANT_ID, /* NULL for a system job */
	MH_JOB_PAYLOAD,
	MH_JOB_NCOLUMNS
};
#define MH_QUEUE_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
/* SQL select-list of those columns for a table aliased j. */
#define MH_QUEUE_JOB_COLUMNS                                                                           \
	"j.id, j.kind, j.status, j.attempts, j.max_attempts, " MH_QUEUE_TS(                            \
	        "j.run_at") ","                                                                        \
	                    " j.result::text, j.error, j.created_by, " MH_QUEUE_TS(                    \
	                            "j.created_at") ","                                                \
	                                            " " MH_QUEUE_TS(                                   \
	                                                    "j.updated_at") ", " MH_QUEUE_TS("j."      \
	                                                                                     "fin"     \
	                                                                                     "ish"     \
	                                                                                     "ed_"     \
	                                                                                     "at") "," \
	                                                                                           " j.tenant_id, j.payload::text"

/* Fills job from row `row` of r (MH_QUEUE_JOB_COLUMNS): strings point into r, the payload is
 * parsed into an object registered with arena (an unreadable or missing payload becomes {}).
 * attempt is the row's attempts. Returns 0, or -1 when the row is not there or arena is
 * exhausted. */
int mh_queue_job_from_row(struct mh_arena *arena, const PGresult *r, int row, struct mh_job *job);

/* The job kind registered under name by some module, or NULL. */
const struct mh_job_kind *mh_queue_kind(const char *name);

/* Registers the queue's statements; called once in the master (mh_app_init). */
int mh_queue_init(void);

#endif
