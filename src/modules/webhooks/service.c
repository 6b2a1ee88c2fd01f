/* service.c - the tenant's webhook secret (made, shown once, then only described) and the
 * list of a job's delivery attempts; each one pipelined transaction. */
#include "modules/webhooks/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "modules/auth/auth.h"

/* ---- Pagination ---------------------------------------------------------------------------- */

/* Opaque cursor for the row (ts, id): base64url of "ts|id". */
static const char *cursor_encode(struct mh_arena *a, const char *ts, const char *id)
{
	char *raw = mh_arena_sprintf(a, "%s|%s", ts, id);
	size_t n = raw ? strlen(raw) : 0;
	unsigned char *out = mh_arena_alloc(a, 4 * (n / 3 + 1) + 1);
	int len;

	if (raw == NULL || out == NULL)
		return NULL;
	len = EVP_EncodeBlock(out, (const unsigned char *)raw, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (const char *)out;
}

/* "2024-05-01T10:00:00.123456Z" */
static int is_cursor_ts(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return s[sizeof(shape) - 1] == '\0';
}

static int cursor_decode(struct mh_arena *a, const char *c, struct webhooks_page *page)
{
	size_t n = strlen(c);
	char *in, *sep;
	unsigned char *out;
	int len;

	if (n == 0 || n > 200)
		return -1;
	in = mh_arena_alloc(a, n + 4);
	out = mh_arena_alloc(a, n + 4);
	if (in == NULL || out == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = c[i];
		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_')
			return -1;
		in[i] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
	}
	while (n % 4 != 0)
		in[n++] = '=';
	in[n] = '\0';
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	out[len] = '\0';
	sep = strchr((char *)out, '|');
	if (sep == NULL)
		return -1;
	/* EVP_DecodeBlock turns padding into trailing NUL bytes, which end the id. */
	*sep = '\0';
	if (!is_cursor_ts((char *)out) || !auth_is_uuid(sep + 1))
		return -1;
	page->after_ts = (char *)out;
	page->after_id = sep + 1;
	return 0;
}

int webhooks_page_or_reply(struct mh_request *req, struct mh_response *res,
			   struct webhooks_page *page)
{
	static const char *const names[] = { "limit", "cursor", NULL };
	const char *limit = mh_query(req, "limit"), *cursor = mh_query(req, "cursor");
	struct mh_error_detail d;

	memset(page, 0, sizeof(*page));
	page->limit = WEBHOOKS_PAGE_DEFAULT;
	if (!auth_query_or_reply(req, res, names))
		return 0;
	if (limit != NULL) {
		char *end;
		long v = strtol(limit, &end, 10);

		if (*limit == '\0' || *end != '\0' || v < 1 || v > WEBHOOKS_PAGE_MAX) {
			d = (struct mh_error_detail){ "limit", "must be an integer from 1 to 100" };
			mh_reply_error_details(req, res, 400, "bad_request", "invalid query parameter",
					       &d, 1);
			return 0;
		}
		page->limit = (int)v;
	}
	if (cursor != NULL && cursor_decode(req->arena, cursor, page) < 0) {
		d = (struct mh_error_detail){ "cursor", "is not a cursor this list returned" };
		mh_reply_error_details(req, res, 400, "bad_request", "invalid query parameter", &d,
				       1);
		return 0;
	}
	return 1;
}

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
			     const char *job_id, const struct webhooks_page *page)
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
		mh_buf_json_cstr(b, cursor_encode(req->arena, PQgetvalue(r, shown - 1, 1),
						  PQgetvalue(r, shown - 1, 2)));
	else
		mh_buf_puts(b, "null");
	mh_buf_putc(b, '}');
	res->status = 200;
	return 0;
}
