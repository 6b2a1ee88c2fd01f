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
static const struct mh_field create_body = {"DocumentCreate", MH_T_OBJECT,
                                            .fields = create_members};
static const struct mh_field patch_body = {"DocumentPatch", MH_T_OBJECT, .min = 1,
                                           .fields = patch_members};

/* Attachments (files.c reads them by these positions, files.h). */
static const struct mh_field file_params[] = {
        [FILES_PATH_DOCUMENT] = {"id", MH_T_UUID, .not_found = "no such document"},
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
	if (documents_files_init(cfg) < 0)
		return -1;
	return mh_db_register(documents_statements);
}

static const struct mh_route documents_routes[] = {
        {MH_GET, "/api/v1/documents", handle_list, 0, MH_ROLE_VIEWER, .query = list_query},
        {MH_POST, "/api/v1/documents", handle_create, 0, MH_ROLE_MEMBER, .body = &create_body},
        {MH_GET, "/api/v1/documents/:id", handle_get, 0, MH_ROLE_VIEWER, id_param, get_query,
         .doc = NULL},
        {MH_PATCH, "/api/v1/documents/:id", handle_update, 0, MH_ROLE_MEMBER, id_param,
         .body = &patch_body},
        {MH_DELETE, "/api/v1/documents/:id", handle_delete, 0, MH_ROLE_MEMBER, id_param,
         .doc = NULL},
        {MH_POST, "/api/v1/documents/:id/restore", handle_restore, 0, MH_ROLE_ADMIN, id_param,
         .doc = NULL},
        /* Attachments (files.c): the upload's body is the file, streamed by the handler. */
        {MH_POST, "/api/v1/documents/:id/files", documents_files_upload, MH_RAW_BODY,
         MH_ROLE_MEMBER, id_param, upload_query, .doc = NULL},
        {MH_GET, "/api/v1/documents/:id/files/:file_id", documents_files_get, 0, MH_ROLE_VIEWER,
         file_params, .doc = NULL},
        {MH_DELETE, "/api/v1/documents/:id/files/:file_id", documents_files_delete, 0,
         MH_ROLE_MEMBER, file_params, .doc = NULL},
        {0},
};

const struct mh_module documents_module = {
        .name = "documents",
        .routes = documents_routes,
        .init = documents_init,
};
