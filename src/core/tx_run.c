/* tx_run.c - a handler's transaction begun and ended in one call each, a failure answered to
 * the client there (tx_run.h). */
#include "core/tx_run.h"

int mh_tx_begin_or_reply(struct mh_tx *tx, struct mh_request *req, struct mh_response *res,
                         unsigned flags)
{
	const char *tenant = req->principal.tenant_id;
	int rc;

	/* mh_tx_begin copies the context into the transaction's parameters, so the principal
	 * is the caller's again as soon as it returns (the access log names its tenant). */
	if (flags & MH_TX_WITHOUT_TENANT)
		req->principal.tenant_id = "";
	rc = mh_tx_begin(tx, req, flags & ~MH_TX_WITHOUT_TENANT);
	req->principal.tenant_id = tenant;
	if (rc != MH_DB_OK) {
		mh_db_reply_error(req, res, tx, rc);
		return 0;
	}
	return 1;
}

int mh_tx_end_or_reply(struct mh_tx *tx, struct mh_response *res, int (*end)(struct mh_tx *),
                       mh_tx_reply_fn *reply, int q, const PGresult **r)
{
	int rc = end(tx);

	if (rc != MH_DB_OK) {
		if (reply != NULL)
			reply(tx->req, res, tx, rc);
		else
			mh_db_reply_error(tx->req, res, tx, rc);
		return 0;
	}
	*r = mh_tx_result(tx, q);
	return *r != NULL ? 1 : -1;
}

int mh_tx_once_or_reply(struct mh_request *req, struct mh_response *res, unsigned flags,
                        mh_tx_reply_fn *reply, const struct mh_tx_query *s, const PGresult **r)
{
	struct mh_tx tx;
	int q;

	if (!mh_tx_begin_or_reply(&tx, req, res, flags))
		return 0;
	q = mh_tx_query(&tx, s->name, s->params, s->nparams);
	return mh_tx_end_or_reply(&tx, res, mh_tx_commit, reply, q, r);
}
