/* sessions.c - a person's sessions (refresh families): which client opened each and from
 * which network, listing them, and ending one at once with its access tokens. */
#include "modules/auth/auth.h"
#include "modules/auth/internal.h"

#include <string.h>

#include "core/address.h"

#include "core/revocation.h"
#include "core/tx_run.h"

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

int auth_tx_without_tenant_or_reply(struct mh_request *req, struct mh_response *res,
                                    struct mh_tx *tx, const struct mh_tx_query *s,
                                    int (*end)(struct mh_tx *), const PGresult **r)
{
	int q;

	if (!mh_tx_begin_or_reply(tx, req, res, MH_TX_READ_WRITE | MH_TX_WITHOUT_TENANT))
		return 0;
	/* Not checked: a statement that could not be queued refuses the transaction. */
	auth_client_note_queue(tx);
	q = mh_tx_query(tx, s->name, s->params, s->nparams);
	return mh_tx_end_or_reply(tx, res, end, NULL, q, r);
}

/* The user's own context without a tenant: a user who has left the token's tenant still
 * sees and ends their sessions. */
#define AS_USER MH_TX_WITHOUT_TENANT

int auth_sessions_list(struct mh_request *req, struct mh_response *res)
{
	static const char *const names[] = {"id",         "tenant_id",    "tenant_name",
	                                    "created_at", "last_used_at", "expires_at",
	                                    "user_agent", "ip_network"};
	const struct mh_tx_query s = {"auth_sessions_list", NULL, 0};
	struct mh_buf *b = &res->body;
	const PGresult *r;
	int rc = mh_tx_once_or_reply(req, res, MH_TX_READ_ONLY | AS_USER, NULL, &s, &r);

	if (rc <= 0)
		return rc;
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
	const char *p[3] = {id, mh_address_client(req), req->request_id};
	const struct mh_tx_query s = {"auth_session_revoke", p, 3};
	const PGresult *r;
	int rc = mh_tx_once_or_reply(req, res, MH_TX_READ_WRITE | AS_USER, NULL, &s, &r);

	if (rc <= 0)
		return rc;
	if (PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "you have no such session");
	/* The refresh family is revoked; its access tokens die now on every worker, or the
	 * client hears 503 and a retry (which finds the family again) completes it. */
	if (mh_revocation_revoke_session(req, id) < 0)
		return mh_reply_unavailable(req, res, "the token revocation service");
	res->status = 204;
	return 0;
}
