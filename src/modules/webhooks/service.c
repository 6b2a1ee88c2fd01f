/* service.c - the tenant's webhook secret (made, shown once, then only described) and the
 * list of a job's delivery attempts; each one pipelined transaction. */
#include "modules/webhooks/internal.h"

#include <stdlib.h>
#include <string.h>

#include "modules/auth/auth.h"

/* ---- The secret ---------------------------------------------------------------------------- */

/* Makes a new secret, stores it in place of the old one with its audit row (never the
 * secret itself) in one transaction, and shows it this once. */
int webhooks_secret_rotate(struct mh_request *req, struct mh_response *res)
{
	char *secret = mh_arena_alloc(req->arena, WEBHOOKS_SECRET_SIZE);
	const char *p[1];
	const PGresult *r;
	struct mh_tx tx;
	int q, rc;

	if (secret == NULL || webhooks_secret_new(secret) < 0)
		return -1;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	p[0] = secret;
	q = mh_tx_query(&tx, "webhooks_secret_put", p, 1);
	auth_audit_queue(&tx, "webhook_secret.rotated", NULL);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{\"secret\":");
	mh_buf_json_cstr(&res->body, secret);
	mh_buf_puts(&res->body, ",\"created_at\":");
	mh_buf_json_cstr(&res->body, PQgetvalue(r, 0, 0));
	mh_buf_puts(&res->body, "}}");
	mh_response_header(res, "Location", "/api/v1/tenants/current/webhook-secret");
	res->status = 201;
	return 0;
}

/* Whether the tenant has a secret and since when; never the secret. */
int webhooks_secret_show(struct mh_request *req, struct mh_response *res)
{
	const PGresult *r;
	struct mh_tx tx;
	int q, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "webhooks_secret_info", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	res->body.len = 0;
	if (PQntuples(r) == 0) {
		mh_buf_puts(&res->body, "{\"data\":{\"exists\":false,\"created_at\":null}}");
	} else {
		mh_buf_puts(&res->body, "{\"data\":{\"exists\":true,\"created_at\":");
		mh_buf_json_cstr(&res->body, PQgetvalue(r, 0, 0));
		mh_buf_puts(&res->body, "}}");
	}
	res->status = 200;
	return 0;
}

/* ---- Deliveries ---------------------------------------------------------------------------- */

int webhooks_deliveries_list(struct mh_request *req, struct mh_response *res,
			     const char *job_id, const struct mh_page *page)
{
	const char *p[4];
	const PGresult *seen, *r;
	struct mh_buf *b = &res->body;
	struct mh_tx tx;
	int qs, ql, n, shown, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	p[0] = job_id;
	p[1] = mh_arena_sprintf(req->arena, "%d", page->limit + 1);
	p[2] = page->after_ts;
	p[3] = page->after_id;
	if (p[1] == NULL)
		return -1;
	qs = mh_tx_query(&tx, "webhooks_job_visible", p, 1);
	ql = page->after_ts ? mh_tx_query(&tx, "webhooks_deliveries_after", p, 4)
			    : mh_tx_query(&tx, "webhooks_deliveries_first", p, 2);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	seen = mh_tx_result(&tx, qs);
	r = mh_tx_result(&tx, ql);
	if (seen == NULL || r == NULL)
		return -1;
	if (PQntuples(seen) == 0)
		return mh_reply_error(req, res, 404, "not_found", "no such job");
	n = PQntuples(r);
	shown = n > page->limit ? page->limit : n;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		mh_buf_puts(b, PQgetvalue(r, i, 0));
	}
	mh_buf_puts(b, "],\"next_cursor\":");
	if (n > page->limit)
		mh_buf_json_cstr(b, mh_page_cursor(req->arena, PQgetvalue(r, shown - 1, 1),
						  PQgetvalue(r, shown - 1, 2)));
	else
		mh_buf_puts(b, "null");
	mh_buf_putc(b, '}');
	res->status = 200;
	return 0;
}
