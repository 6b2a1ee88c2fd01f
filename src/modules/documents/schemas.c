/* schemas.c - what the documents module answers with: documents, list pages and attachments; and
 * the headers of its conditional requests and downloads. The schemas are declarations like any
 * input (core/input.h), named as components of the OpenAPI document (core/openapi.h); `menhir
 * openapi` writes them and the tests check real answers against them. */
#include "modules/documents/internal.h"

#include "core/input.h"
#include "core/openapi.h"

static const struct mh_field document_status_schema = {"DocumentStatus", MH_T_ENUM, 0,
                                                       .values = documents_statuses};

static const struct mh_field document_tags_item = {NULL, MH_T_STRING, 0, .min = 1, .max = 50};
static const struct mh_field document_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"owner_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"title", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 200},
        {"body", MH_T_STRING, MH_REQUIRED, .description = "At most 1 MiB (1048576 bytes)."},
        {"tags", MH_T_ARRAY, MH_REQUIRED, .items = &document_tags_item, .max = 20},
        {"status", MH_T_OBJECT, MH_REQUIRED, .ref = "DocumentStatus"},
        {"version", MH_T_INTEGER, MH_REQUIRED, .min = 1,
         .description = "Bumped by every change; the ETag derives from it."},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"updated_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"deleted_at", MH_T_TIMESTAMP, MH_REQUIRED | MH_NULLABLE,
         .description = "Set by DELETE (soft delete); null while live."},
        {0},
};
static const struct mh_field document_schema = {"Document", MH_T_OBJECT, 0,
                                                .fields = document_members};

static const struct mh_field document_summary_tags_item = {NULL, MH_T_STRING, 0, .min = 1,
                                                           .max = 50};
static const struct mh_field document_summary_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"owner_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"title", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 200},
        {"tags", MH_T_ARRAY, MH_REQUIRED, .items = &document_summary_tags_item, .max = 20},
        {"status", MH_T_OBJECT, MH_REQUIRED, .ref = "DocumentStatus"},
        {"version", MH_T_INTEGER, MH_REQUIRED, .min = 1,
         .description = "Bumped by every change; the ETag derives from it."},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"updated_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {"deleted_at", MH_T_TIMESTAMP, MH_REQUIRED | MH_NULLABLE,
         .description = "Set by DELETE (soft delete); null while live."},
        {0},
};
static const struct mh_field document_summary_schema = {
        "DocumentSummary", MH_T_OBJECT, 0, .fields = document_summary_members,
        .description =
                "A document in a list: everything but the body (GET /documents/{id} has it)."};

static const struct mh_field document_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Document"},
        {0},
};
static const struct mh_field document_response_schema = {"DocumentResponse", MH_T_OBJECT, 0,
                                                         .fields = document_response_members};

static const struct mh_field document_list_data_item = {NULL, MH_T_OBJECT, 0,
                                                        .ref = "DocumentSummary"};
static const struct mh_field document_list_members[] = {
        {"data", MH_T_ARRAY, MH_REQUIRED, .items = &document_list_data_item},
        {"next_cursor", MH_T_STRING, MH_REQUIRED | MH_NULLABLE, .pattern = "^[A-Za-z0-9_-]+$",
         .description =
                 "Opaque; pass as ?cursor= with the same sort and filters for the next page; "
                 "null on the last."},
        {0},
};
static const struct mh_field document_list_schema = {"DocumentList", MH_T_OBJECT, 0,
                                                     .fields = document_list_members};

static const char *const document_file_content_type_values[] = {"application/pdf",
                                                                "image/png",
                                                                "image/jpeg",
                                                                "image/gif",
                                                                "image/webp",
                                                                "application/zip",
                                                                "text/plain; charset=utf-8",
                                                                "text/csv; charset=utf-8",
                                                                "text/markdown; charset=utf-8",
                                                                NULL};
static const struct mh_field document_file_members[] = {
        {"id", MH_T_UUID, .flags = MH_REQUIRED},
        {"document_id", MH_T_UUID, .flags = MH_REQUIRED},
        {"name", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 255,
         .description = "The client's file name, stored as data (never part of a path)."},
        {"size", MH_T_INTEGER, MH_REQUIRED, .min = 1},
        {"sha256", MH_T_STRING, MH_REQUIRED, .pattern = "^[0-9a-f]{64}$"},
        {"content_type", MH_T_ENUM, MH_REQUIRED, .values = document_file_content_type_values},
        {"created_at", MH_T_TIMESTAMP, .flags = MH_REQUIRED},
        {0},
};
static const struct mh_field document_file_schema = {"DocumentFile", MH_T_OBJECT, 0,
                                                     .fields = document_file_members};

static const struct mh_field document_file_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "DocumentFile"},
        {0},
};
static const struct mh_field document_file_response_schema = {
        "DocumentFileResponse", MH_T_OBJECT, 0, .fields = document_file_response_members};

static const struct mh_field *const documents_schemas[] = {
        &document_status_schema,        &document_schema,
        &document_summary_schema,       &document_response_schema,
        &document_list_schema,          &document_file_schema,
        &document_file_response_schema, NULL,
};

const struct mh_module_doc documents_doc = {
        .tag = "documents",
        .description = "Tenant-scoped documents: keyset pagination, full-text search, ETags, "
                       "If-Match, Idempotency-Key, soft delete",
        .schemas = documents_schemas,
        .headers = "{\"ETag-Optional\":{\"description\":\"Strong validator of the document's "
                   "current version; send it back in If-None-Match (GET) or If-Match (PATCH, "
                   "DELETE).\",\"required\":false,\"schema\":{\"type\":\"string\","
                   "\"pattern\":\"^\\\"[0-9a-f]{32}\\\"$\"},"
                   "\"example\":\"\\\"9b2f6c0e4d1a8b7c3e5f0a2d4c6b8e1f\\\"\"},"
                   "\"Cache-Control-Revalidate\":{\"description\":\"Clients may keep it but "
                   "must revalidate.\",\"required\":true,\"schema\":{\"const\":\"private, "
                   "no-cache\"},\"example\":\"private, no-cache\"},"
                   "\"Content-Disposition\":{\"description\":\"`attachment` with an ASCII "
                   "`filename` stand-in and the exact name in `filename*` (RFC 8187).\","
                   "\"required\":true,\"schema\":{\"type\":\"string\"},"
                   "\"example\":\"attachment; filename=\\\"report.pdf\\\"; "
                   "filename*=UTF-8''report.pdf\"}}",
};
