/* service.c - a tenant's API keys: create one (its secret returned this once), list, show
 * and revoke them; each in one pipelined transaction. */
#include "modules/apikeys/internal.h"

#include <string.h>

#include "core/address.h"

#include "core/apikey.h"
#include "core/log.h"
#include "core/revocation.h"
#include "modules/auth/auth.h"

/* The columns of every key statement (repo.c), as JSON members. */
static const char *const key_names[] = {"id",           "name",       "role",       "prefix",
                                        "last_four",    "created_by", "created_at", "expires_at",
                                        "last_used_at", "revoked_at"};

static void put_key(struct mh_buf *b, const PGresult *r, int i)
{
	mh_db_put_row(b, r, i, key_names, 10);
}

/* The module's SQLSTATEs (schema 0010) first, then the framework's mapping. */
static int reply_db_error(struct mh_request *req, struct mh_response *res, struct mh_tx *tx, int rc)
{
	if (rc == MH_DB_ERROR && strcmp(tx->sqlstate, "MHROL") == 0) {
		struct mh_error_detail d = {"role", "cannot be above your own role"};

		return mh_reply_error_details(req, res, 403, "forbidden",
		                              "a key's role cannot be above its creator's", &d, 1);
	}
	if (rc == MH_DB_ERROR &&
	    (strcmp(tx->sqlstate, "MH422") == 0 || strncmp(tx->sqlstate, "22", 2) == 0)) {
		struct mh_error_detail d = {"expires_at", "must be a date-time in the future"};

		return mh_reply_error_details(req, res, 422, "validation_failed",
		                              "some fields are invalid", &d, 1);
	}
	return mh_db_reply_error(req, res, tx, rc);
}

int apikeys_create(struct mh_request *req, struct mh_response *res, const char *name,
                   const char *role, const char *expires_at)
{
	struct mh_apikey_new key;
	struct mh_tx tx;
	const PGresult *r;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 8);
	const char *loc;
	int q, rc;

	if (p == NULL || mh_apikey_make(req->arena, req->principal.tenant_id, &key) < 0)
		return -1;
	/* A key outlives its creator's sessions: the default policy (unverified_deny) wants a
	 * confirmed address before an account can mint one. */
	if (!auth_verified_or_reply(req, res, "api_keys"))
		return 0;
	p[0] = key.id;
	p[1] = name;
	p[2] = role;
	p[3] = key.hash_param;
	p[4] = key.last_four;
	p[5] = expires_at;
	p[6] = mh_address_client(req);
	p[7] = req->request_id;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "apikeys_create", p, 8);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return -1;
	loc = mh_arena_sprintf(req->arena, "/api/v1/tenants/current/api-keys/%s", key.id);
	if (loc != NULL)
		mh_response_header(res, "Location", loc);
	/* The only time the secret leaves the server: it is stored as a hash. */
	mh_response_header(res, "Cache-Control", "no-store");
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":{");
	mh_db_put_fields(&res->body, r, 0, key_names, 10);
	mh_buf_puts(&res->body, ",\"secret\":");
	mh_buf_json_cstr(&res->body, key.secret);
	mh_buf_puts(&res->body, "}}");
	res->status = 201;
	return 0;
}

int apikeys_list(struct mh_request *req, struct mh_response *res, const struct mh_page *page)
{
	struct mh_tx tx;
	const PGresult *r;
	struct mh_buf *b = &res->body;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);
	int q, rc, n, shown;

	if (p == NULL)
		return -1;
	p[0] = mh_arena_sprintf(req->arena, "%d", page->limit + 1);
	p[1] = page->after_ts;
	p[2] = page->after_id;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = page->after_ts ? mh_tx_query(&tx, "apikeys_after", p, 3)
	                   : mh_tx_query(&tx, "apikeys_first", p, 1);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	n = PQntuples(r);
	shown = n > page->limit ? page->limit : n;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < shown; i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		put_key(b, r, i);
	}
	mh_buf_puts(b, "],\"next_cursor\":");
	if (n > page->limit)
		mh_buf_json_cstr(b, mh_page_cursor(req->arena, PQgetvalue(r, shown - 1, 6),
		                                   PQgetvalue(r, shown - 1, 0)));
	else
		mh_buf_puts(b, "null");
	mh_buf_putc(b, '}');
	res->status = 200;
	return 0;
}

int apikeys_get(struct mh_request *req, struct mh_response *res, const char *id)
{
	struct mh_tx tx;
	const PGresult *r;
	int q, rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "apikeys_get", &id, 1);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such API key in this tenant");
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_key(&res->body, r, 0);
	mh_buf_putc(&res->body, '}');
	res->status = 200;
	return 0;
}

int apikeys_revoke(struct mh_request *req, struct mh_response *res, const char *id)
{
	struct mh_tx tx;
	const PGresult *r;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);
	int q, rc;

	if (p == NULL)
		return -1;
	p[0] = id;
	p[1] = mh_address_client(req);
	p[2] = req->request_id;
	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "apikeys_revoke", p, 3);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return reply_db_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such API key in this tenant");
	/* The database already refuses the key in every request's transaction; the shared
	 * table also stops it before any, on every worker of every machine, and answers the
	 * routes that open no transaction. A retry after 503 finds the key revoked and records
	 * this again. */
	if (mh_revocation_revoke_session(req, id) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	res->status = 204;
	return 0;
}
