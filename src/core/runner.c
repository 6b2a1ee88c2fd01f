/* runner.c - one job runner of `menhir work` (core/work.c forks them): claim a job, run its
 * kind in one transaction as the job's creator, end it with jobs_finish() in that same
 * transaction, and announce the new status. Idle, it sleeps on LISTEN menhir_jobs, with a
 * poll every jobs_poll seconds as the fallback. */
#include "core/runner.h"

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/log.h"
#include "core/queue.h"
#include "core/scoreboard.h"
#include "core/trace.h"

static const struct mh_config *cfg;
static struct mh_runner_state *own_state;

/* Claims run as nobody (no tenant): jobs_claim is SECURITY DEFINER. Claim and finish both
 * return the job's MH_QUEUE_JOB_COLUMNS (core/queue.h); the claim adds the trace the job
 * continues. */
#define COL_TRACEPARENT MH_JOB_NCOLUMNS
static const struct mh_db_statement runner_statements[] = {
        {"mh_work_claim",
         "SELECT " MH_QUEUE_JOB_COLUMNS ", j.traceparent FROM jobs_claim($1, $2::int) j", 2},
        {"mh_work_finish",
         "SELECT " MH_QUEUE_JOB_COLUMNS
         "  FROM jobs_finish($1::uuid, $2, $3, $4::jsonb, $5, $6::int) j",
         6},
        {"mh_work_schedule",
         "SELECT jobs_schedule_system($1, $1, now() + make_interval(secs => $2::int))", 2},
        {NULL, NULL, 0},
};

struct runner {
	int signal_fd;
	char owner[128];
	struct mh_arena arena;
	unsigned listening_serial;
	uint64_t rnd;
	int stop;
};

static void take_signals(struct runner *r)
{
	struct signalfd_siginfo si;

	while (read(r->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			r->stop = 1;
}

static void begin_request(struct runner *r, struct mh_request *req, const char *id)
{
	memset(req, 0, sizeof(*req));
	req->arena = &r->arena;
	req->method_name = "JOB";
	req->path = "";
	req->request_id = id;
	req->principal.tenant_id = "";
	req->principal.user_id = "";
	req->principal.role = "";
	req->started_us = mh_now_us();
}

/* LISTEN is session state: set again after every reconnect. */
static int ensure_listening(struct runner *r)
{
	struct mh_request req;
	struct mh_tx tx;

	if (mh_db_connect() != MH_DB_OK)
		return -1;
	if (r->listening_serial == mh_db_connection_serial())
		return 0;
	begin_request(r, &req, "work:listen");
	if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) != MH_DB_OK ||
	    mh_tx_query(&tx, "!LISTEN menhir_jobs", NULL, 0) < 0 || mh_tx_commit(&tx) != MH_DB_OK)
		return -1;
	r->listening_serial = mh_db_connection_serial();
	return 0;
}

static uint64_t next_random(struct runner *r)
{
	r->rnd ^= r->rnd >> 12;
	r->rnd ^= r->rnd << 25;
	r->rnd ^= r->rnd >> 27;
	return r->rnd * 0x2545F4914F6CDD1DULL;
}

long long mh_runner_retry_delay_ms(int base_ms, int max_s, int attempt, uint64_t random)
{
	long long cap = (long long)max_s * 1000, d = base_ms;

	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	return d / 2 + (long long)(random % (uint64_t)(d / 2 + 1));
}

static const char *outcome_name(enum mh_job_outcome o)
{
	return o == MH_JOB_SUCCEEDED ? "succeeded" : o == MH_JOB_FAILED ? "failed" : "retry";
}

const char *mh_runner_final_status(enum mh_job_outcome o, int attempt, int max_attempts)
{
	if (o == MH_JOB_SUCCEEDED)
		return "succeeded";
	if (o == MH_JOB_FAILED)
		return "failed";
	return attempt >= max_attempts ? "dead" : NULL;
}

struct outcome {
	enum mh_job_outcome kind;
	const char *result_json;
	const char *error; /* "code: message" for jobs.error */
};

/* A failed statement rolls the whole run back, so running the job again sends the same
 * statements with the same data: only a failure that came from the moment, not from the
 * statement, can go away. Those are the prefixes below (a class, or one code); anything else
 * is a refusal (a constraint, a trigger's RAISE, a data exception, a module's own code) that
 * every retry would meet again, spending the job's attempts and ending it dead. */
static const char *const transient_sqlstates[] = {
        "08",    /* connection exception: the server or the network went away mid-run */
        "40",    /* transaction rollback: serialization failure, deadlock; retry is the cure */
        "53",    /* insufficient resources: disk full, out of memory, too many connections */
        "57",    /* operator intervention: admin or crash shutdown, cannot connect now, and
                  * 57014 query_canceled (statement_timeout, pg_cancel_backend) */
        "55P03", /* lock_not_available: a lock timeout; the holder will be done */
        "58",    /* system error: an I/O error of the server */
        "XX",    /* internal error of the server */
        "25006", /* read_only_sql_transaction: a failover in progress (the primary is gone
                  * and the replica not yet promoted, or promoted behind the old address);
                  * the write succeeds against the new primary */
        "MH409", /* jobs_finish: the lease went to another runner (theirs to finish) */
        "MHHOK", /* the runner's own: a module's hook could not end the job (finish()) */
        NULL,
};

int mh_runner_sqlstate_is_transient(const char *sqlstate)
{
	if (sqlstate[0] == '\0')
		return 1; /* no code: the cause is unknown, and a retry costs only an attempt */
	for (size_t i = 0; transient_sqlstates[i] != NULL; i++)
		if (strncmp(sqlstate, transient_sqlstates[i], strlen(transient_sqlstates[i])) == 0)
			return 1;
	return 0;
}

/* Queues jobs_finish, the modules' hooks (final statuses of tenant jobs only, and only when
 * `hooks`), the next run of a periodic kind, and commits. Returns the finished row's result
 * (for the event), NULL when the transaction failed (tx->sqlstate says why). */
static const PGresult *finish(struct runner *r, struct mh_tx *tx, const struct mh_job *job,
                              const struct mh_job_kind *kind, const struct outcome *o, int hooks)
{
	const char **p = mh_arena_alloc(&r->arena, sizeof(*p) * 6);
	const char *status = mh_runner_final_status(o->kind, job->attempt, job->max_attempts);
	int idx;

	if (p == NULL)
		return NULL;
	p[0] = job->id;
	p[1] = r->owner;
	p[2] = outcome_name(o->kind);
	p[3] = o->kind == MH_JOB_SUCCEEDED ? (o->result_json ? o->result_json : "{}") : NULL;
	p[4] = o->kind == MH_JOB_SUCCEEDED ? NULL : (o->error ? o->error : "failed");
	p[5] = mh_arena_sprintf(&r->arena, "%lld",
	                        o->kind == MH_JOB_RETRY
	                                ? mh_runner_retry_delay_ms(cfg->jobs_backoff_base,
	                                                           cfg->jobs_backoff_max,
	                                                           job->attempt, next_random(r))
	                                : 0LL);
	idx = mh_tx_query(tx, "mh_work_finish", p, 6);
	if (idx < 0)
		return NULL;
	if (hooks && status != NULL && job->tenant_id[0] != '\0')
		for (size_t m = 0; mh_modules[m] != NULL; m++) {
			if (mh_modules[m]->on_job_finished == NULL)
				continue;
			if (mh_modules[m]->on_job_finished(
			            job, status,
			            o->kind == MH_JOB_SUCCEEDED
			                    ? (o->result_json ? o->result_json : "{}")
			                    : NULL,
			            tx) < 0) {
				snprintf(tx->sqlstate, sizeof(tx->sqlstate), "MHHOK");
				tx->error = mh_arena_sprintf(&r->arena,
				                             "module %s refused the end of the job",
				                             mh_modules[m]->name);
				mh_tx_rollback(tx);
				return NULL;
			}
		}
	if (kind != NULL && kind->every_seconds > 0 && status != NULL) {
		const char **s = mh_arena_alloc(&r->arena, sizeof(*s) * 2);
		if (s == NULL)
			return NULL;
		s[0] = kind->name;
		s[1] = mh_arena_sprintf(&r->arena, "%d", kind->every_seconds);
		if (mh_tx_query(tx, "mh_work_schedule", s, 2) < 0)
			return NULL;
	}
	if (mh_tx_commit(tx) != MH_DB_OK)
		return NULL;
	return mh_tx_result(tx, idx);
}

static void log_run(const struct mh_job *job, const char *status, const struct outcome *o,
                    int64_t started_us)
{
	struct mh_logline l;

	mh_logline_begin(&l, o->kind == MH_JOB_SUCCEEDED ? MH_LOG_INFO : MH_LOG_WARN, "job");
	mh_logline_str(&l, "job", job->id);
	mh_logline_str(&l, "kind", job->kind);
	mh_logline_str(&l, "tenant", job->tenant_id);
	mh_logline_int(&l, "attempt", job->attempt);
	mh_logline_str(&l, "status", status);
	if (o->kind != MH_JOB_SUCCEEDED && o->error)
		mh_logline_str(&l, "error", o->error);
	mh_logline_int(&l, "duration_us", mh_now_us() - started_us);
	mh_logline_end(&l);
}

static const char *error_text(struct runner *r, const char *code, const char *message)
{
	if (code == NULL)
		return message;
	return mh_arena_sprintf(&r->arena, "%s: %s", code, message ? message : "failed");
}

/* A run whose transaction failed in the database (sqlstate, and the server's primary
 * message or NULL): its changes are gone. Decides the outcome into o — a lost lease is
 * left alone, a refused creator and a refusal end the job failed, a transient failure is
 * retried — and ends the job in a fresh transaction: with the creator's context (so a
 * final status still reaches the modules' hooks), or, when even that is refused (the
 * creator was removed), with none. */
static const PGresult *finish_after_failure(struct runner *r, const struct mh_job *job,
                                            const struct mh_job_kind *kind, struct mh_request *req,
                                            const char *sqlstate, const char *message,
                                            struct outcome *o)
{
	struct mh_tx tx;
	const PGresult *res;

	if (strcmp(sqlstate, "MH409") == 0) {
		o->kind = MH_JOB_RETRY; /* for the log: nothing of this run was kept */
		return NULL; /* the lease went to another runner: the job is theirs now */
	}
	o->result_json = NULL;
	if (strcmp(sqlstate, "MH403") == 0 || strcmp(sqlstate, "MH401") == 0) {
		o->kind = MH_JOB_FAILED;
		o->error = "forbidden: the job's creator may no longer do this in the tenant";
	} else if (mh_runner_sqlstate_is_transient(sqlstate)) {
		o->kind = MH_JOB_RETRY;
		o->error = mh_arena_sprintf(&r->arena, "database_error: SQLSTATE %s", sqlstate);
	} else {
		/* The same statements would be refused the same way: say why, once. The primary
		 * message only (bounded by db.c), never the DETAIL, which can quote row values. */
		o->kind = MH_JOB_FAILED;
		o->error = mh_arena_sprintf(&r->arena, "refused: SQLSTATE %s: %s", sqlstate,
		                            message != NULL ? message : "no message");
	}
	if (o->error == NULL)
		o->error = "database_error";
	/* Recording the end needs no role: the failure may be that the creator lost theirs. */
	req->min_role = MH_ROLE_NONE;
	if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) == MH_DB_OK &&
	    (res = finish(r, &tx, job, kind, o, 1)) != NULL)
		return res;
	req->principal.tenant_id = "";
	req->principal.user_id = "";
	if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) == MH_DB_OK &&
	    (res = finish(r, &tx, job, kind, o, 0)) != NULL)
		return res;
	mh_log(MH_LOG_ERROR, "job",
	       "job %s: cannot record its failure (SQLSTATE %s); its lease "
	       "will run out and it will be retried",
	       job->id, tx.sqlstate);
	return NULL;
}

/* Tells every module a tenant job's committed status (row `row` of res). */
static void announce(struct runner *r, const struct mh_job *job, const PGresult *res)
{
	if (res == NULL || job->tenant_id[0] == '\0' || PQntuples(res) != 1)
		return;
	for (size_t m = 0; mh_modules[m] != NULL; m++)
		if (mh_modules[m]->on_job_status != NULL)
			mh_modules[m]->on_job_status(job, res, 0, &r->arena);
}

static void run_job(struct runner *r, const PGresult *claim)
{
	struct mh_request req;
	struct mh_job job;
	struct mh_job_run run = {0};
	struct mh_tx tx;
	struct outcome o = {MH_JOB_RETRY, NULL, NULL};
	const struct mh_job_kind *kind;
	const PGresult *done = NULL;
	const char *status;
	int64_t started = mh_now_us();

	if (mh_queue_job_from_row(&r->arena, claim, 0, &job) < 0)
		return; /* no memory: the lease runs out and the job is retried */
	begin_request(r, &req, mh_arena_sprintf(&r->arena, "job:%s", job.id));
	req.path = job.kind;
	req.principal.tenant_id = job.tenant_id;
	req.principal.user_id = job.created_by;
	atomic_store(&own_state->busy_since_us, started);
	announce(r, &job, claim); /* running */

	kind = mh_queue_kind(job.kind);
	if (kind == NULL) {
		o.kind = MH_JOB_FAILED;
		o.error = "unknown_kind: no module runs jobs of this kind";
	} else if (job.attempt > job.max_attempts) {
		/* Every claim counts: a job that keeps killing its runner ends dead, not in a loop.
		 */
		o.kind = MH_JOB_RETRY;
		o.error = mh_arena_sprintf(&r->arena,
		                           "runner_lost: the runner stopped during "
		                           "each of its %d attempts",
		                           job.max_attempts);
	} else if (job.tenant_id[0] != '\0' && job.created_by[0] == '\0') {
		o.kind = MH_JOB_FAILED;
		o.error = "creator_gone: the user who queued the job no longer exists";
	} else {
		req.min_role = kind->min_role;
		if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) != MH_DB_OK) {
			/* No database: the lease runs out and the job is retried. */
			atomic_store(&own_state->busy_since_us, 0);
			return;
		}
		run.req = &req;
		run.tx = &tx;
		o.kind = kind->run(&job, &run);
		o.result_json = run.result_json;
		o.error = error_text(r, run.error_code, run.error);
		if (tx.sqlstate[0] != '\0') {
			/* A statement failed: the transaction is aborted whatever the kind said. */
			char state[6];
			const char *message = tx.message;

			memcpy(state, tx.sqlstate, sizeof(state));
			mh_tx_rollback(&tx);
			done = finish_after_failure(r, &job, kind, &req, state, message, &o);
			goto out;
		}
		done = finish(r, &tx, &job, kind, &o, 1);
		if (done == NULL) {
			/* Statements the kind queued without reading their results fail here, at
			 * the commit, as do jobs_finish and the hooks; no code means the
			 * connection went. */
			char state[6];
			memcpy(state, tx.sqlstate[0] ? tx.sqlstate : "08006", sizeof(state));
			done = finish_after_failure(r, &job, kind, &req, state,
			                            tx.sqlstate[0] ? tx.message : NULL, &o);
		}
		goto out;
	}
	/* Ended before running: no effects, only the status, which needs no role. */
	req.min_role = MH_ROLE_NONE;
	if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) == MH_DB_OK)
		done = finish(r, &tx, &job, kind, &o, job.created_by[0] != '\0');
	if (done == NULL) {
		/* The creator's context is refused (removed from the tenant): end it as nobody,
		 * without the hooks. */
		req.principal.tenant_id = "";
		req.principal.user_id = "";
		if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) == MH_DB_OK)
			done = finish(r, &tx, &job, kind, &o, 0);
	}
out:
	status = done != NULL && PQntuples(done) == 1 ? PQgetvalue(done, 0, MH_JOB_STATUS)
	                                              : "unfinished";
	log_run(&job, status, &o, started);
	announce(r, &job, done);
	atomic_store(&own_state->busy_since_us, 0);
}

/* One claim. Returns 1 when a job ran, 0 when there was none, -1 without a database. */
static int claim_and_run(struct runner *r)
{
	struct mh_request req;
	struct mh_tx tx;
	const char *p[2];
	int idx;
	const PGresult *res;

	begin_request(r, &req, "work:claim");
	p[0] = r->owner;
	p[1] = mh_arena_sprintf(&r->arena, "%d", cfg->jobs_lease);
	if (mh_tx_begin(&tx, &req, MH_TX_READ_WRITE) != MH_DB_OK)
		return -1;
	idx = mh_tx_query(&tx, "mh_work_claim", p, 2);
	if (idx < 0 || mh_tx_commit(&tx) != MH_DB_OK) {
		if (tx.sqlstate[0] != '\0')
			mh_log(MH_LOG_ERROR, "job_claim", "SQLSTATE %s: %s", tx.sqlstate,
			       tx.error ? tx.error : "?");
		return -1;
	}
	res = mh_tx_result(&tx, idx);
	if (res == NULL || PQntuples(res) == 0)
		return 0;
	/* The job continues the trace of the request (or job) that queued it: its log lines,
	 * the jobs it queues and the outbound calls it makes carry that trace id. */
	mh_trace_begin(PQgetisnull(res, 0, COL_TRACEPARENT) ? NULL
	                                                    : PQgetvalue(res, 0, COL_TRACEPARENT),
	               NULL);
	run_job(r, res);
	mh_trace_end();
	return 1;
}

/* Sleeps until a NOTIFY, a signal or timeout_ms. */
static void idle_wait(struct runner *r, int timeout_ms)
{
	struct pollfd pfd[2] = {{.fd = r->signal_fd, .events = POLLIN},
	                        {.fd = mh_db_socket(), .events = POLLIN}};

	if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout_ms) > 0 && (pfd[1].revents & POLLIN))
		mh_db_drain_notifications();
	take_signals(r);
}

void mh_runner_main(const struct mh_config *config, struct mh_runner_state *shared,
                    const char *host, pid_t master)
{
	struct runner r;
	sigset_t set;

	cfg = config;
	own_state = shared;
	memset(&r, 0, sizeof(r));
	/* Die with the master: a runner must never hold leases nobody renews. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != master)
		_exit(1);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	r.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r.signal_fd < 0 || mh_arena_init(&r.arena, 64 * 1024) < 0)
		_exit(1);
	snprintf(r.owner, sizeof(r.owner), "%s:%d", host, (int)getpid());
	if (getrandom(&r.rnd, sizeof(r.rnd), 0) != (ssize_t)sizeof(r.rnd) || r.rnd == 0)
		r.rnd = (uint64_t)mh_now_us() | 1;

	while (!r.stop) {
		int rc;

		mh_arena_reset(&r.arena);
		take_signals(&r);
		if (r.stop)
			break;
		if (ensure_listening(&r) < 0) {
			idle_wait(&r, 1000);
			continue;
		}
		rc = claim_and_run(&r);
		if (rc == 0)
			idle_wait(&r, cfg->jobs_poll * 1000);
		else if (rc < 0)
			idle_wait(&r, 1000);
		/* Nothing is read from the notifications between jobs: after a job the runner
		 * claims again at once, which finds whatever they announced. */
		mh_db_drain_notifications();
	}
	mh_db_disconnect();
	mh_arena_destroy(&r.arena);
	close(r.signal_fd);
	exit(0);
}

int mh_runner_register(void)
{
	return mh_db_register(runner_statements);
}
