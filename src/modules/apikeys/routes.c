/* routes.c - the apikeys module's route table: each route's declared input (core/input.h) and
 * its handler, which hands the checked values over to service.c. None takes an API key: keys
 * are managed by people. */
#include "modules/apikeys/apikeys.h"
#include "modules/apikeys/internal.h"

#include "core/cursor.h"
#include "core/input.h"
#include "core/openapi.h"

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field key_param[] = {
        {"id", MH_T_UUID, .not_found = "no such API key in this tenant"},
        {0},
};

enum { PAGE_LIMIT };
static const struct mh_field page_query[] = {
        MH_PAGE_QUERY(APIKEYS_PAGE_DEFAULT, APIKEYS_PAGE_MAX),
        {0},
};

enum { CREATE_NAME, CREATE_ROLE, CREATE_EXPIRES_AT };
static const struct mh_field create_members[] = {
        [CREATE_NAME] = {"name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 100,
                         .description = "What uses the key, e.g. \"CI deploys\"."},
        [CREATE_ROLE] = {"role", MH_T_ENUM, MH_REQUIRED, .values = mh_role_words, .ref = "Role",
                         .description = "Never above your own role (403 otherwise)."},
        [CREATE_EXPIRES_AT] = {"expires_at", MH_T_TIMESTAMP,
                               .description = "In the future; none: until revoked."},
        {0},
};
static const struct mh_field create_body = {"ApiKeyCreate", MH_T_OBJECT, .fields = create_members};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/tenants/current/api-keys {name, role, expires_at?} (admin+)
 * 201 + Location, the key with its secret (shown this once); 403 role above the creator's;
 * 422 expires_at not in the future. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	return apikeys_create(req, res, mh_in_body(req, CREATE_NAME)->s,
	                      mh_in_body(req, CREATE_ROLE)->s,
	                      mh_in_body(req, CREATE_EXPIRES_AT)->s);
}

/* GET /api/v1/tenants/current/api-keys?limit=&cursor= (admin+) 200 list, newest first,
 * revoked keys included; the prefix and last four characters, never the secret. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return apikeys_list(req, res, &page);
}

/* GET /api/v1/tenants/current/api-keys/:id (admin+) 200 the key; 404. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	return apikeys_get(req, res, mh_in_path(req, 0)->s);
}

/* DELETE /api/v1/tenants/current/api-keys/:id (admin+) 204: the key stops working on the
 * next request, on every worker; 404; 503 if the revocation could not be shared (the
 * database refuses the key already; a retry completes it). */
static int handle_revoke(struct mh_request *req, struct mh_response *res)
{
	return apikeys_revoke(req, res, mh_in_path(req, 0)->s);
}

static int apikeys_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(apikeys_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

#define KEY_EXAMPLE                                                                                \
	"\"id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"name\":\"CI "                           \
	"deploys\",\"role\":\"member\","                                                           \
	"\"prefix\":\"mhk_\",\"last_four\":\"Q46A\",\"created_by\":\"9b8a7c6d-5e4f-4321-8fed-"     \
	"cba987654321\",\"created_at\":\"2026-11-24T10:15:30.123456Z\",\"expires_at\":null,"       \
	"\"last_used_at\":null,\"revoked_at\":null"

static const struct mh_doc_response list_responses[] = {
        {200, "OK", "ApiKeyList", .headers = "Cache-Control",
         .example = "{\"data\":[{" KEY_EXAMPLE "}],\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_doc = {
        .operation_id = "listApiKeys",
        .summary = "List the tenant's API keys (admin+)",
        .description = "Newest first, revoked keys included; each shows its prefix and last four "
                       "characters, never the secret.",
        .responses = list_responses,
};

static const struct mh_doc_response create_responses[] = {
        {201, "Created; `secret` is shown only now.", "ApiKeyCreatedResponse",
         .headers = "Cache-Control Location",
         .example = "{\"data\":{" KEY_EXAMPLE ",\"secret\":\"mhk_"
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                    "AAAAAAAAAAAAAAAAAAAAAAQ46A\"}}"},
        {422, "`expires_at` is not in the future.", .errors = "validation_failed"},
        {0},
};
static const struct mh_route_doc create_doc = {
        .operation_id = "createApiKey",
        .summary = "Create an API key (admin+)",
        .description = "A key for a machine client, acting for you in this tenant with `role` "
                       "(never above yours: 403). The answer carries the secret; it is shown "
                       "this once and stored as a hash. Audited (`api_key_created`).",
        .request_example = "{\"name\":\"CI deploys\",\"role\":\"member\","
                           "\"expires_at\":\"2027-06-30T00:00:00Z\"}",
        .responses = create_responses,
};

static const struct mh_doc_response get_responses[] = {
        {200, "OK", "ApiKeyResponse", .headers = "Cache-Control",
         .example = "{\"data\":{" KEY_EXAMPLE "}}"},
        {0},
};
static const struct mh_route_doc get_doc = {
        .operation_id = "getApiKey",
        .summary = "Show one API key (admin+)",
        .description = "Its prefix and last four characters, never the secret.",
        .responses = get_responses,
};

static const struct mh_doc_response revoke_responses[] = {
        {204, .description = "Revoked."},
        {0},
};
static const struct mh_route_doc revoke_doc = {
        .operation_id = "revokeApiKey",
        .summary = "Revoke an API key (admin+)",
        .description = "The key is refused from the next request on, on every worker. Audited "
                       "(`api_key_revoked`; a later use as `api_key_used_after_revocation`). "
                       "Revoking a revoked key is a 204 again.",
        .responses = revoke_responses,
};

static const struct mh_route apikeys_routes[] = {
        {MH_GET, "/api/v1/tenants/current/api-keys", handle_list, 0, MH_ROLE_ADMIN,
         .query = page_query, .doc = &list_doc},
        {MH_POST, "/api/v1/tenants/current/api-keys", handle_create, 0, MH_ROLE_ADMIN,
         .body = &create_body, .doc = &create_doc},
        {MH_GET, "/api/v1/tenants/current/api-keys/:id", handle_get, 0, MH_ROLE_ADMIN, key_param,
         .doc = &get_doc},
        {MH_DELETE, "/api/v1/tenants/current/api-keys/:id", handle_revoke, 0, MH_ROLE_ADMIN,
         key_param, .doc = &revoke_doc},
        {0},
};

const struct mh_module apikeys_module = {
        .name = "apikeys",
        .routes = apikeys_routes,
        .init = apikeys_init,
        .doc = &apikeys_doc,
};
