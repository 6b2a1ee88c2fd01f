/* routes.c - the documents module's route table and handlers. A handler reads and checks
 * the input (validate.c) and hands typed values to the service; it decides nothing else.
 * Minimum roles live in the table (the dispatcher and app_enter enforce them); "members
 * change only their own documents" needs the row, so the service and RLS enforce it. */
#include "modules/documents/documents.h"
#include "modules/documents/files.h"
#include "modules/documents/internal.h"

/* Routes that take no body refuse one rather than ignore it. */
static int no_body_or_reply(struct mh_request *req, struct mh_response *res)
{
	if (req->body_len == 0)
		return 1;
	mh_reply_error(req, res, 400, "bad_request", "this endpoint takes no request body");
	return 0;
}

/* GET /api/v1/documents?limit&cursor&sort&status&tag&owner_id&q&include_deleted (viewer+)
 * 200 {data: [...], next_cursor}; 400 bad parameter; 403 include_deleted below admin. */
static int handle_list(struct mh_request *req, struct mh_response *res)
{
	struct documents_list_query q;

	if (!documents_list_query_or_reply(req, res, &q))
		return 0;
	return documents_list(req, res, &q);
}

/* POST /api/v1/documents {title, body?, tags?, status?} [Idempotency-Key] (member+)
 * 201 + Location + ETag; replay of the first response; 400; 409 key in use; 422. */
static int handle_create(struct mh_request *req, struct mh_response *res)
{
	struct documents_input in;
	struct documents_conditions c;
	int rc;

	if (documents_no_query_or_reply(req, res) && documents_input_or_reply(req, res, 1, &in)) {
		if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
			return rc;
		return documents_create(req, res, &in, &c);
	}
	return 0;
}

/* GET /api/v1/documents/:id[?include_deleted=true] (viewer+) 200 + ETag; 304; 404. */
static int handle_get(struct mh_request *req, struct mh_response *res)
{
	const char *id = documents_id_or_reply(req, res);
	int include_deleted;

	if (id == NULL || !documents_get_query_or_reply(req, res, &include_deleted))
		return 0;
	return documents_get(req, res, id, include_deleted);
}

/* PATCH /api/v1/documents/:id {title?, body?, tags?, status?} [If-Match] (member+, own
 * documents; admin+ any) 200 + ETag; 400 unknown or read-only field; 403; 404; 412; 422. */
static int handle_update(struct mh_request *req, struct mh_response *res)
{
	const char *id = documents_id_or_reply(req, res);
	struct documents_input in;
	struct documents_conditions c;
	int rc;

	if (id == NULL || !documents_no_query_or_reply(req, res) ||
	    !documents_input_or_reply(req, res, 0, &in))
		return 0;
	if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
		return rc;
	return documents_update(req, res, id, &in, &c);
}

/* DELETE /api/v1/documents/:id [If-Match] (member+, own; admin+ any) 204; 403; 404; 412. */
static int handle_delete(struct mh_request *req, struct mh_response *res)
{
	const char *id = documents_id_or_reply(req, res);
	struct documents_conditions c;
	int rc;

	if (id == NULL || !documents_no_query_or_reply(req, res) || !no_body_or_reply(req, res))
		return 0;
	if ((rc = documents_conditions_or_reply(req, res, &c)) <= 0)
		return rc;
	return documents_delete(req, res, id, &c);
}

/* POST /api/v1/documents/:id/restore (admin+) 200 + ETag; 404; 409 not deleted. */
static int handle_restore(struct mh_request *req, struct mh_response *res)
{
	const char *id = documents_id_or_reply(req, res);

	if (id == NULL || !documents_no_query_or_reply(req, res) || !no_body_or_reply(req, res))
		return 0;
	return documents_restore(req, res, id);
}

static int documents_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(documents_files_statements) < 0)
		return -1;
	return mh_db_register(documents_statements);
}

static const struct mh_route documents_routes[] = {
        {MH_GET, "/api/v1/documents", handle_list, 0, MH_ROLE_VIEWER},
        {MH_POST, "/api/v1/documents", handle_create, MH_JSON_BODY, MH_ROLE_MEMBER},
        {MH_GET, "/api/v1/documents/:id", handle_get, 0, MH_ROLE_VIEWER},
        {MH_PATCH, "/api/v1/documents/:id", handle_update, MH_JSON_BODY, MH_ROLE_MEMBER},
        {MH_DELETE, "/api/v1/documents/:id", handle_delete, 0, MH_ROLE_MEMBER},
        {MH_POST, "/api/v1/documents/:id/restore", handle_restore, 0, MH_ROLE_ADMIN},
        /* Attachments (files.c): the upload's body is the file, streamed by the handler. */
        {MH_POST, "/api/v1/documents/:id/files", documents_files_upload, MH_RAW_BODY, MH_ROLE_MEMBER},
        {MH_GET, "/api/v1/documents/:id/files/:file_id", documents_files_get, 0, MH_ROLE_VIEWER},
        {MH_DELETE, "/api/v1/documents/:id/files/:file_id", documents_files_delete, 0, MH_ROLE_MEMBER},
        {0},
};

const struct mh_module documents_module = {
	.name = "documents",
	.routes = documents_routes,
	.init = documents_init,
	.settings = &documents_config,
};
