/* service.c - the jobs API: read a job, list them, cancel a queued one, retry a dead one.
 *
 * Role rules: viewers read; members cancel their own queued jobs, admins any; retrying is
 * admin+ (the route's minimum role, checked again by app_enter in the transaction). The
 * SQL repeats the rules and RLS enforces them regardless (schema 0006). */
#include "modules/jobs/internal.h"

#include <string.h>

#include "core/address.h"
#include "core/input.h"
#include "core/queue.h"

/* "{\"data\":<job>}" from row 0 of r. */
static int reply_job(struct mh_request *req, struct mh_response *res, int status,
		     const PGresult *r)
{
	struct mh_buf b;

	mh_buf_init(&b, req->arena, 1024);
	jobs_put(&b, r, 0);
	if (b.failed)
		return -1;
	return mh_reply_data(req, res, status, mh_buf_cstr(&b));
}

int jobs_get(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_in_path(req, 0)->s;
	const char **p;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if ((p = mh_arena_alloc(req->arena, sizeof(*p))) == NULL)
		return -1;
	p[0] = id;
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "jobs_get", p, 1);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (PQntuples(r) == 0)
		return mh_reply_error(req, res, 404, "not_found", "no such job");
	return reply_job(req, res, 200, r);
}

int jobs_list(struct mh_request *req, struct mh_response *res)
{
	const struct mh_value *cursor = mh_in_query(req, JOBS_LIST_CURSOR);
	struct jobs_list_query lq = {
		.limit = (int)mh_in_query(req, JOBS_LIST_LIMIT)->i,
		.status = mh_in_query(req, JOBS_LIST_STATUS)->s,
		.document_id = mh_in_query(req, JOBS_LIST_DOCUMENT)->s,
	};
	const char **p;
	struct mh_tx tx;
	const PGresult *r;
	struct mh_buf *b = &res->body;
	int n = 0, q, rc, rows, shown;

	/* A cursor made under other filters would silently skip or repeat rows. */
	if (cursor->present && jobs_cursor_read(req->arena, cursor->s, &lq) < 0)
		return mh_reply_invalid(req, res, "cursor",
					"is not a cursor this list returned for the same filters");
	if ((p = mh_arena_alloc(req->arena, sizeof(*p) * 5)) == NULL)
		return -1;
	p[n++] = lq.after_key ? lq.after_key : "infinity";
	p[n++] = lq.after_id ? lq.after_id : "ffffffff-ffff-ffff-ffff-ffffffffffff";
	if (lq.document_id)
		p[n++] = lq.document_id;
	if (lq.status)
		p[n++] = lq.status;
	/* One row more than the page: whether there is a next page, without a count. */
	p[n++] = mh_arena_sprintf(req->arena, "%d", lq.limit + 1);
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, jobs_list_statement(&lq), p, n);
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	rows = PQntuples(r);
	shown = rows > lq.limit ? lq.limit : rows;
	res->status = 200;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		jobs_put(b, r, i);
	}
	mh_buf_puts(b, "],\"next_cursor\":");
	if (rows > lq.limit) {
		const char *c = jobs_cursor(req->arena, &lq, PQgetvalue(r, shown - 1, MH_JOB_NCOLUMNS),
					    PQgetvalue(r, shown - 1, MH_JOB_ID));
		if (c == NULL)
			return -1;
		mh_buf_json_cstr(b, c);
	} else {
		mh_buf_puts(b, "null");
	}
	mh_buf_putc(b, '}');
	return b->failed ? -1 : 0;
}

/* Cancel and retry: one statement that changes the job (and writes the audit row) when the
 * rules allow, then a probe that says why not when it did not. */
static int transition(struct mh_request *req, struct mh_response *res, const char *statement,
		      const char *verb)
{
	int requeues = strcmp(verb, "retry") == 0;
	const char *id = mh_in_path(req, 0)->s;
	const char **p;
	struct mh_tx tx;
	const PGresult *r, *why;
	int q, probe, rc;

	if ((p = mh_arena_alloc(req->arena, sizeof(*p) * 3)) == NULL)
		return -1;
	p[0] = id;
	p[1] = mh_address_client(req);
	p[2] = req->request_id;
	if ((rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, statement, p, 3);
	probe = mh_tx_query(&tx, "jobs_probe", p, 1);
	if (requeues) {
		/* A retried job is queued again: a runner woken by our COMMIT could announce
		 * "running" before we announce "queued". So the event goes out before the COMMIT
		 * (one more round trip). The UPDATE has succeeded by then, so only a failed
		 * COMMIT (a lost connection) could make it untrue; events are best effort and
		 * GET /jobs/:id is the truth. */
		if ((rc = mh_tx_fetch(&tx)) != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		r = mh_tx_result(&tx, q);
		if (PQntuples(r) == 1)
			jobs_publish(req->arena, r, 0);
	}
	if ((rc = mh_tx_commit(&tx)) != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (PQntuples(r) == 1) {
		if (!requeues)
			jobs_publish(req->arena, r, 0);
		return reply_job(req, res, 200, r);
	}
	why = mh_tx_result(&tx, probe);
	if (PQntuples(why) == 0)
		return mh_reply_error(req, res, 404, "not_found", "no such job");
	if (strcmp(verb, "cancel") == 0 && strcmp(PQgetvalue(why, 0, 0), "queued") == 0)
		return mh_reply_error(req, res, 403, "forbidden",
				      "members may cancel only the jobs they queued");
	return mh_reply_error(req, res, 409, "invalid_state",
			      mh_arena_sprintf(req->arena, "a %s job cannot be %s",
					       PQgetvalue(why, 0, 0),
					       strcmp(verb, "cancel") == 0
						       ? "cancelled (only queued jobs can)"
						       : "retried (only failed or dead jobs can)"));
}

int jobs_cancel(struct mh_request *req, struct mh_response *res)
{
	return transition(req, res, "jobs_cancel", "cancel");
}

int jobs_retry(struct mh_request *req, struct mh_response *res)
{
	return transition(req, res, "jobs_retry", "retry");
}
