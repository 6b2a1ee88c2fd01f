/* users.h - the users module: the signed-in user's own profile and password; and
 * `menhir admin create-user`. */
#ifndef MH_MODULES_USERS_H
#define MH_MODULES_USERS_H

#include "core/config.h"
#include "core/module.h"

extern const struct mh_module users_module;

/*
 * `menhir admin create-user EMAIL [--name NAME]`: reads the password from the first line of
 * standard input, hashes it with the configured argon2id cost and creates the user,
 * connecting as menhir_owner (migrate_database_url). argv starts after "create-user".
 * Prints the user id; returns the process exit status.
 */
int users_admin_create_user(const struct mh_config *cfg, int argc, char **argv);

#endif
