/* internal.h - what the apikeys module's files share; private to src/modules/apikeys/. */
#ifndef MH_MODULES_APIKEYS_INTERNAL_H
#define MH_MODULES_APIKEYS_INTERNAL_H

#include "core/cursor.h"
#include "core/db.h"
#include "core/http.h"
#include "core/openapi.h"

/* RFC 3339 UTC with microseconds: exact, so it doubles as a keyset cursor position. */
#define APIKEYS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define APIKEYS_PAGE_DEFAULT 50
#define APIKEYS_PAGE_MAX     100

extern const struct mh_db_statement apikeys_statements[];

/* service.c: each answers the client. */
int apikeys_create(struct mh_request *req, struct mh_response *res, const char *name,
                   const char *role, const char *expires_at);
int apikeys_list(struct mh_request *req, struct mh_response *res, const struct mh_page *page);
int apikeys_get(struct mh_request *req, struct mh_response *res, const char *id);
int apikeys_revoke(struct mh_request *req, struct mh_response *res, const char *id);

/* schemas.c: what the module answers with, for `menhir openapi`. */
extern const struct mh_module_doc apikeys_doc;

#endif
