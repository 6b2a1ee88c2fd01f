/* internal.h - what the tenants module's files share; private to src/modules/tenants/. */
#ifndef MH_MODULES_TENANTS_INTERNAL_H
#define MH_MODULES_TENANTS_INTERNAL_H

#include "core/cursor.h"
#include "core/db.h"
#include "core/http.h"

/* RFC 3339 UTC with microseconds: exact, so it doubles as a keyset cursor position. */
#define TENANTS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define TENANTS_PAGE_DEFAULT 50
#define TENANTS_PAGE_MAX 100

extern const struct mh_db_statement tenants_statements[];


/* service.c: each answers the client. */
int tenants_get(struct mh_request *req, struct mh_response *res);
int tenants_update(struct mh_request *req, struct mh_response *res, const char *name,
		   const char *slug);
int tenants_members_list(struct mh_request *req, struct mh_response *res,
			 const struct mh_page *page);
int tenants_members_set_role(struct mh_request *req, struct mh_response *res,
			     const char *user_id, const char *role);
int tenants_members_remove(struct mh_request *req, struct mh_response *res,
			   const char *user_id);
int tenants_audit_list(struct mh_request *req, struct mh_response *res,
		       const struct mh_page *page);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc tenants_doc;

#endif
