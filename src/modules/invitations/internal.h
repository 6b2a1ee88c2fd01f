/* internal.h - what the invitations module's files share; private to its folder. */
#ifndef MH_MODULES_INVITATIONS_INTERNAL_H
#define MH_MODULES_INVITATIONS_INTERNAL_H

#include "core/cursor.h"
#include "core/db.h"
#include "core/http.h"
#include "core/openapi.h"

#define INVITATIONS_TTL          (7 * 24 * 3600)
#define INVITATIONS_PAGE_DEFAULT 50
#define INVITATIONS_PAGE_MAX     100

/* RFC 3339 UTC with microseconds: exact, so it doubles as a keyset cursor position. */
#define INVITATIONS_TS(col)                                                                        \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The module's configuration keys (routes.c declares them; the core loads them and hands
 * them over at start-up and on every reload, before workers fork). */
struct invitations_settings {
	int invite_max; /* invitations per tenant per hour */
};
extern struct invitations_settings invitations_settings;

extern const struct mh_db_statement invitations_statements[];
/* schemas.c: the schemas its answers name (menhir openapi). */
extern const struct mh_module_doc invitations_doc;

/* service.c: each answers the client. */
int invitations_create(struct mh_request *req, struct mh_response *res, const char *email,
                       const char *role);
int invitations_list(struct mh_request *req, struct mh_response *res, const struct mh_page *page);
int invitations_revoke(struct mh_request *req, struct mh_response *res, const char *id);
int invitations_accept(struct mh_request *req, struct mh_response *res, const char *token,
                       const char *password, const char *name);

#endif
