/* internal.h - what the documents module's files share; private to src/modules/documents/. */
#ifndef MH_MODULES_DOCUMENTS_INTERNAL_H
#define MH_MODULES_DOCUMENTS_INTERNAL_H

#include <stddef.h>

#include <libpq-fe.h>

#include "core/db.h"
#include "core/http.h"
#include "modules/documents/documents.h"

#define DOCUMENTS_PAGE_DEFAULT 20
#define DOCUMENTS_PAGE_MAX     100
#define DOCUMENTS_TITLE_MAX    200
#define DOCUMENTS_TAGS_MAX     20
#define DOCUMENTS_TAG_MAX      50
#define DOCUMENTS_Q_MAX        200

/* The list orders (?sort=), each backed by an index of schema 0004. */
enum documents_sort {
	DOCUMENTS_SORT_CREATED_DESC, /* -created_at, the default */
	DOCUMENTS_SORT_CREATED_ASC,  /* created_at */
	DOCUMENTS_SORT_TITLE_ASC,    /* title */
	DOCUMENTS_SORT_UPDATED_DESC, /* -updated_at */
	DOCUMENTS_SORT__MAX
};

/* ?sort= spelling of each order (NULL-terminated, as an enum declares it). */
extern const char *const documents_sort_names[DOCUMENTS_SORT__MAX + 1];
/* A document's statuses: draft, published, archived (NULL-terminated). */
extern const char *const documents_statuses[];

/* A validated GET /documents. Strings are NULL when the filter is absent. */
struct documents_list_query {
	int limit;
	enum documents_sort sort;
	const char *status;
	const char *tag;
	const char *owner_id;
	const char *q;
	int include_deleted;
	/* Keyset position: after (after_key, after_id) in the order; NULL on page one. */
	const char *after_key;
	const char *after_id;
};

/* A validated create or patch body: NULL members were not given. tags is JSON array
 * text (the database unpacks it, so no array literal is ever built by hand). */
struct documents_input {
	const char *title;
	const char *body;
	const char *tags_json;
	const char *status;
};

/* Preconditions and idempotency, from the request headers. */
struct documents_conditions {
	/* If-Match: NULL when absent or "*"; else the comma-joined strong ETag values
	 * ("" when none could match, which makes the write a 412). */
	const char *if_match;
	/* Idempotency-Key (NULL when absent) and the SHA-256 (hex) of the raw body. */
	const char *idempotency_key;
	const char *body_hash;
};

/* ---- cursor.c: the list's opaque cursor ---------------------------------------------- */

/* The opaque next_cursor for a page that ended at (key, id) under q. */
const char *documents_cursor(struct mh_arena *a, const struct documents_list_query *q,
                             const char *key, const char *id);
/* Sets q->after_key and q->after_id from cursor c; -1 when c is not a cursor of this very
 * sort and these filters (or the arena is exhausted). */
int documents_cursor_read(struct mh_arena *a, const char *c, struct documents_list_query *q);

/* ---- conditions.c: the request headers a write honours ---------------------------------- */

/* If-Match, Idempotency-Key and the body's hash into out. Returns 1, 0 having answered 400
 * for a malformed header, -1 when the arena is exhausted. */
int documents_conditions_or_reply(struct mh_request *req, struct mh_response *res,
                                  struct documents_conditions *out);
/* 1 when If-None-Match names etag (the bare hex value) or is "*". */
int documents_none_match(const struct mh_request *req, const char *etag);

/* ---- service.c: the use cases; each answers the client and returns 0, or -1 (500) ---- */

int documents_list(struct mh_request *req, struct mh_response *res,
                   const struct documents_list_query *q);
int documents_get(struct mh_request *req, struct mh_response *res, const char *id,
                  int include_deleted);
int documents_create(struct mh_request *req, struct mh_response *res,
                     const struct documents_input *in, const struct documents_conditions *c);
int documents_update(struct mh_request *req, struct mh_response *res, const char *id,
                     const struct documents_input *in, const struct documents_conditions *c);
int documents_delete(struct mh_request *req, struct mh_response *res, const char *id,
                     const struct documents_conditions *c);
int documents_restore(struct mh_request *req, struct mh_response *res, const char *id);

/* ---- repo.c: the SQL. Each queues one statement and returns its index (or MH_DB_ERROR) -- */

extern const struct mh_db_statement documents_statements[];

/* The tenant filter the list statements carry for their indexes. RLS applies the same rule
 * regardless; t/it_documents.c removes this text from a statement to prove it. */
#define DOCUMENTS_TENANT_FILTER "d.tenant_id = (SELECT app_tenant_id())"

/* Result columns of the single-document statements: {"data":…} text, ETag value. */
enum { DOCUMENTS_COL_ENVELOPE, DOCUMENTS_COL_ETAG };
/* Of the list statements: a document's summary fields, raw (render.c writes the JSON):
 * tags as a JSON array, timestamps as microseconds since 1970 (deleted_at NULL if live). */
enum {
	DOCUMENTS_LIST_ID,
	DOCUMENTS_LIST_OWNER,
	DOCUMENTS_LIST_TITLE,
	DOCUMENTS_LIST_TAGS,
	DOCUMENTS_LIST_STATUS,
	DOCUMENTS_LIST_VERSION,
	DOCUMENTS_LIST_CREATED,
	DOCUMENTS_LIST_UPDATED,
	DOCUMENTS_LIST_DELETED
};
/* Of the probe: deleted, owned by the caller, caller's role rank, ETag. */
enum { DOCUMENTS_PROBE_DELETED, DOCUMENTS_PROBE_OWN, DOCUMENTS_PROBE_RANK, DOCUMENTS_PROBE_ETAG };
/* Of create: new id, response envelope, ETag; then a replayed key's hash, status, body,
 * Location (the new-document columns are NULL on a replay and vice versa). */
enum {
	DOCUMENTS_NEW_ID,
	DOCUMENTS_NEW_ENVELOPE,
	DOCUMENTS_NEW_ETAG,
	DOCUMENTS_PRIOR_HASH,
	DOCUMENTS_PRIOR_STATUS,
	DOCUMENTS_PRIOR_BODY,
	DOCUMENTS_PRIOR_LOCATION
};

/* ---- render.c: list rows as JSON ---------------------------------------------------------- */

/* Appends row `row` of a list result as the document's summary object, byte for byte what
 * PostgreSQL's row_to_json writes for it (GET's representation without body). 0, or -1
 * when a timestamp column is not an integer (the statement and this file disagree). */
int documents_render_summary(struct mh_buf *b, const PGresult *r, int row);
/* Row `row`'s position in `sort` as a cursor carries it: the title, or the timestamp in
 * RFC 3339 UTC with microseconds (in a). NULL on a malformed timestamp or no memory. */
const char *documents_render_key(struct mh_arena *a, const PGresult *r, int row,
                                 enum documents_sort sort);

int documents_repo_require_admin(struct mh_tx *tx);
int documents_repo_list(struct mh_tx *tx, const struct documents_list_query *q);
int documents_repo_get(struct mh_tx *tx, const char *id, int include_deleted);
int documents_repo_probe(struct mh_tx *tx, const char *id);
int documents_repo_lock_key(struct mh_tx *tx, const char *route, const char *key);
int documents_repo_create(struct mh_tx *tx, const struct documents_input *in,
                          const struct documents_conditions *c, const char *route);
int documents_repo_update(struct mh_tx *tx, const char *id, const struct documents_input *in,
                          const struct documents_conditions *c, const char *changed);
int documents_repo_delete(struct mh_tx *tx, const char *id, const struct documents_conditions *c);
int documents_repo_restore(struct mh_tx *tx, const char *id);

struct mh_module_doc;

/* schemas.c: the schemas its answers name, for the OpenAPI document. */
extern const struct mh_module_doc documents_doc;

#endif
