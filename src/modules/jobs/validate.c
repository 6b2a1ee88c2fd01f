/* validate.c - the jobs module's input checks: ids, list filters and the opaque cursor. */
#include "modules/jobs/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/validate.h"
#include "modules/auth/auth.h"

static const char *const statuses[] = { "queued", "running", "succeeded", "failed",
					"dead",   "cancelled", NULL };

const char *jobs_id_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "id");

	if (id == NULL || !auth_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such job");
		return NULL;
	}
	return auth_lower(req->arena, id);
}

int jobs_no_query_or_reply(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };
	return auth_query_or_reply(req, res, none);
}

/* ---- Cursor ---------------------------------------------------------------------------- */

/* The position (created_at, id) and the filters the page was made under: a cursor used
 * with other filters would silently skip or repeat rows, so it is refused instead. */
const char *jobs_cursor(struct mh_arena *a, const struct jobs_list_query *q, const char *key,
			const char *id)
{
	const char *fields[4] = { key, id, q->status ? q->status : "",
				  q->document_id ? q->document_id : "" };
	return mh_cursor_encode(a, fields, 4);
}

static int decode_cursor(struct mh_arena *a, const char *c, struct jobs_list_query *q)
{
	const char *f[4];

	if (mh_cursor_decode(a, c, f, 4) < 0 || !mh_is_cursor_timestamp(f[0]) || !mh_is_uuid(f[1]) ||
	    strcmp(f[2], q->status ? q->status : "") != 0 ||
	    strcmp(f[3], q->document_id ? q->document_id : "") != 0)
		return -1;
	q->after_key = f[0];
	q->after_id = f[1];
	return 0;
}

/* ---- GET /jobs ------------------------------------------------------------------------- */

static int in_list(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

int jobs_list_query_or_reply(struct mh_request *req, struct mh_response *res,
			     struct jobs_list_query *out)
{
	static const char *const names[] = { "limit", "cursor", "status", "document_id", NULL };
	struct auth_errors e = { .n = 0 };
	const char *v;

	memset(out, 0, sizeof(*out));
	out->limit = JOBS_PAGE_DEFAULT;
	if (!auth_query_or_reply(req, res, names))
		return 0;
	if ((v = mh_query(req, "limit")) != NULL) {
		char *end;
		long l = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || l < 1 || l > JOBS_PAGE_MAX)
			auth_error_add(&e, "limit", "must be an integer from 1 to 100");
		else
			out->limit = (int)l;
	}
	if ((v = mh_query(req, "status")) != NULL && !in_list(statuses, v))
		auth_error_add(&e, "status",
			       "must be queued, running, succeeded, failed, dead or cancelled");
	out->status = v;
	if ((v = mh_query(req, "document_id")) != NULL && !auth_is_uuid(v))
		auth_error_add(&e, "document_id", "must be a document id (UUID)");
	out->document_id = v ? auth_lower(req->arena, v) : NULL;
	/* The cursor last: it must match the filters just read. */
	if (e.n == 0 && (v = mh_query(req, "cursor")) != NULL &&
	    decode_cursor(req->arena, v, out) < 0)
		auth_error_add(&e, "cursor", "is not a cursor this list returned for the same filters");
	if (e.n > 0) {
		mh_reply_error_details(req, res, 400, "bad_request", "invalid query parameters", e.d,
				       e.n);
		return 0;
	}
	return 1;
}
