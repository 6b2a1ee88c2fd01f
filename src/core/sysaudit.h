/* sysaudit.h - the audit trail of operator commands that concern no tenant. */
#ifndef MH_SYSAUDIT_H
#define MH_SYSAUDIT_H

#include "core/config.h"

/* Records action on target in system_audit_log through migrate_database_url,
 * naming the operating-system account as the actor. Returns 0, or -1 (after
 * printing why on stderr) when the database cannot take it. */
int mh_sysaudit_record(const struct mh_config *cfg, const char *action, const char *target);

#endif
