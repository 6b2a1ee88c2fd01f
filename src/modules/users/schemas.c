/* schemas.c - what the users module answers with: the signed-in user and the tenants they belong
 * to. The schemas are declarations like any input (core/input.h), named as components of the
 * OpenAPI document (core/openapi.h); `menhir openapi` writes them and the tests check real answers
 * against them. */
#include "modules/users/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field tenant_summary_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {"name", MH_T_STRING, .flags = MH_REQUIRED},
        {"slug", MH_T_STRING, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field tenant_summary_schema = {"TenantSummary", MH_T_OBJECT, 0,
                                                      .fields = tenant_summary_members};

static const struct mh_field me_tenants_item = {NULL, MH_T_OBJECT, 0, .ref = "TenantSummary"};
static const char *const me_token_type_const[] = {"Bearer", NULL};
static const struct mh_field me_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"email", MH_T_STRING, .flags = MH_REQUIRED},
        {"name", MH_T_STRING, .flags = MH_REQUIRED},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"updated_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"tenant_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {"tenants", MH_T_ARRAY, MH_REQUIRED, .items = &me_tenants_item},
        {"access_token", MH_T_STRING, .flags = 0},
        {"token_type", MH_T_ENUM, 0, .values = me_token_type_const},
        {"expires_in", MH_T_INTEGER, .flags = 0},
        {0},
};
static const struct mh_field me_schema = {"Me", MH_T_OBJECT, 0, .fields = me_members};

static const struct mh_field me_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Me"},
        {0},
};
static const struct mh_field me_response_schema = {"MeResponse", MH_T_OBJECT, 0,
                                                   .fields = me_response_members};

static const struct mh_field *const users_schemas[] = {
        &tenant_summary_schema,
        &me_schema,
        &me_response_schema,
        NULL,
};

const struct mh_module_doc users_doc = {
        .tag = "users",
        .description = "The signed-in user",
        .schemas = users_schemas,
};
