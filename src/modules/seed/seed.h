/* seed.h - `menhir admin seed`: demo and benchmark data. No routes: a shell command that
 * connects as menhir_owner (migrate_database_url), like the other admin commands. */
#ifndef MH_MODULES_SEED_H
#define MH_MODULES_SEED_H

#include "core/config.h"

/*
 * menhir admin seed --tenants N --docs M [--jobs J]
 *                                          N new tenants, each with an owner, admin, member
 *                                          and viewer and M documents (COPY); J loader
 *                                          connections (default: one per CPU, at most 8, for
 *                                          100,000 documents or more, else 1 — see seed.c
 *                                          for what a failed run leaves behind)
 * menhir admin seed --demo [--docs M]      the tenant "demo" with fixed e-mails, unless it
 *                                          exists already (then nothing changes: exit 0)
 * Prints what it made on stdout, one record a line:
 *   password PASSWORD                      (every user made by this run has it)
 *   tenant TENANT_ID SLUG
 *   user TENANT_ID ROLE EMAIL USER_ID
 *   documents TENANT_ID COUNT
 * Returns the process exit status.
 */
int seed_admin_command(const struct mh_config *cfg, int argc, char **argv);

#endif
