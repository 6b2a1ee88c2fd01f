/* check.h - `menhir check`: everything `menhir serve` needs, verified without serving. */
#ifndef MH_CHECK_H
#define MH_CHECK_H

#include <stdio.h>

#include "core/config.h"

/*
 * Like `nginx -t`: given a configuration already loaded from config_path (the caller
 * reports a file that does not load), initialises the modules, loads the signing keys and
 * builds the route table, connects to PostgreSQL with database_url and to Redis with
 * redis_url, and compares schema_dir with schema_migrations. Writes one line per step to
 * out and, on the first failure, one line saying precisely what failed. Returns the exit
 * status: 0 when `menhir serve` would start on this configuration, 1 otherwise.
 */
int mh_check_run(const struct mh_config *cfg, const char *config_path, FILE *out);

#endif
