/* schemas.c - what the apikeys module answers with: a key (never its secret) and, once, the
 * key with its secret. Declarations like any input (core/input.h), named as components of the
 * OpenAPI document (core/openapi.h). */
#include "modules/apikeys/internal.h"

#include "core/input.h"
#include "core/openapi.h"

#define KEY_MEMBERS                                                                                \
	{"id", MH_T_UUID, .flags = MH_REQUIRED}, {"name", MH_T_STRING, .flags = MH_REQUIRED},      \
	        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},                                 \
	        {"prefix", MH_T_STRING, MH_REQUIRED, .pattern = "^mhk_$",                          \
	         .description = "Every key starts with it."},                                      \
	        {"last_four",                                                                      \
	         MH_T_STRING,                                                                      \
	         MH_REQUIRED,                                                                      \
	         .min = 4,                                                                         \
	         .max = 4,                                                                         \
	         .description = "The key's last four characters: enough to tell keys apart."},     \
	        {"created_by", MH_T_UUID, MH_REQUIRED, .description = "The member it acts for."},  \
	        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},                              \
	        {"expires_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED | MH_NULLABLE},                \
	        {"last_used_at", MH_T_TIMESTAMP, MH_REQUIRED | MH_NULLABLE,                        \
	         .description = "Written in batches (`api_key_touch_interval`)."},                 \
	{                                                                                          \
		"revoked_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED | MH_NULLABLE                   \
	}

static const struct mh_field key_members[] = {KEY_MEMBERS, {0}};
static const struct mh_field key_schema = {"ApiKey", MH_T_OBJECT, 0, .fields = key_members};

static const struct mh_field created_members[] = {
        KEY_MEMBERS,
        {"secret", MH_T_STRING, MH_REQUIRED, .pattern = "^mhk_[A-Za-z0-9_-]{86}$",
         .description = "`mhk_` and base64url of the tenant id, the key id and 256 random bits. "
                        "Shown this once; only its SHA-256 is stored."},
        {0},
};
static const struct mh_field created_schema = {"ApiKeyCreated", MH_T_OBJECT, 0,
                                               .fields = created_members};

static const struct mh_field key_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "ApiKey"},
        {0},
};
static const struct mh_field key_response_schema = {"ApiKeyResponse", MH_T_OBJECT, 0,
                                                    .fields = key_response_members};
static const struct mh_field created_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "ApiKeyCreated"},
        {0},
};
static const struct mh_field created_response_schema = {"ApiKeyCreatedResponse", MH_T_OBJECT, 0,
                                                        .fields = created_response_members};

static const struct mh_field key_list_item = {NULL, MH_T_OBJECT, 0, .ref = "ApiKey"};
static const struct mh_field key_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &key_list_item},
        {"next_cursor", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "Pass as ?cursor= for the next page; null on the last."},
        {0},
};
static const struct mh_field key_list_schema = {"ApiKeyList", MH_T_OBJECT, 0,
                                                .fields = key_list_members};

static const struct mh_field *const apikeys_schemas[] = {
        &key_schema,          &created_schema,
        &key_response_schema, &created_response_schema,
        &key_list_schema,     NULL,
};

const struct mh_module_doc apikeys_doc = {
        .tag = "apikeys",
        .description = "A tenant's API keys for machine clients: made by admins, shown once, "
                       "revocable at once.",
        .schemas = apikeys_schemas,
};
