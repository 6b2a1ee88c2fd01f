/* work.h - `menhir work`: the background job runner (core/queue.h). */
#ifndef MH_WORK_H
#define MH_WORK_H

#include "core/config.h"

/* Runs `menhir work [--concurrency N]` until SIGTERM; returns the exit status. */
int mh_work_main(const struct mh_config *cfg, int argc, char **argv);

#endif
