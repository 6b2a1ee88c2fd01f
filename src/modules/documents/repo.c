/* repo.c - the documents module's SQL, and nothing else. Every statement runs as menhir_app
 * under RLS in the request's tenant context: the policies of schema 0004 hide other tenants'
 * rows and refuse writes the caller's role does not allow, whatever the SQL says. Each write
 * is ONE statement whose CTEs also write the audit row (and the idempotency key), so a
 * request stays one pipelined round trip and the audit row exists iff the change does. */
#include "modules/documents/internal.h"

#include "core/address.h"

/* RFC 3339 UTC with microseconds: exact, so a timestamp doubles as a cursor position. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Strong ETag value: changes whenever the row does (the trigger bumps version on every
 * UPDATE), says nothing about the edit count. Computed here only, so GET and If-Match
 * can never disagree. */
#define ETAG "left(encode(sha256(convert_to(d.id::text || '-v' || d.version, 'UTF8')), 'hex'), 32)"

/* The representation, rendered by PostgreSQL: one renderer for every response, and the
 * create statement can store the exact bytes it answers with as the idempotent replay.
 * row_to_json of a sub-select keeps the field order and writes compact JSON. */
#define FIELDS_HEAD "d.id, d.owner_id, d.title"
#define FIELDS_TAIL                                                                                \
	"d.tags, d.status, d.version, " TS("d.created_at") " AS created_at, " TS(                  \
	        "d.updated_at") " AS updated_at, " TS("d.deleted_at") " AS deleted_at"
#define ENVELOPE                                                                                   \
	"(SELECT '{\"data\":' || row_to_json(x) || '}' FROM (SELECT " FIELDS_HEAD                  \
	", d.body, " FIELDS_TAIL ") x)"
/* List items leave the body out: a page of 100 bodies of 1 MiB is not a list. They are
 * the raw fields, which render.c turns into the same JSON as row_to_json would, at a
 * fraction of PostgreSQL's cost; a timestamp is exact integer microseconds since 1970,
 * whatever the session's TimeZone and DateStyle. (Timestamps here come from now():
 * an infinite one, which only hand-written SQL could store, would fail the cast.) */
#define US(col) "(extract(epoch FROM " col ") * 1000000)::int8"
#define LIST_FIELDS                                                                                \
	"d.id, d.owner_id, d.title, array_to_json(d.tags), d.status, d.version, " US(              \
	        "d.created_at") ", " US("d.updated_at") ", " US("d.deleted_at")

/* Role rules, repeated from the write policies so a refused write is a plain "no row"
 * that the probe explains (403, 404 or 412) instead of an RLS error. */
#define WRITABLE    "(app_role_rank((SELECT app_role())) >= 3 OR d.owner_id = (SELECT app_user_id()))"
#define IF_MATCH(p) "(" p "::text IS NULL OR " ETAG " = ANY(string_to_array(" p "::text, ',')))"
#define AUDIT(action, target, ip, rid, from)                                                       \
	"INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"              \
	" SELECT d.tenant_id, (SELECT app_user_id()), '" action "', " target ", nullif(" ip        \
	"::text, '')::inet, " rid "::text FROM " from " d"

/*
 * One list statement per (order, deleted rows, search): each is a range scan of the order's
 * index from the cursor, no OFFSET and no Sort, so page 1,000 costs what page 1 costs.
 * $1/$2 cursor key and id (page one starts from a sentinel), $3 status, $4 tag,
 * $5 owner_id, $6 limit, $7 q. Absent filters are NULL. The page is chosen in the inner
 * query and its fields computed outside it, so only the rows sent are converted.
 */
#define LIST(name, key, cast, cmp, dir, live, match, n)                                            \
	{                                                                                          \
		name,                                                                              \
		        "SELECT " LIST_FIELDS " FROM ("                                            \
		        "SELECT d.* FROM documents d"                                              \
		        " WHERE " DOCUMENTS_TENANT_FILTER live                                     \
		        " AND ($3::text IS NULL OR d.status = $3::text)"                           \
		        " AND ($4::text IS NULL OR d.tags @> ARRAY[$4::text])"                     \
		        " AND ($5::uuid IS NULL OR d.owner_id = $5::uuid)"                         \
		        " AND (d." key ", d.id) " cmp " ($1::" cast ", $2::uuid)" match            \
		        " ORDER BY d." key " " dir ", d.id " dir " LIMIT $6::int) d"               \
		        " ORDER BY d." key " " dir ", d.id " dir,                                  \
		        n                                                                          \
	}
#define LIVE  " AND d.deleted_at IS NULL"
#define MATCH " AND d.search @@ websearch_to_tsquery('simple', $7::text)"
#define LIST_VARIANTS(sort, key, cast, cmp, dir)                                                   \
	LIST("documents_list_" sort, key, cast, cmp, dir, LIVE, "", 6),                            \
	        LIST("documents_list_" sort "_all", key, cast, cmp, dir, "", "", 6),               \
	        LIST("documents_list_" sort "_q", key, cast, cmp, dir, LIVE, MATCH, 7),            \
	        LIST("documents_list_" sort "_all_q", key, cast, cmp, dir, "", MATCH, 7)

const struct mh_db_statement documents_statements[] = {
        LIST_VARIANTS("created_desc", "created_at", "timestamptz", "<", "DESC"),
        LIST_VARIANTS("created_asc", "created_at", "timestamptz", ">", "ASC"),
        LIST_VARIANTS("title_asc", "title", "text", ">", "ASC"),
        LIST_VARIANTS("updated_desc", "updated_at", "timestamptz", "<", "DESC"),
        /* By id alone: no tenant filter at all, RLS decides (see the isolation proof). */
        {"documents_get",
         "SELECT " ENVELOPE ", " ETAG " FROM documents d"
         " WHERE d.id = $1::uuid AND ($2::bool OR d.deleted_at IS NULL)",
         2},
        /* Queued after a write in the same round trip: explains a write that matched no row. */
        {"documents_probe",
         "SELECT d.deleted_at IS NOT NULL, d.owner_id = (SELECT app_user_id()),"
         " app_role_rank((SELECT app_role())), " ETAG " FROM documents d WHERE d.id = $1::uuid",
         1},
        /*
         * Queued before a keyset list (not a search): a prepared statement's generic plan
         * cannot know the tenant's row count nor which filters are absent, estimates a handful
         * of rows, and would happily fetch them by bitmap and Sort; for a tenant with a million
         * documents that is a million-row sort per page. Keyset pagination is only O(page) if
         * the scan walks the index in order, so the transaction says so (SET LOCAL: it ends
         * with the transaction). Searches keep the planner's choice: a rare term is best found
         * through the GIN index and sorted.
         */
        {"documents_keyset_plan", "SELECT set_config('enable_sort', 'off', true)", 0},
        /*
         * The same for a list with no filter at all (the common page), which also takes the
         * generic plan: with nothing to specialise on, a custom plan is the same index scan
         * re-planned on every request, and planning cost as much PostgreSQL time as running
         * the statement (0.2 ms of 0.4). With a filter the custom plan stays: a known
         * owner_id, say, folds `$5 IS NULL OR owner_id = $5` into an index condition.
         */
        {"documents_keyset_plan_generic",
         "SELECT set_config('enable_sort', 'off', true),"
         " set_config('plan_cache_mode', 'force_generic_plan', true)",
         0},
        {"documents_require_admin", "SELECT app_require_role('admin')", 0},
        {"documents_lock_key", "SELECT idempotency_lock($1::text, $2::text)", 2},
        /*
         * Create, with or without an Idempotency-Key ($5; route $6, body hash $7). Runs after
         * documents_lock_key, so the key lookup's snapshot already sees whatever an earlier
         * request with the same key committed. A fresh key inserts the document, its audit
         * row and the key row holding the exact response; a known key inserts nothing and
         * returns the stored response instead (an expired one is overwritten).
         */
        {"documents_create",
         "WITH prior AS ("
         "  SELECT k.body_hash, k.status, k.body, k.location FROM idempotency_keys k"
         "   WHERE $5::text IS NOT NULL AND k.tenant_id = (SELECT app_tenant_id())"
         "     AND k.user_id = (SELECT app_user_id()) AND k.route = $6::text AND k.key = $5::text"
         "     AND k.created_at > now() - interval '24 hours'),"
         " doc AS ("
         "  INSERT INTO documents (tenant_id, owner_id, title, body, tags, status)"
         "  SELECT app_tenant_id(), app_user_id(), $1::text, coalesce($2::text, ''),"
         "         ARRAY(SELECT json_array_elements_text(coalesce($3::text, '[]')::json)),"
         "         coalesce($4::text, 'draft')"
         "   WHERE NOT EXISTS (SELECT 1 FROM prior)"
         "  RETURNING *),"
         " created AS (SELECT d.id, d.tenant_id, " ENVELOPE " AS envelope, " ETAG " AS etag"
         "   FROM doc d),"
         " audit AS (" AUDIT(
                 "document_created", "d.id::text", "$8", "$9",
                 "created") "),"
                            " key AS ("
                            "  INSERT INTO idempotency_keys (tenant_id, user_id, route, key, "
                            "body_hash, status, body,"
                            "                                location)"
                            "  SELECT d.tenant_id, app_user_id(), $6::text, $5::text, "
                            "decode($7::text, 'hex'), 201,"
                            "         d.envelope, '/api/v1/documents/' || d.id FROM created d"
                            "   WHERE $5::text IS NOT NULL"
                            "  ON CONFLICT (tenant_id, user_id, route, key) DO UPDATE"
                            "   SET body_hash = EXCLUDED.body_hash, status = EXCLUDED.status, body "
                            "= EXCLUDED.body,"
                            "       location = EXCLUDED.location, created_at = now()"
                            "   WHERE idempotency_keys.created_at <= now() - interval '24 hours')"
                            " SELECT d.id::text, d.envelope, d.etag, NULL, NULL::int, NULL, NULL "
                            "FROM created d"
                            " UNION ALL"
                            " SELECT NULL, NULL, NULL, encode(p.body_hash, 'hex'), p.status, "
                            "p.body, p.location"
                            "   FROM prior p",
         9},
        /* $2..$5 new values (NULL keeps), $6 If-Match, $7 changed fields for the audit row. */
        {"documents_update",
         "WITH upd AS ("
         "  UPDATE documents d SET title = coalesce($2::text, d.title),"
         "         body = coalesce($3::text, d.body),"
         "         tags = CASE WHEN $4::text IS NULL THEN d.tags"
         "                ELSE ARRAY(SELECT json_array_elements_text($4::text::json)) END,"
         "         status = coalesce($5::text, d.status)"
         "   WHERE d.id = $1::uuid AND d.deleted_at IS NULL AND " WRITABLE " AND " IF_MATCH(
                 "$6") "  RETURNING d.*),"
                       " audit AS (" AUDIT("document_updated", "d.id::text || ' ' || $7::text",
                                           "$8", "$9", "upd") ")"
                                                              " SELECT " ENVELOPE ", " ETAG
                                                              " FROM upd d",
         9},
        {"documents_delete",
         "WITH del AS ("
         "  UPDATE documents d SET deleted_at = now()"
         "   WHERE d.id = $1::uuid AND d.deleted_at IS NULL AND " WRITABLE
         " AND " IF_MATCH("$2") "  RETURNING d.id, d.tenant_id),"
                                " audit AS (" AUDIT("document_deleted", "d.id::text", "$3", "$4",
                                                    "del") ")"
                                                           " SELECT d.id::text FROM del d",
         4},
        /* Admin+ by route; the trigger of schema 0004 refuses anyone else regardless. */
        {"documents_restore",
         "WITH res AS ("
         "  UPDATE documents d SET deleted_at = NULL"
         "   WHERE d.id = $1::uuid AND d.deleted_at IS NOT NULL"
         "  RETURNING d.*),"
         " audit AS (" AUDIT("document_restored", "d.id::text", "$2", "$3",
                             "res") ")"
                                    " SELECT " ENVELOPE ", " ETAG " FROM res d",
         3},
        /* For other modules (documents.h): a live document's body, for processing. */
        {"documents_body",
         "SELECT d.body, d.version, " WRITABLE " FROM documents d"
         " WHERE d.id = $1::uuid AND d.deleted_at IS NULL",
         1},
        {"documents_body_for_update",
         "SELECT d.body, d.version, " WRITABLE " FROM documents d"
         " WHERE d.id = $1::uuid AND d.deleted_at IS NULL FOR UPDATE",
         1},
        /* $2 the version read, $3 the new body, $4 the audit action. */
        {"documents_replace_body",
         "WITH upd AS ("
         "  UPDATE documents d SET body = $3::text"
         "   WHERE d.id = $1::uuid AND d.deleted_at IS NULL AND d.version = $2::int"
         "     AND " WRITABLE "  RETURNING d.id, d.tenant_id, d.version),"
         " audit AS ("
         "  INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
         "  SELECT d.tenant_id, (SELECT app_user_id()), $4::text, d.id::text || ' v' || d.version,"
         "         nullif($5::text, '')::inet, $6::text FROM upd d)"
         " SELECT d.version FROM upd d",
         6},
        {NULL, NULL, 0},
};

/* Where page one starts in each order: before every row. */
static const char *const first_key[DOCUMENTS_SORT__MAX] = {"infinity", "-infinity", "", "infinity"};
static const char *const first_id[DOCUMENTS_SORT__MAX] = {
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"};
static const char *const list_names[DOCUMENTS_SORT__MAX][2][2] = {
        {{"documents_list_created_desc", "documents_list_created_desc_q"},
         {"documents_list_created_desc_all", "documents_list_created_desc_all_q"}},
        {{"documents_list_created_asc", "documents_list_created_asc_q"},
         {"documents_list_created_asc_all", "documents_list_created_asc_all_q"}},
        {{"documents_list_title_asc", "documents_list_title_asc_q"},
         {"documents_list_title_asc_all", "documents_list_title_asc_all_q"}},
        {{"documents_list_updated_desc", "documents_list_updated_desc_q"},
         {"documents_list_updated_desc_all", "documents_list_updated_desc_all_q"}},
};

/* A parameter array in the request arena. */
static const char **params(struct mh_tx *tx, int n)
{
	return mh_arena_alloc(tx->req->arena, sizeof(const char *) * (size_t)n);
}

int documents_repo_require_admin(struct mh_tx *tx)
{
	return mh_tx_query(tx, "documents_require_admin", NULL, 0);
}

int documents_repo_list(struct mh_tx *tx, const struct documents_list_query *q)
{
	const char **p = params(tx, 7);

	if (p == NULL)
		return MH_DB_ERROR;
	if (q->q == NULL &&
	    mh_tx_query(tx,
	                q->status || q->tag || q->owner_id ? "documents_keyset_plan"
	                                                   : "documents_keyset_plan_generic",
	                NULL, 0) < 0)
		return MH_DB_ERROR;
	p[0] = q->after_key ? q->after_key : first_key[q->sort];
	p[1] = q->after_id ? q->after_id : first_id[q->sort];
	p[2] = q->status;
	p[3] = q->tag;
	p[4] = q->owner_id;
	/* One row more than the page: whether it exists says if a next page does. */
	p[5] = mh_arena_sprintf(tx->req->arena, "%d", q->limit + 1);
	p[6] = q->q;
	if (p[5] == NULL)
		return MH_DB_ERROR;
	return mh_tx_query(tx, list_names[q->sort][q->include_deleted != 0][q->q != NULL], p,
	                   q->q ? 7 : 6);
}

int documents_repo_get(struct mh_tx *tx, const char *id, int include_deleted)
{
	const char **p = params(tx, 2);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = include_deleted ? "true" : "false";
	return mh_tx_query(tx, "documents_get", p, 2);
}

int documents_repo_probe(struct mh_tx *tx, const char *id)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	return mh_tx_query(tx, "documents_probe", p, 1);
}

int documents_repo_lock_key(struct mh_tx *tx, const char *route, const char *key)
{
	const char **p = params(tx, 2);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = route;
	p[1] = key;
	return mh_tx_query(tx, "documents_lock_key", p, 2);
}

int documents_repo_create(struct mh_tx *tx, const struct documents_input *in,
                          const struct documents_conditions *c, const char *route)
{
	const char **p = params(tx, 9);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = in->title;
	p[1] = in->body;
	p[2] = in->tags_json;
	p[3] = in->status;
	p[4] = c->idempotency_key;
	p[5] = route;
	p[6] = c->body_hash;
	p[7] = mh_address_client(tx->req);
	p[8] = tx->req->request_id;
	return mh_tx_query(tx, "documents_create", p, 9);
}

int documents_repo_update(struct mh_tx *tx, const char *id, const struct documents_input *in,
                          const struct documents_conditions *c, const char *changed)
{
	const char **p = params(tx, 9);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = in->title;
	p[2] = in->body;
	p[3] = in->tags_json;
	p[4] = in->status;
	p[5] = c->if_match;
	p[6] = changed;
	p[7] = mh_address_client(tx->req);
	p[8] = tx->req->request_id;
	return mh_tx_query(tx, "documents_update", p, 9);
}

int documents_repo_delete(struct mh_tx *tx, const char *id, const struct documents_conditions *c)
{
	const char **p = params(tx, 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = c->if_match;
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "documents_delete", p, 4);
}

int documents_repo_restore(struct mh_tx *tx, const char *id)
{
	const char **p = params(tx, 3);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = mh_address_client(tx->req);
	p[2] = tx->req->request_id;
	return mh_tx_query(tx, "documents_restore", p, 3);
}

int documents_queue_body(struct mh_tx *tx, const char *id, int for_update)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	return mh_tx_query(tx, for_update ? "documents_body_for_update" : "documents_body", p, 1);
}

int documents_queue_replace_body(struct mh_tx *tx, const char *id, const char *version,
                                 const char *body, const char *action)
{
	const char **p = params(tx, 6);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = version;
	p[2] = body;
	p[3] = action;
	p[4] = mh_address_client(tx->req);
	p[5] = tx->req->request_id;
	return mh_tx_query(tx, "documents_replace_body", p, 6);
}
