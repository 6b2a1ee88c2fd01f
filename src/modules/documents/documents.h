/* documents.h - the documents module: tenant-scoped documents with keyset pagination,
 * full-text search, ETags, optimistic concurrency, idempotent creation and soft delete.
 * The reference module: routes.c (table, handlers) → validate.c (input) → service.c
 * (rules, transactions, replies) → repo.c (the only SQL). */
#ifndef MH_MODULES_DOCUMENTS_H
#define MH_MODULES_DOCUMENTS_H

#include "core/module.h"

extern const struct mh_module documents_module;

/* Largest document body in bytes (the request's body_limit applies first). */
#define DOCUMENTS_BODY_MAX (1024 * 1024)

#endif
