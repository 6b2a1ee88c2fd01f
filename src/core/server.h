/* server.h - the prefork master of `menhir serve`. */
#ifndef MH_SERVER_H
#define MH_SERVER_H

#include "core/config.h"

/*
 * Binds (or inherits from systemd) the FastCGI socket, forks the workers and
 * supervises them until SIGTERM/SIGINT: respawns the dead at once (backing
 * off only when workers die before serving a request: a crash loop), kills
 * requests over request_timeout, recycles after max_requests, and on SIGHUP
 * re-reads the config at config_path and replaces every worker without
 * dropping a request. Returns the process exit status.
 */
int mh_server_run(struct mh_config *cfg, const char *config_path, int config_required);

#endif
