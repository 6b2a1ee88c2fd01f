/* runner.h - one job runner of `menhir work`: what the master (core/work.c) needs of it. */
#ifndef MH_RUNNER_H
#define MH_RUNNER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/queue.h"

/* What the master must know of a runner that only the runner knows: since when it has been
 * busy with a job (0 when idle). In memory the master shares with its runners. */
struct mh_runner_state {
	_Atomic int64_t busy_since_us;
};

/* The delay before a job runs again after its `attempt`-th run (1 = the first) asked for a
 * retry: base_ms doubled per earlier attempt, capped at max_s seconds, with "equal jitter":
 * half of it fixed, half taken from random, so jobs that failed together (a service they call
 * was down) come back spread out instead of in a herd. */
long long mh_runner_retry_delay_ms(int base_ms, int max_s, int attempt, uint64_t random);

/* The status jobs_finish() gives a run with outcome o at its attempt-th run: "succeeded",
 * "failed", "dead" (a retry with no attempt left), or NULL when the job is queued again. */
const char *mh_runner_final_status(enum mh_job_outcome o, int attempt, int max_attempts);

/* Whether a job whose transaction failed with sqlstate (5 characters) may succeed if run
 * again: 1 for a transient failure (the connection, a serialization failure or deadlock, the
 * server's resources, an operator's intervention or a timeout, a lock not available, a
 * failover, the runner's own lease and hook codes; an empty sqlstate, whose cause is not
 * known), which is retried with backoff; 0 for a refusal (a constraint, a trigger's RAISE, a
 * data exception, an application code), which ends the job failed at once. */
int mh_runner_sqlstate_is_transient(const char *sqlstate);

/* Registers the runner's statements; call in the master before forking. */
int mh_runner_register(void);

/* The runner's life, in a child of the master: until SIGTERM, then exit(0). Its lease
 * owner name is "<host>:<pid>". */
__attribute__((noreturn)) void mh_runner_main(const struct mh_config *cfg,
                                              struct mh_runner_state *state, const char *host,
                                              pid_t master);

#endif
