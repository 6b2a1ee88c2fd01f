/* routes.c - the apikeys module's route table and handlers: read and check the input, then
 * hand over to service.c. None takes an API key: keys are managed by people. */
#include "modules/apikeys/apikeys.h"
#include "modules/apikeys/internal.h"

#include "modules/auth/auth.h"

/* POST /api/v1/tenants/current/api-keys {name, role, expires_at?} (admin+)
 * 201 + Location, the key with its secret (shown this once); 403 role above the creator's;
 * 422. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	const char *name, *role, *expires_at, *m;
	const struct auth_field fields[] = {
	        {"name", 1, &name},
	        {"role", 1, &role},
	        {"expires_at", 0, &expires_at},
	};
	struct auth_errors e;

	if (!auth_fields_or_reply(req, res, fields, 3, &e))
		return 0;
	if (name && (m = auth_check_text(name, 100, 1)) != NULL)
		auth_error_add(&e, "name", m);
	if (role && mh_role_parse(role) == MH_ROLE_NONE)
		auth_error_add(&e, "role", "must be owner, admin, member or viewer");
	if (expires_at && (m = apikeys_check_time(expires_at)) != NULL)
		auth_error_add(&e, "expires_at", m);
	if (auth_errors_reply_if_any(req, res, &e))
		return 0;
	return apikeys_create(req, res, name, role, expires_at);
}

/* GET /api/v1/tenants/current/api-keys?limit=&cursor= (admin+) 200 list, newest first,
 * revoked keys included; the prefix and last four characters, never the secret. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (!mh_page_or_reply(req, res, APIKEYS_PAGE_DEFAULT, APIKEYS_PAGE_MAX, &page))
		return 0;
	return apikeys_list(req, res, &page);
}

/* The :id parameter, or a 404 (a malformed id names no key). */
static const char *key_id_or_reply(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = {NULL};
	const char *id = mh_param(req, "id");

	if (!auth_query_or_reply(req, res, none))
		return NULL;
	if (id == NULL || !mh_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such API key in this tenant");
		return NULL;
	}
	return auth_lower(req->arena, id);
}

/* GET /api/v1/tenants/current/api-keys/:id (admin+) 200 the key; 404. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	const char *id = key_id_or_reply(req, res);

	return id ? apikeys_get(req, res, id) : 0;
}

/* DELETE /api/v1/tenants/current/api-keys/:id (admin+) 204: the key stops working on the
 * next request, on every worker; 404; 503 if the revocation could not be shared (the
 * database refuses the key already; a retry completes it). */
static int handle_revoke(struct mh_request *req, struct mh_response *res)
{
	const char *id = key_id_or_reply(req, res);

	return id ? apikeys_revoke(req, res, id) : 0;
}

static int apikeys_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(apikeys_statements);
}

static const struct mh_route apikeys_routes[] = {
        {MH_GET, "/api/v1/tenants/current/api-keys", handle_list, 0, MH_ROLE_ADMIN},
        {MH_POST, "/api/v1/tenants/current/api-keys", handle_create, MH_JSON_BODY, MH_ROLE_ADMIN},
        {MH_GET, "/api/v1/tenants/current/api-keys/:id", handle_get, 0, MH_ROLE_ADMIN},
        {MH_DELETE, "/api/v1/tenants/current/api-keys/:id", handle_revoke, 0, MH_ROLE_ADMIN},
        {0},
};

const struct mh_module apikeys_module = {
        .name = "apikeys",
        .routes = apikeys_routes,
        .init = apikeys_init,
};
