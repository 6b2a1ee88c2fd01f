/* sysaudit.c - the audit trail of operator commands that concern no tenant. */
#include "core/sysaudit.h"

#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include <libpq-fe.h>

int mh_sysaudit_record(const struct mh_config *cfg, const char *action, const char *target)
{
	struct passwd *pw = getpwuid(getuid());
	char uid[32];
	const char *params[3] = { action, target, NULL };
	PGconn *c = PQconnectdb(cfg->migrate_database_url);
	PGresult *r = NULL;
	int ok = 0;

	snprintf(uid, sizeof(uid), "uid %u", (unsigned)getuid());
	params[2] = pw != NULL ? pw->pw_name : uid;
	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexecParams(c,
				 "INSERT INTO system_audit_log (action, target, actor)"
				 " VALUES ($1, $2, $3)",
				 3, NULL, params, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	}
	if (!ok)
		fprintf(stderr, "menhir: could not record %s in system_audit_log: %s", action,
			r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : -1;
}
