/* migrate.h - applies schema/NNNN_*.sql in order, once, under an advisory lock. */
#ifndef MH_MIGRATE_H
#define MH_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

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

/*
 * Compares the files of schema_dir with schema_migrations over c (any role that may read
 * that table). Returns 0 when every file is applied unchanged; 1 when some are pending or
 * were edited after they were applied, listed in report ("pending 0009_x.sql, ..."); -1
 * when it cannot tell (report says why). Migrations applied but absent from schema_dir (a
 * newer version's, after a rollback) are not an error here.
 */
int mh_migrate_verify(PGconn *c, const char *dir, char *report, size_t len);

#endif
