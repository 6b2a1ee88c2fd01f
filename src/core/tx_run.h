/* tx_run.h - a handler's transaction begun and ended in one call each, a failure answered to
 * the client there, so a handler reads: begin, queue, end, use the result. */
#ifndef MH_TX_RUN_H
#define MH_TX_RUN_H

#include "core/db.h"
#include "core/http.h"

/* How a module answers a failed transaction when its own SQLSTATEs need words of their own
 * (falling back on mh_db_reply_error); NULL wherever these helpers take one means
 * mh_db_reply_error itself. Returns 0. */
typedef int mh_tx_reply_fn(struct mh_request *req, struct mh_response *res, struct mh_tx *tx,
                           int rc);

/* A flag of these helpers, besides enum mh_tx_flags: no tenant in the RLS context
 * (req->principal is left as it was). No tenant's rows are visible, so only statements that
 * find their rows themselves (SECURITY DEFINER functions, by a token or by the user) have any
 * to read: for what must work for a user who has no tenant yet, or has left the token's one. */
#define MH_TX_WITHOUT_TENANT (1u << 8)

/* mh_tx_begin for req with flags (enum mh_tx_flags, MH_TX_WITHOUT_TENANT). Returns 1 when
 * begun; 0 having replied (503 while the database is away). */
int mh_tx_begin_or_reply(struct mh_tx *tx, struct mh_request *req, struct mh_response *res,
                         unsigned flags);

/* Ends what is queued on tx with end (mh_tx_commit; mh_tx_fetch to keep the transaction open
 * for more) and points *r at query q's result (freed with the request arena). A failure is
 * answered with reply (NULL: mh_db_reply_error). Returns 1; 0 having replied; -1 when q has no
 * result (it was never queued: the caller answers 500). */
int mh_tx_end_or_reply(struct mh_tx *tx, struct mh_response *res, int (*end)(struct mh_tx *),
                       mh_tx_reply_fn *reply, int q, const PGresult **r);

/* The statement s as the one statement of a transaction of its own (flags as for
 * mh_tx_begin_or_reply), committed, failures answered with reply (NULL: mh_db_reply_error): what
 * most handlers run. Returns as mh_tx_end_or_reply. */
int mh_tx_once_or_reply(struct mh_request *req, struct mh_response *res, unsigned flags,
                        mh_tx_reply_fn *reply, const struct mh_tx_query *s, const PGresult **r);

#endif
