/* documents.h - the documents module: tenant-scoped documents with keyset pagination,
 * full-text search, ETags, optimistic concurrency, idempotent creation and soft delete.
 * The reference module: routes.c (declared input, docs, handlers) → service.c
 * (rules, transactions, replies) → repo.c (the only SQL). */
#ifndef MH_MODULES_DOCUMENTS_H
#define MH_MODULES_DOCUMENTS_H

#include "core/module.h"

struct mh_tx;

extern const struct mh_module documents_module;

/* Largest document body in bytes (the request's body_limit applies first). */
#define DOCUMENTS_BODY_MAX (1024 * 1024)

/* ---- For other modules' work on a document (processing jobs) ---------------------------- */

/* Result columns of documents_queue_body. */
enum { DOCUMENTS_BODY_TEXT, DOCUMENTS_BODY_VERSION, DOCUMENTS_BODY_WRITABLE };

/*
 * Queues on tx (in the caller's tenant context, under RLS) the SELECT of live document id's
 * body, version and whether the caller may change it (admin+, or its owner): one row, or
 * none when the document does not exist, is deleted or is another tenant's. With for_update
 * the row is locked until the transaction ends, for a rewrite in the same transaction; the
 * lock needs the right to write, so then a document the caller may not change gives no row
 * either (ask again without for_update to tell which). Returns the query index or
 * MH_DB_ERROR.
 */
int documents_queue_body(struct mh_tx *tx, const char *id, int for_update);

/*
 * Queues replacing live document id's body with body (a new version: the trigger bumps
 * version) provided it is still at version, together with the audit row `action` (target
 * "<id> v<new version>"), in one statement. One row (the new version) when it changed; none
 * when the document is gone, changed meanwhile, or the caller may not write it (RLS). The
 * body must be valid UTF-8 of at most DOCUMENTS_BODY_MAX bytes. Returns the query index or
 * MH_DB_ERROR.
 */
int documents_queue_replace_body(struct mh_tx *tx, const char *id, const char *version,
                                 const char *body, const char *action);

#endif
