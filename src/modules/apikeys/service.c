/* service.c - a tenant's API keys: create one (its secret returned this once), list, show
 * and revoke them; each in one pipelined transaction. */
#include "modules/apikeys/internal.h"

#include <string.h>

#include "core/address.h"

#include "core/apikey.h"
#include "core/log.h"
#include "core/page_list.h"
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
	const PGresult *r;
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 8);
	const char *loc;
	int rc;

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
	rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE, reply_db_error,
	                         &(struct mh_tx_query){"apikeys_create", p, 8}, &r);
	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
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
	static const struct mh_page_list keys = {"apikeys_first", "apikeys_after", put_key, 6, 0,
	                                         reply_db_error};

	return mh_page_list(req, res, &keys, page);
}

/* The one key statement s names (apikeys_get, apikeys_revoke) in a transaction of its own:
 * 1 with *r its row; 0 having replied (404 when the tenant has no such key); -1 as
 * mh_tx_end_or_reply. */
static int key_or_reply(struct mh_request *req, struct mh_response *res, unsigned flags,
                        const struct mh_tx_query *s, const PGresult **r)
{
	int rc = mh_tx_once_or_reply(req, res, flags, reply_db_error, s, r);

	if (rc <= 0)
		return rc;
	if (PQntuples(*r) != 1) {
		mh_reply_error(req, res, 404, "not_found", "no such API key in this tenant");
		return 0;
	}
	return 1;
}

int apikeys_get(struct mh_request *req, struct mh_response *res, const char *id)
{
	const struct mh_tx_query s = {"apikeys_get", &id, 1};
	const PGresult *r;
	int rc = key_or_reply(req, res, MH_TX_READ_ONLY, &s, &r);

	if (rc <= 0)
		return rc;
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_key(&res->body, r, 0);
	mh_buf_putc(&res->body, '}');
	res->status = 200;
	return 0;
}

int apikeys_revoke(struct mh_request *req, struct mh_response *res, const char *id)
{
	const char *p[3] = {id, mh_address_client(req), req->request_id};
	const struct mh_tx_query s = {"apikeys_revoke", p, 3};
	const PGresult *r;
	int rc = key_or_reply(req, res, MH_TX_READ_WRITE, &s, &r);

	if (rc <= 0)
		return rc;
	/* The database already refuses the key in every request's transaction; the shared
	 * table also stops it before any, on every worker of every machine, and answers the
	 * routes that open no transaction. A retry after 503 finds the key revoked and records
	 * this again. */
	if (mh_revocation_revoke_session(req, id) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	res->status = 204;
	return 0;
}
