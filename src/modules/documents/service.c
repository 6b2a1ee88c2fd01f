/* service.c - the documents use cases: who may do what, which statements one request's
 * transaction runs (always a single pipelined round trip), and what the client is told.
 * The role rules are decided here from the database's answer (the caller's CURRENT role,
 * read by app_enter) and enforced again by the RLS policies of schema 0004. */
#include "modules/documents/internal.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/idempotency.h"

#define CREATE_ROUTE "POST /api/v1/documents"

/* Role ranks as app_role_rank() counts them. */
enum { RANK_ADMIN = 3 };

/* The database's refusals in this module's words; the framework maps the rest (503, 403
 * from app_enter or app_require_role, 500). */
static int reply_db_error(struct mh_request *req, struct mh_response *res, struct mh_tx *tx, int rc)
{
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MH409") == 0) {
		mh_response_header(res, "Retry-After", "1");
		return mh_reply_error(
		        req, res, 409, "idempotency_key_in_use",
		        "a request with this Idempotency-Key is still being processed; "
		        "retry shortly to get its response");
	}
	return mh_db_reply_error(req, res, tx, rc);
}

static const char *quoted(struct mh_request *req, const char *etag)
{
	return mh_arena_sprintf(req->arena, "\"%s\"", etag);
}

/* The document envelope the statement rendered, with its ETag. */
static int reply_document(struct mh_request *req, struct mh_response *res, int status,
                          const PGresult *r)
{
	const char *etag = quoted(req, PQgetvalue(r, 0, DOCUMENTS_COL_ETAG));

	if (etag == NULL)
		return -1;
	mh_response_header(res, "ETag", etag);
	res->status = status;
	res->body.len = 0;
	mh_buf_puts(&res->body, PQgetvalue(r, 0, DOCUMENTS_COL_ENVELOPE));
	return 0;
}

/*
 * A write matched no row: the probe (queued right after it) says why. Order matters: a
 * document the caller cannot see or that is deleted is 404 whatever else is wrong; then
 * the role rule (members change only their own documents); then the precondition.
 */
static int explain_refusal(struct mh_request *req, struct mh_response *res, const PGresult *p)
{
	if (p == NULL || PQntuples(p) != 1 ||
	    strcmp(PQgetvalue(p, 0, DOCUMENTS_PROBE_DELETED), "t") == 0)
		return mh_reply_error(req, res, 404, "not_found", "no such document");
	if (atoi(PQgetvalue(p, 0, DOCUMENTS_PROBE_RANK)) < RANK_ADMIN &&
	    strcmp(PQgetvalue(p, 0, DOCUMENTS_PROBE_OWN), "t") != 0)
		return mh_reply_error(req, res, 403, "forbidden",
		                      "members may change only their own documents");
	mh_response_header(res, "ETag", quoted(req, PQgetvalue(p, 0, DOCUMENTS_PROBE_ETAG)));
	return mh_reply_error(req, res, 412, "precondition_failed",
	                      "the document changed since the ETag in If-Match; fetch it again");
}

/* GET /documents: READ ONLY, one round trip; include_deleted first proves admin+. */
int documents_list(struct mh_request *req, struct mh_response *res,
                   const struct documents_list_query *q)
{
	struct mh_tx tx;
	const PGresult *r;
	struct mh_buf *b = &res->body;
	int n, shown, idx, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	/* Fail closed: without the admin check queued, deleted rows are never asked for. */
	if (q->include_deleted && documents_repo_require_admin(&tx) < 0)
		return -1;
	idx = documents_repo_list(&tx, q);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	if ((r = mh_tx_result(&tx, idx)) == NULL)
		return -1;
	n = PQntuples(r);
	shown = n > q->limit ? q->limit : n;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		if (documents_render_summary(b, r, i) < 0)
			return -1;
	}
	mh_buf_puts(b, "],\"next_cursor\":");
	if (n > q->limit) {
		const char *key = documents_render_key(req->arena, r, shown - 1, q->sort);
		const char *c = key ? documents_cursor(req->arena, q, key,
		                                       PQgetvalue(r, shown - 1, DOCUMENTS_LIST_ID))
		                    : NULL;
		if (c == NULL)
			return -1;
		mh_buf_json_cstr(b, c);
	} else {
		mh_buf_puts(b, "null");
	}
	mh_buf_putc(b, '}');
	res->status = 200;
	return 0;
}

/* GET /documents/:id: 200 + ETag, or 304 when If-None-Match already names it. */
int documents_get(struct mh_request *req, struct mh_response *res, const char *id,
                  int include_deleted)
{
	struct mh_tx tx;
	const PGresult *r;
	int idx, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if (include_deleted && documents_repo_require_admin(&tx) < 0)
		return -1; /* fail closed, as in documents_list */
	idx = documents_repo_get(&tx, id, include_deleted);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r == NULL || PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such document");
	/* Clients may keep it but must revalidate: it is per-user data behind a token. */
	mh_response_header(res, "Cache-Control", "private, no-cache");
	if (documents_none_match(req, PQgetvalue(r, 0, DOCUMENTS_COL_ETAG))) {
		mh_response_header(res, "ETag", quoted(req, PQgetvalue(r, 0, DOCUMENTS_COL_ETAG)));
		res->status = 304;
		return 0;
	}
	return reply_document(req, res, 200, r);
}

/* Where a lookup statement returns the stored first answer. */
static const struct mh_idempotency_columns prior_columns = {
	DOCUMENTS_PRIOR_HASH, DOCUMENTS_PRIOR_STATUS, DOCUMENTS_PRIOR_BODY, DOCUMENTS_PRIOR_LOCATION,
};

/*
 * POST /documents: 201 + Location + ETag. With an Idempotency-Key the lock statement goes
 * first (a concurrent twin gets 409 at once), then one statement writes the document, its
 * audit row and the key with the exact response, or returns the stored response.
 */
int documents_create(struct mh_request *req, struct mh_response *res,
                     const struct documents_input *in, const struct documents_conditions *c)
{
	struct mh_tx tx;
	const PGresult *r;
	int idx, rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	if (c->idempotency_key != NULL)
		documents_repo_lock_key(&tx, CREATE_ROUTE, c->idempotency_key);
	idx = documents_repo_create(&tx, in, c, CREATE_ROUTE);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	if (PQgetisnull(r, 0, DOCUMENTS_NEW_ID))
		return mh_idempotency_replay(req, res, c->body_hash, r, &prior_columns);
	mh_response_header(res, "ETag", quoted(req, PQgetvalue(r, 0, DOCUMENTS_NEW_ETAG)));
	mh_response_header(res, "Location",
	                   mh_arena_sprintf(req->arena, "/api/v1/documents/%s",
	                                    PQgetvalue(r, 0, DOCUMENTS_NEW_ID)));
	res->status = 201;
	res->body.len = 0;
	mh_buf_puts(&res->body, PQgetvalue(r, 0, DOCUMENTS_NEW_ENVELOPE));
	return 0;
}

/* "title,tags": what a PATCH changed, for its audit row. */
static const char *changed_fields(struct mh_request *req, const struct documents_input *in)
{
	return mh_arena_sprintf(req->arena, "%s%s%s%s", in->title ? "title," : "",
	                        in->body ? "body," : "", in->tags_json ? "tags," : "",
	                        in->status ? "status," : "");
}

/* PATCH /documents/:id: 200 + new ETag; 403 not the owner (member); 404; 412 stale If-Match. */
int documents_update(struct mh_request *req, struct mh_response *res, const char *id,
                     const struct documents_input *in, const struct documents_conditions *c)
{
	struct mh_tx tx;
	const PGresult *r;
	char *changed = (char *)changed_fields(req, in);
	int idx, probe, rc;

	if (changed == NULL)
		return -1;
	changed[strlen(changed) - 1] = '\0'; /* the validator ensured one field at least */
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	idx = documents_repo_update(&tx, id, in, c, changed);
	probe = documents_repo_probe(&tx, id);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r == NULL || PQntuples(r) != 1)
		return explain_refusal(req, res, mh_tx_result(&tx, probe));
	return reply_document(req, res, 200, r);
}

/* DELETE /documents/:id: soft delete, 204; 403 not the owner (member); 404; 412. */
int documents_delete(struct mh_request *req, struct mh_response *res, const char *id,
                     const struct documents_conditions *c)
{
	struct mh_tx tx;
	const PGresult *r;
	int idx, probe, rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	idx = documents_repo_delete(&tx, id, c);
	probe = documents_repo_probe(&tx, id);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r == NULL || PQntuples(r) != 1)
		return explain_refusal(req, res, mh_tx_result(&tx, probe));
	res->status = 204;
	return 0;
}

/* POST /documents/:id/restore (admin+): 200 with the document; 404; 409 not deleted. */
int documents_restore(struct mh_request *req, struct mh_response *res, const char *id)
{
	struct mh_tx tx;
	const PGresult *r, *p;
	int idx, probe, rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	idx = documents_repo_restore(&tx, id);
	probe = documents_repo_probe(&tx, id);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, idx);
	if (r != NULL && PQntuples(r) == 1)
		return reply_document(req, res, 200, r);
	p = mh_tx_result(&tx, probe);
	if (p == NULL || PQntuples(p) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such document");
	return mh_reply_error(req, res, 409, "not_deleted", "the document is not deleted");
}
