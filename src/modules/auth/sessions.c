/* sessions.c - a person's sessions (refresh families): which client opened each and from
 * which network, listing them, and ending one at once with its access tokens. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <string.h>

#include "core/address.h"

#include "core/revocation.h"

int auth_client_note_queue(struct mh_tx *tx)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 2);
	const char *agent = mh_header(tx->req, "user-agent");

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = agent ? agent : "";
	p[1] = mh_address_client(tx->req);
	return mh_tx_query(tx, "auth_client_note", p, 2);
}

/* A transaction in the user's own context without a tenant: a user who has left the
 * token's tenant still sees and ends their sessions. */
static int begin_as_user(struct mh_tx *tx, struct mh_request *req, unsigned flags)
{
	const char *current = req->principal.tenant_id;
	int rc;

	req->principal.tenant_id = "";
	rc = mh_tx_begin(tx, req, flags);
	req->principal.tenant_id = current;
	return rc;
}

int auth_sessions_list(struct mh_request *req, struct mh_response *res)
{
	static const char *const names[] = {"id",         "tenant_id",    "tenant_name",
	                                    "created_at", "last_used_at", "expires_at",
	                                    "user_agent", "ip_network"};
	struct mh_buf *b = &res->body;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc = begin_as_user(&tx, req, MH_TX_READ_ONLY);

	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_sessions_list", NULL, 0);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	b->len = 0;
	mh_buf_puts(b, "{\"data\":[");
	for (int i = 0; i < PQntuples(r); i++) {
		if (i > 0)
			mh_buf_putc(b, ',');
		mh_buf_putc(b, '{');
		mh_db_put_fields(b, r, i, names, 8);
		mh_buf_puts(b, ",\"current\":");
		mh_buf_puts(b, req->principal.session_id && strcmp(req->principal.session_id,
		                                                   PQgetvalue(r, i, 0)) == 0
		                       ? "true"
		                       : "false");
		mh_buf_putc(b, '}');
	}
	mh_buf_puts(b, "]}");
	res->status = 200;
	return 0;
}

int auth_session_revoke(struct mh_request *req, struct mh_response *res, const char *id)
{
	const char **p = mh_arena_alloc(req->arena, sizeof(*p) * 3);
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	if (p == NULL)
		return -1;
	p[0] = id;
	p[1] = mh_address_client(req);
	p[2] = req->request_id;
	rc = begin_as_user(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = mh_tx_query(&tx, "auth_session_revoke", p, 3);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "you have no such session");
	/* The refresh family is revoked; its access tokens die now on every worker, or the
	 * client hears 503 and a retry (which finds the family again) completes it. */
	if (mh_revocation_revoke_session(req, id) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	res->status = 204;
	return 0;
}
