/* runner.h - one job runner of `menhir work`: what the master (core/work.c) needs of it. */
#ifndef MH_RUNNER_H
#define MH_RUNNER_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"

/* What the master must know of a runner that only the runner knows: since when it has been
 * busy with a job (0 when idle). In memory the master shares with its runners. */
struct mh_runner_state {
	_Atomic int64_t busy_since_us;
};

/* Registers the runner's statements; call in the master before forking. */
int mh_runner_register(void);

/* The runner's life, in a child of the master: until SIGTERM, then exit(0). Its lease
 * owner name is "<host>:<pid>". */
__attribute__((noreturn)) void mh_runner_main(const struct mh_config *cfg,
					      struct mh_runner_state *state, const char *host,
					      pid_t master);

#endif
