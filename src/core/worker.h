/* worker.h - one prefork child: accepts FastCGI requests until told to stop. */
#ifndef MH_WORKER_H
#define MH_WORKER_H

#include "core/config.h"
#include "core/scoreboard.h"

/* Exit statuses the master reads to tell a recycle from a crash. */
#define MH_EXIT_STOPPED 0
#define MH_EXIT_RECYCLE 75

/*
 * Runs in a freshly forked child and never returns: serves requests from
 * listen_fd until SIGTERM (after finishing the request in flight) or until
 * max_requests have been served, then exits with the status above.
 */
void mh_worker_run(const struct mh_config *cfg, int listen_fd, struct mh_slot *slot)
	__attribute__((noreturn));

#endif
