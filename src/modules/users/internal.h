/* internal.h - what the users module's files share; private to src/modules/users/. */
#ifndef MH_MODULES_USERS_INTERNAL_H
#define MH_MODULES_USERS_INTERNAL_H

#include "core/db.h"
#include "core/http.h"

extern const struct mh_db_statement users_statements[];

int users_me_get(struct mh_request *req, struct mh_response *res);
/* name and password may be NULL; current_password is required with password. */
int users_me_update(struct mh_request *req, struct mh_response *res, const char *name,
		    const char *password, const char *current_password);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc users_doc;

#endif
