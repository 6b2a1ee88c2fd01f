/* internal.h - what the tenants module's files share; private to src/modules/tenants/. */
#ifndef MH_MODULES_TENANTS_INTERNAL_H
#define MH_MODULES_TENANTS_INTERNAL_H

#include "core/db.h"
#include "core/http.h"

/* RFC 3339 UTC with microseconds: exact, so it doubles as a keyset cursor position. */
#define TENANTS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define TENANTS_PAGE_DEFAULT 50
#define TENANTS_PAGE_MAX 100

extern const struct mh_db_statement tenants_statements[];

/* A list page's position: after (ts, id) in the list's order. */
struct tenants_page {
	int limit;
	const char *after_ts; /* NULL on the first page */
	const char *after_id;
};

/* Reads ?limit= and ?cursor= (and refuses any other parameter); 400 on a bad one. */
int tenants_page_or_reply(struct mh_request *req, struct mh_response *res,
			  struct tenants_page *page);
/* Opaque cursor for the row (ts, id). */
const char *tenants_cursor(struct mh_arena *a, const char *ts, const char *id);

/* service.c: each answers the client. */
int tenants_get(struct mh_request *req, struct mh_response *res);
int tenants_update(struct mh_request *req, struct mh_response *res, const char *name,
		   const char *slug);
int tenants_members_list(struct mh_request *req, struct mh_response *res,
			 const struct tenants_page *page);
int tenants_members_add(struct mh_request *req, struct mh_response *res, const char *email,
			const char *role);
int tenants_members_set_role(struct mh_request *req, struct mh_response *res,
			     const char *user_id, const char *role);
int tenants_members_remove(struct mh_request *req, struct mh_response *res,
			   const char *user_id);
int tenants_audit_list(struct mh_request *req, struct mh_response *res,
		       const struct tenants_page *page);

#endif
