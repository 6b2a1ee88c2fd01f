/* migrate.h - applies schema/NNNN_*.sql in order, once, under an advisory lock. */
#ifndef MH_MIGRATE_H
#define MH_MIGRATE_H

#include "core/config.h"

/*
 * Connects with migrate_database_url and applies every pending file of
 * schema_dir, each in its own transaction with its SHA-256 recorded in
 * schema_migrations. A file whose checksum differs from the recorded one
 * stops everything (an applied migration must never be edited). With
 * status_only, prints applied/pending/changed per file and changes nothing.
 * Returns the process exit status (0 ok, 1 failure).
 */
int mh_migrate_run(const struct mh_config *cfg, int status_only);

#endif
