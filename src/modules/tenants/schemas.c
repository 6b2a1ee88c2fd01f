/* schemas.c - what the tenants module answers with: the tenant, its members and its audit log. The
 * schemas are declarations like any input (core/input.h), named as components of the OpenAPI
 * document (core/openapi.h); `menhir openapi` writes them and the tests check real answers against
 * them. */
#include "modules/tenants/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field tenant_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 200},
        {"slug", MH_T_STRING, MH_REQUIRED, .pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"updated_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {0},
};
static const struct mh_field tenant_schema = {"Tenant", MH_T_OBJECT, 0, .fields = tenant_members};

static const struct mh_field tenant_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Tenant"},
        {0},
};
static const struct mh_field tenant_response_schema = {"TenantResponse", MH_T_OBJECT, 0,
                                                       .fields = tenant_response_members};

static const struct mh_field member_members[] = {
        {"user_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"email", MH_T_STRING, .flags = MH_REQUIRED},
        {"name", MH_T_STRING, .flags = MH_REQUIRED},
        {"role", MH_T_OBJECT, MH_REQUIRED, .ref = "Role"},
        {"joined_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field member_schema = {"Member", MH_T_OBJECT, 0, .fields = member_members};

static const struct mh_field member_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Member"},
        {0},
};
static const struct mh_field member_response_schema = {"MemberResponse", MH_T_OBJECT, 0,
                                                       .fields = member_response_members};

static const struct mh_field member_list_data_item = {NULL, MH_T_OBJECT, 0, .ref = "Member"};
static const struct mh_field member_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &member_list_data_item},
        {"next_cursor", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "Pass as ?cursor= for the next page; null on the last."},
        {0},
};
static const struct mh_field member_list_schema = {"MemberList", MH_T_OBJECT, 0,
                                                   .fields = member_list_members};

static const struct mh_field audit_entry_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"actor_id", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {"action", MH_T_STRING, .flags = MH_REQUIRED},
        {"target", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {"ip", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {"request_id", MH_T_STRING, .flags = MH_REQUIRED | MH_NULLABLE},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field audit_entry_schema = {"AuditEntry", MH_T_OBJECT, 0,
                                                   .fields = audit_entry_members};

static const struct mh_field audit_list_data_item = {NULL, MH_T_OBJECT, 0, .ref = "AuditEntry"};
static const struct mh_field audit_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &audit_list_data_item},
        {"next_cursor", MH_T_STRING, MH_REQUIRED | MH_NULLABLE,
         .description = "Pass as ?cursor= for the next page; null on the last."},
        {0},
};
static const struct mh_field audit_list_schema = {"AuditList", MH_T_OBJECT, 0,
                                                  .fields = audit_list_members};

static const struct mh_field *const tenants_schemas[] = {
        &tenant_schema,      &tenant_response_schema, &member_schema,     &member_response_schema,
        &member_list_schema, &audit_entry_schema,     &audit_list_schema, NULL,
};

const struct mh_module_doc tenants_doc = {
        .tag = "tenants",
        .description = "The current tenant, its members and its audit log",
        .schemas = tenants_schemas,
};
