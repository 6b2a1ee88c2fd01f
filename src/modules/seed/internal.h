/* internal.h - what the seed module's files share; private to src/modules/seed/. */
#ifndef MH_MODULES_SEED_INTERNAL_H
#define MH_MODULES_SEED_INTERNAL_H

extern const char seed_sql_begin[];
extern const char seed_sql_sync_off[];
extern const char seed_sql_commit[];
extern const char seed_sql_create_user[];
extern const char seed_sql_create_tenant[];
extern const char seed_sql_enter[];
extern const char seed_sql_add_member[];
extern const char seed_sql_stage[];
extern const char seed_sql_copy[];
extern const char seed_sql_move[];
extern const char seed_sql_unstage[];

#endif
