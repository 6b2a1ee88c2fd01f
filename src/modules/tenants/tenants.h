/* tenants.h - the tenants module: the current tenant, its members and their roles, its
 * audit log; and `menhir admin create-tenant`. */
#ifndef MH_MODULES_TENANTS_H
#define MH_MODULES_TENANTS_H

#include "core/config.h"
#include "core/module.h"

extern const struct mh_module tenants_module;

/*
 * `menhir admin create-tenant NAME --owner EMAIL [--slug SLUG]`: creates a tenant owned by
 * an existing user, connecting as menhir_owner (migrate_database_url). argv starts after
 * "create-tenant". Prints the tenant id and slug; returns the process exit status.
 */
int tenants_admin_create_tenant(const struct mh_config *cfg, int argc, char **argv);

#endif
