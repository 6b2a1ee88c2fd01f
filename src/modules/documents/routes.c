/* routes.c - the documents module's route table: each route's declared input (core/input.h)
 * and its handler. The dispatcher has checked the input against the declarations before a
 * handler runs; a handler copies the typed values out and hands them to the service; it
 * decides nothing else. Minimum roles live in the table (the dispatcher and app_enter
 * enforce them); "members change only their own documents" needs the row, so the service
 * and RLS enforce it. */
#include "modules/documents/documents.h"
#include "modules/documents/files.h"
#include "modules/documents/internal.h"

#include <string.h>

#include <json-c/json.h>

#include "core/input.h"
#include "core/openapi.h"

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field id_param[] = {
        {"id", MH_T_UUID, .not_found = "no such document"},
        {0},
};

enum {
	LIST_LIMIT,
	LIST_CURSOR,
	LIST_SORT,
	LIST_STATUS,
	LIST_TAG,
	LIST_OWNER,
	LIST_Q,
	LIST_DELETED
};
static const struct mh_field list_query[] = {
        [LIST_LIMIT] = {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = DOCUMENTS_PAGE_MAX,
                        .def = DOCUMENTS_PAGE_DEFAULT},
        [LIST_CURSOR] = {"cursor", MH_T_CURSOR, .max = 2048,
                         .description = "next_cursor of the previous page (same sort and filters, "
                                        "else 400)."},
        [LIST_SORT] = {"sort", MH_T_ENUM, MH_DEFAULT, .values = documents_sort_names,
                       .def = DOCUMENTS_SORT_CREATED_DESC},
        [LIST_STATUS] = {"status", MH_T_ENUM, .values = documents_statuses,
                         .ref = "DocumentStatus"},
        [LIST_TAG] = {"tag", MH_T_STRING, .min = 1, .max = DOCUMENTS_TAG_MAX,
                      .description = "Documents carrying this tag."},
        [LIST_OWNER] = {"owner_id", MH_T_UUID},
        [LIST_Q] = {"q", MH_T_STRING, .min = 1, .max = DOCUMENTS_Q_MAX,
                    .description =
                            "Full-text search of title and body (PostgreSQL "
                            "`websearch_to_tsquery('simple', q)`: words, \"quoted phrases\", "
                            "-exclusions, OR)."},
        [LIST_DELETED] = {"include_deleted", MH_T_BOOLEAN, MH_DEFAULT, .def = 0,
                          .description = "`true` also shows soft-deleted documents: admin and "
                                         "owner only (403 for others)."},
        {0},
};

enum { GET_DELETED };
static const struct mh_field get_query[] = {
        [GET_DELETED] = {"include_deleted", MH_T_BOOLEAN, MH_DEFAULT, .def = 0,
                         .description = "`true` also finds a soft-deleted document: admin and "
                                        "owner only."},
        {0},
};

/* The members a create or a patch may carry; a patch needs at least one. */
enum { BODY_TITLE, BODY_BODY, BODY_TAGS, BODY_STATUS };
static const struct mh_field tag = {"tag", MH_T_STRING, .min = 1, .max = DOCUMENTS_TAG_MAX};
#define DOCUMENT_MEMBERS(title_flags)                                                              \
	[BODY_TITLE] = {"title", MH_T_STRING, (title_flags), .min = 1,                             \
	                .max = DOCUMENTS_TITLE_MAX},                                               \
	[BODY_BODY] = {"body", MH_T_STRING, MH_RAW_TEXT | MH_BYTES, .max = DOCUMENTS_BODY_MAX},    \
	[BODY_TAGS] = {"tags", MH_T_ARRAY, MH_UNIQUE, .max = DOCUMENTS_TAGS_MAX, .items = &tag},   \
	[BODY_STATUS] = {"status", MH_T_ENUM, .values = documents_statuses,                        \
	                 .ref = "DocumentStatus"},                                                 \
	{                                                                                          \
		0                                                                                  \
	}
static const struct mh_field create_members[] = {DOCUMENT_MEMBERS(MH_REQUIRED)};
static const struct mh_field patch_members[] = {DOCUMENT_MEMBERS(0)};
static const struct mh_field create_body = {
        "DocumentCreate", MH_T_OBJECT, .fields = create_members,
        .description =
                "Any other member (id, tenant_id, owner_id, version, timestamps, or an unknown "
                "name) is refused with 400."};
static const struct mh_field patch_body = {
        "DocumentPatch", MH_T_OBJECT, .min = 1, .fields = patch_members,
        .description =
                "Only the members given change (at least one). Read-only or unknown members: "
                "400."};

/* Attachments (files.c reads them by these positions, files.h). */
static const struct mh_field file_params[] = {
        [FILES_PATH_DOCUMENT] = {"id", MH_T_UUID, .not_found = "no such document",
                                 .description = "The document."},
        [FILES_PATH_FILE] = {"file_id", MH_T_UUID, .not_found = "no such file"},
        {0},
};
static const struct mh_field upload_query[] = {
        [FILES_QUERY_NAME] = {"name", MH_T_STRING, MH_REQUIRED | MH_BYTES, .min = 1,
                              .max = DOCUMENTS_FILE_NAME_MAX,
                              .description = "The file's name, stored as data and never used in a "
                                             "path."},
        {0},
};

/* ---- Handlers --------------------------------------------------------------------------- */

/* GET /api/v1/documents?limit&cursor&sort&status&tag&owner_id&q&include_deleted (viewer+)
 * 200 {data: [...], next_cursor}; 400 a cursor of another sort or filters; 403
 * include_deleted below admin. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	const struct mh_value *cursor = mh_in_query(req, LIST_CURSOR);
	struct documents_list_query q = {
	        .limit = (int)mh_in_query(req, LIST_LIMIT)->i,
	        .sort = (enum documents_sort)mh_in_query(req, LIST_SORT)->i,
	        .status = mh_in_query(req, LIST_STATUS)->s,
	        .tag = mh_in_query(req, LIST_TAG)->s,
	        .owner_id = mh_in_query(req, LIST_OWNER)->s,
	        .q = mh_in_query(req, LIST_Q)->s,
	        .include_deleted = (int)mh_in_query(req, LIST_DELETED)->i,
	};

	if (cursor->present && documents_cursor_read(req->arena, cursor->s, &q) < 0)
		return mh_reply_invalid(req, res, "cursor",
		                        "is not a cursor this list returned for the same sort and "
		                        "filters");
	return documents_list(req, res, &q);
}

/* The checked body of a create or a patch; tags as JSON array text. */
static void read_input(struct mh_request *req, struct documents_input *in)
{
	const struct mh_value *tags = mh_in_body(req, BODY_TAGS);

	memset(in, 0, sizeof(*in));
	in->title = mh_in_body(req, BODY_TITLE)->s;
	in->body = mh_in_body(req, BODY_BODY)->s;
	in->status = mh_in_body(req, BODY_STATUS)->s;
	/* The text belongs to the parsed body, which the arena releases. */
	if (tags->present)
		in->tags_json = json_object_to_json_string_ext(tags->json, JSON_C_TO_STRING_PLAIN);
}

/* POST /api/v1/documents {title, body?, tags?, status?} [Idempotency-Key] (member+)
 * 201 + Location + ETag; replay of the first response; 400; 409 key in use; 422 key
 * reused. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	struct documents_input in;
	struct documents_conditions c;
	int rc;

	if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
		return rc;
	read_input(req, &in);
	return documents_create(req, res, &in, &c);
}

/* GET /api/v1/documents/:id[?include_deleted=true] (viewer+) 200 + ETag; 304; 404. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	return documents_get(req, res, mh_in_path(req, 0)->s,
	                     (int)mh_in_query(req, GET_DELETED)->i);
}

/* PATCH /api/v1/documents/:id {title?, body?, tags?, status?} [If-Match] (member+, own
 * documents; admin+ any) 200 + ETag; 400; 403; 404; 412. */
static int handle_update(struct mh_request *req, struct mh_response *res)
{
	struct documents_input in;
	struct documents_conditions c;
	int rc;

	if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
		return rc;
	read_input(req, &in);
	return documents_update(req, res, mh_in_path(req, 0)->s, &in, &c);
}

/* DELETE /api/v1/documents/:id [If-Match] (member+, own; admin+ any) 204; 403; 404; 412. */
static int handle_delete(struct mh_request *req, struct mh_response *res)
{
	struct documents_conditions c;
	int rc;

	if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
		return rc;
	return documents_delete(req, res, mh_in_path(req, 0)->s, &c);
}

/* POST /api/v1/documents/:id/restore (admin+) 200 + ETag; 404; 409 not deleted. */
static int handle_restore(struct mh_request *req, struct mh_response *res)
{
	return documents_restore(req, res, mh_in_path(req, 0)->s);
}

static int documents_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(documents_files_statements) < 0)
		return -1;
	return mh_db_register(documents_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response list_documents_responses[] = {
        {200, "A page.", "DocumentList", .headers = "Cache-Control",
         .example = "{\"data\":[{\"id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\","
                    "\"owner_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"title\":\"Quarterly "
                    "plan\","
                    "\"tags\":[\"plan\",\"q3\"],\"status\":\"published\",\"version\":1,"
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"deleted_at\":null}],"
                    "\"next_cursor\":null}"},
        {0},
};
static const struct mh_route_doc list_documents_doc = {
        .operation_id = "listDocuments",
        .summary = "Documents of the tenant (viewer+), keyset-paginated",
        .description = "Unknown or repeated parameters and bad values are a 400 naming each. "
                       "Every page costs one index range scan: page 1,000 costs what page 1 "
                       "costs.",
        .responses = list_documents_responses,
};

static const struct mh_doc_response create_document_responses[] = {
        {201, "Created (or the replay of the first response to this Idempotency-Key).",
         "DocumentResponse", .headers = "Location ETag=ETag-Optional Idempotent-Replayed",
         .example = "{\"data\":{\"id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\","
                    "\"owner_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"title\":\"Quarterly "
                    "plan\","
                    "\"body\":\"Line one\\nline two\",\"tags\":[\"plan\",\"q3\"],"
                    "\"status\":\"published\",\"version\":1,"
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"deleted_at\":null}}"},
        {403,
         "Your role does not allow this (viewers), or the tenant's plan allows no more "
         "documents (`plan_limit_reached`; `details` give the limit).",
         .errors = "forbidden plan_limit_reached",
         .example = "{\"error\":\"plan_limit_reached\",\"message\":\"the plan allows 1000 "
                    "documents\",\"details\":[{\"field\":\"limit\",\"message\":\"1000\"},"
                    "{\"field\":\"used\",\"message\":\"1000\"},{\"field\":\"meter\","
                    "\"message\":\"documents\"}],"
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {409,
         "A request with this Idempotency-Key is still in flight; retry after Retry-After "
         "seconds to get its response.",
         .errors = "idempotency_key_in_use", .headers = "Retry-After",
         .example = "{\"error\":\"idempotency_key_in_use\",\"message\":\"a request with this "
                    "Idempotency-Key is still being processed; retry shortly to get its response\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {422, "The Idempotency-Key was used before with another body.",
         .errors = "idempotency_key_reused",
         .example = "{\"error\":\"idempotency_key_reused\",\"message\":\"this Idempotency-Key "
                    "belongs to another "
                    "request\",\"details\":[{\"field\":\"Idempotency-Key\",\"message\":\"was used "
                    "with a different request "
                    "body\"}],\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc create_document_doc = {
        .operation_id = "createDocument",
        .summary = "Create a document (member+), owned by the caller",
        .parameters = "[{\"name\":\"Idempotency-Key\",\"in\":\"header\",\"required\":false,"
                      "\"schema\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":257},"
                      "\"example\":\"\\\"8e03978e-40d5-43e8-bc93-6894a57f9324\\\"\","
                      "\"description\":\"1–255 visible ASCII characters, bare or quoted. The "
                      "same key with the same body within 24 h replays the first response; "
                      "with another body: 422; while the first is in flight: 409.\"}]",
        .request_example = "{\"title\":\"Quarterly plan\",\"body\":\"Line one\\nline two\","
                           "\"tags\":[\"plan\",\"q3\"],\"status\":\"published\"}",
        .responses = create_document_responses,
};

static const struct mh_doc_response get_document_responses[] = {
        {200, "The document.", "DocumentResponse",
         .headers = "ETag Cache-Control=Cache-Control-Revalidate",
         .example = "{\"data\":{\"id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\","
                    "\"owner_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"title\":\"Quarterly "
                    "plan\","
                    "\"body\":\"Line one\\nline two\",\"tags\":[\"plan\",\"q3\"],"
                    "\"status\":\"published\",\"version\":1,"
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"deleted_at\":null}}"},
        {304, "Unchanged since the ETag in If-None-Match (no body).", .headers = "ETag"},
        {404, "No such document in your tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc get_document_doc = {
        .operation_id = "getDocument",
        .summary = "One document (viewer+), with its ETag",
        .parameters = "[{\"name\":\"If-None-Match\",\"in\":\"header\",\"required\":false,"
                      "\"schema\":{\"type\":\"string\"},\"description\":\"ETags or `*`: 304 "
                      "when the document is unchanged.\"}]",
        .responses = get_document_responses,
};

static const struct mh_doc_response update_document_responses[] = {
        {200, "The changed document.", "DocumentResponse", .headers = "ETag",
         .example = "{\"data\":{\"id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\","
                    "\"owner_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"title\":\"Quarterly "
                    "plan\","
                    "\"body\":\"Line one\\nline two\",\"tags\":[\"plan\",\"q3\"],"
                    "\"status\":\"published\",\"version\":2,"
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"deleted_at\":null}}"},
        {403,
         "Your role does not allow this: viewers never write, members change only their own "
         "documents, restore and include_deleted need admin. Or the document is read-only: "
         "the tenant has more documents than its plan allows, and this is one of the newer "
         "ones (`plan_limit_reached`).",
         .errors = "forbidden plan_limit_reached",
         .example = "{\"error\":\"forbidden\",\"message\":\"members may change only their own "
                    "documents\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such document in your tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {412, "If-Match names an older version; the current ETag is in the ETag header.",
         .errors = "precondition_failed", .headers = "ETag=ETag-Optional",
         .example =
                 "{\"error\":\"precondition_failed\",\"message\":\"the document changed since the "
                 "ETag in If-Match; fetch it again\","
                 "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc update_document_doc = {
        .operation_id = "updateDocument",
        .summary = "Change some fields (member+: own documents; admin+: any)",
        .parameters = "[{\"name\":\"If-Match\",\"in\":\"header\",\"required\":false,"
                      "\"schema\":{\"type\":\"string\"},"
                      "\"example\":\"\\\"9b2f6c0e4d1a8b7c3e5f0a2d4c6b8e1f\\\"\","
                      "\"description\":\"`*` or ETags (strong comparison): the write happens "
                      "only if the document is still at that version, else 412.\"}]",
        .request_example = "{\"title\":\"Quarterly plan (v2)\",\"status\":\"archived\"}",
        .responses = update_document_responses,
};

static const struct mh_doc_response delete_document_responses[] = {
        {204, .description = "Deleted (restorable by an admin)."},
        {403,
         "Your role does not allow this: viewers never write, members change only their own "
         "documents, restore and include_deleted need admin.",
         .errors = "forbidden",
         .example = "{\"error\":\"forbidden\",\"message\":\"members may change only their own "
                    "documents\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such document in your tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {412, "If-Match names an older version; the current ETag is in the ETag header.",
         .errors = "precondition_failed", .headers = "ETag=ETag-Optional",
         .example =
                 "{\"error\":\"precondition_failed\",\"message\":\"the document changed since the "
                 "ETag in If-Match; fetch it again\","
                 "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc delete_document_doc = {
        .operation_id = "deleteDocument",
        .summary = "Soft-delete (member+: own documents; admin+: any)",
        .parameters = "[{\"name\":\"If-Match\",\"in\":\"header\",\"required\":false,"
                      "\"schema\":{\"type\":\"string\"},"
                      "\"example\":\"\\\"9b2f6c0e4d1a8b7c3e5f0a2d4c6b8e1f\\\"\","
                      "\"description\":\"`*` or ETags (strong comparison): the write happens "
                      "only if the document is still at that version, else 412.\"}]",
        .responses = delete_document_responses,
};

static const struct mh_doc_response restore_document_responses[] = {
        {200, "The restored document.", "DocumentResponse", .headers = "ETag",
         .example = "{\"data\":{\"id\":\"6b1f3e2a-9c4d-4e5f-8a7b-1c2d3e4f5a6b\","
                    "\"owner_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"title\":\"Quarterly "
                    "plan\","
                    "\"body\":\"Line one\\nline two\",\"tags\":[\"plan\",\"q3\"],"
                    "\"status\":\"published\",\"version\":1,"
                    "\"created_at\":\"2026-11-24T10:15:30.123456Z\","
                    "\"updated_at\":\"2026-11-24T10:15:30.123456Z\",\"deleted_at\":null}}"},
        {403,
         "Restoring needs admin (`forbidden`), and a place under the plan's limit of "
         "documents (`plan_limit_reached`).",
         .errors = "forbidden plan_limit_reached",
         .example = "{\"error\":\"plan_limit_reached\",\"message\":\"the plan allows 1000 "
                    "documents\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such document in your tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {409, "The document is not deleted.", .errors = "not_deleted",
         .example = "{\"error\":\"not_deleted\",\"message\":\"the document is not deleted\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc restore_document_doc = {
        .operation_id = "restoreDocument",
        .summary = "Undo a soft delete (admin+)",
        .responses = restore_document_responses,
};

static const struct mh_doc_response upload_document_file_responses[] = {
        {201, "Stored.", "DocumentFileResponse", .headers = "Cache-Control Location",
         .example =
                 "{\"data\":{\"id\":\"8c1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6\","
                 "\"document_id\":\"3f9a2b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b\",\"name\":\"report.pdf\","
                 "\"size\":48213,"
                 "\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
                 "\"content_type\":\"application/pdf\","
                 "\"created_at\":\"2026-11-24T10:15:30.123456Z\"}}"},
        {403,
         "The caller's role does not allow changing this document (a viewer; a member on "
         "another's document).",
         .errors = "forbidden",
         .example =
                 "{\"error\":\"forbidden\",\"message\":\"members may change the files of their own "
                 "documents only\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such document in the caller's tenant (or it is deleted).", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such document\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {413,
         "The file exceeds `upload_limit` (Menhir) or the upload location's "
         "`client_max_body_size` (nginx; then without `X-Request-Id`), or it would take the "
         "tenant past its plan's storage (`storage_quota_exceeded`).",
         .errors = "payload_too_large storage_quota_exceeded", .headers = "X-Request-Id-Optional",
         .example = "{\"error\":\"payload_too_large\",\"message\":\"the request body exceeds the "
                    "limit "
                    "of 10485760 bytes\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {415, "The Content-Type is not an accepted type, or the bytes do not match it.",
         .errors = "unsupported_media_type",
         .example =
                 "{\"error\":\"unsupported_media_type\",\"message\":\"the file's content does not "
                 "match its Content-Type\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc upload_document_file_doc = {
        .operation_id = "uploadDocumentFile",
        .summary = "Attach a file to a document (member+ on their own documents; admin+ on "
                   "any)",
        .description = "The request body is the file itself (not multipart), at most "
                       "`upload_limit` bytes (10 MiB by default), with its type in "
                       "`Content-Type`. Accepted types: PDF, PNG, JPEG, GIF, WebP and ZIP, "
                       "whose first bytes must carry the type's signature, and UTF-8 text "
                       "(plain, CSV, Markdown; `charset=utf-8` is the only parameter "
                       "allowed). The name is given in `?name=` and is stored as data: the "
                       "bytes are kept under a generated key, so no name can reach the "
                       "filesystem. The file's SHA-256 is computed on receipt and returned.",
        .request_body = "{\"required\":true,\"description\":\"The file's bytes.\","
                        "\"content\":{\"application/pdf\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"application/pdf\"}},"
                        "\"image/png\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"image/png\"}},"
                        "\"image/jpeg\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"image/jpeg\"}},"
                        "\"image/gif\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"image/gif\"}},"
                        "\"image/webp\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"image/webp\"}},"
                        "\"application/zip\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"application/zip\"}},"
                        "\"text/plain\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"text/plain\"}},"
                        "\"text/csv\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"text/csv\"}},"
                        "\"text/markdown\":{\"schema\":{\"type\":\"string\","
                        "\"contentMediaType\":\"text/markdown\"}}}}",
        .responses = upload_document_file_responses,
};

static const struct mh_doc_response download_document_file_responses[] = {
        {200, "The file's bytes.",
         .content = "{\"application/pdf\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"application/pdf\"}},"
                    "\"image/png\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"image/png\"}},"
                    "\"image/jpeg\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"image/jpeg\"}},"
                    "\"image/gif\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"image/gif\"}},"
                    "\"image/webp\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"image/webp\"}},"
                    "\"application/zip\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"application/zip\"}},\"text/plain; "
                    "charset=utf-8\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"text/plain; charset=utf-8\"}},\"text/csv; "
                    "charset=utf-8\":{\"schema\":{\"type\":\"string\",\"contentMediaType\":\"text/"
                    "csv; "
                    "charset=utf-8\"}},\"text/markdown; "
                    "charset=utf-8\":{\"schema\":{\"type\":\"string\","
                    "\"contentMediaType\":\"text/markdown; charset=utf-8\"}}}",
         .headers = "- Content-Disposition"},
        {404, "No such file (or document) in the caller's tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such file\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc download_document_file_doc = {
        .operation_id = "downloadDocumentFile",
        .summary = "Download an attached file (viewer+)",
        .description = "Menhir authorizes the request and answers with `X-Accel-Redirect`; "
                       "nginx sends the bytes from storage (with `Content-Length`, `ETag` "
                       "and Range support). Always an attachment, with "
                       "`X-Content-Type-Options: nosniff` and a sandboxing "
                       "Content-Security-Policy.",
        .responses = download_document_file_responses,
};

static const struct mh_doc_response delete_document_file_responses[] = {
        {204, .description = "Removed."},
        {403, "A member removing a file of another's document.", .errors = "forbidden",
         .example =
                 "{\"error\":\"forbidden\",\"message\":\"members may change the files of their own "
                 "documents only\",\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {404, "No such file (or document) in the caller's tenant.", .errors = "not_found",
         .example = "{\"error\":\"not_found\",\"message\":\"no such file\","
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc delete_document_file_doc = {
        .operation_id = "deleteDocumentFile",
        .summary = "Remove an attached file (member+ on their own documents; admin+ on any)",
        .description = "The bytes are removed from storage; the metadata row is kept, marked "
                       "deleted, as history.",
        .responses = delete_document_file_responses,
};

static const struct mh_route documents_routes[] = {
        {MH_GET, "/api/v1/documents", handle_list, MH_API_KEY, MH_ROLE_VIEWER, .query = list_query,
         .doc = &list_documents_doc},
        {MH_POST, "/api/v1/documents", handle_create, MH_API_KEY, MH_ROLE_MEMBER, .body = &create_body,
         .doc = &create_document_doc},
        {MH_GET, "/api/v1/documents/:id", handle_get, MH_API_KEY, MH_ROLE_VIEWER, id_param, get_query,
         .doc = &get_document_doc},
        {MH_PATCH, "/api/v1/documents/:id", handle_update, MH_API_KEY, MH_ROLE_MEMBER, id_param,
         .body = &patch_body, .doc = &update_document_doc},
        {MH_DELETE, "/api/v1/documents/:id", handle_delete, MH_API_KEY, MH_ROLE_MEMBER, id_param,
         .doc = &delete_document_doc},
        {MH_POST, "/api/v1/documents/:id/restore", handle_restore, MH_API_KEY, MH_ROLE_ADMIN, id_param,
         .doc = &restore_document_doc},
        /* Attachments (files.c): the upload's body is the file, streamed by the handler. */
        {MH_POST, "/api/v1/documents/:id/files", documents_files_upload, MH_RAW_BODY | MH_API_KEY,
         MH_ROLE_MEMBER, id_param, upload_query, .doc = &upload_document_file_doc},
        {MH_GET, "/api/v1/documents/:id/files/:file_id", documents_files_get, MH_API_KEY, MH_ROLE_VIEWER,
         file_params, .doc = &download_document_file_doc},
        {MH_DELETE, "/api/v1/documents/:id/files/:file_id", documents_files_delete, MH_API_KEY,
         MH_ROLE_MEMBER, file_params, .doc = &delete_document_file_doc},
        {0},
};

const struct mh_module documents_module = {
        .name = "documents",
        .routes = documents_routes,
        .init = documents_init,
        .doc = &documents_doc,
        .settings = &documents_config,
};
