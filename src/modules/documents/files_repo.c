/* files_repo.c - the SQL of a document's attachments. Every statement runs as menhir_app
 * under RLS in the request's tenant context; the write policies of schema 0004 repeat the
 * ownership rule, so the may_write column below decides the answer (403) and the policies
 * are the backstop should it ever be wrong. */
#include "modules/documents/files.h"

#include "core/address.h"

/* RFC 3339 UTC with microseconds, like every timestamp the API returns. */
#define FILES_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The document, live, and whether the caller may change it: admin+ any document of the
 * tenant, a member only their own (the route already refused viewers). */
#define FILES_DOCUMENT_CTE                                                                     \
	"WITH d AS (SELECT id, (app_role_rank(app_role()) >= 3 OR owner_id = app_user_id())"  \
	"             AS may_write"                                                            \
	"             FROM documents"                                                          \
	"            WHERE id = $1::uuid AND tenant_id = (SELECT app_tenant_id())"             \
	"              AND deleted_at IS NULL)"

const struct mh_db_statement documents_files_statements[] = {
	/* The file row and its audit row in one statement, so neither exists without the
	 * other and the request stays one round trip: no row at all = no such document. */
	{ "documents_files_create",
	  FILES_DOCUMENT_CTE
	  ", f AS (INSERT INTO document_files"
	  "          (tenant_id, document_id, name, size, sha256, content_type, storage_key)"
	  "        SELECT app_tenant_id(), d.id, $2, $3::bigint, decode($4, 'hex'), $5, $6"
	  "          FROM d WHERE d.may_write"
	  "        RETURNING id, document_id, name, size, sha256, content_type, created_at)"
	  ", a AS (INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
	  "        SELECT app_tenant_id(), app_user_id(), 'document_file_added',"
	  "               f.document_id || '/' || f.id, nullif($7, '')::inet, $8 FROM f)"
	  " SELECT d.may_write, f.id, f.document_id, f.name, f.size, encode(f.sha256, 'hex'),"
	  "        f.content_type, " FILES_TS("f.created_at")
	  "   FROM d LEFT JOIN f ON true",
	  8 },
	/* A live file of a live document (a soft-deleted document hides its files). */
	{ "documents_files_get",
	  "SELECT f.name, f.content_type, f.storage_key, f.size, encode(f.sha256, 'hex')"
	  "  FROM document_files f"
	  "  JOIN documents d ON d.tenant_id = f.tenant_id AND d.id = f.document_id"
	  " WHERE f.id = $2::uuid AND f.document_id = $1::uuid"
	  "   AND f.tenant_id = (SELECT app_tenant_id())"
	  "   AND f.deleted_at IS NULL AND d.deleted_at IS NULL",
	  2 },
	/* Soft delete (menhir_app has no DELETE on the table: the row stays as history, with
	 * its name and hash); the caller removes the bytes once this has committed. */
	{ "documents_files_delete",
	  FILES_DOCUMENT_CTE
	  ", f AS (UPDATE document_files SET deleted_at = now()"
	  "         WHERE id = $2::uuid AND document_id = $1::uuid"
	  "           AND tenant_id = (SELECT app_tenant_id()) AND deleted_at IS NULL"
	  "           AND (SELECT may_write FROM d)"
	  "        RETURNING id, document_id, storage_key)"
	  ", a AS (INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
	  "        SELECT app_tenant_id(), app_user_id(), 'document_file_removed',"
	  "               f.document_id || '/' || f.id, nullif($3, '')::inet, $4 FROM f)"
	  " SELECT d.may_write, f.storage_key FROM d LEFT JOIN f ON true",
	  4 },
	{ NULL, NULL, 0 },
};

int documents_files_repo_create(struct mh_tx *tx, const char *document_id, const char *name,
				const char *size, const char *sha256_hex, const char *content_type,
				const char *storage_key)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 8);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = document_id;
	p[1] = name;
	p[2] = size;
	p[3] = sha256_hex;
	p[4] = content_type;
	p[5] = storage_key;
	p[6] = mh_address_client(tx->req);
	p[7] = tx->req->request_id;
	return mh_tx_query(tx, "documents_files_create", p, 8);
}

int documents_files_repo_get(struct mh_tx *tx, const char *document_id, const char *file_id)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 2);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = document_id;
	p[1] = file_id;
	return mh_tx_query(tx, "documents_files_get", p, 2);
}

int documents_files_repo_delete(struct mh_tx *tx, const char *document_id,
				const char *file_id)
{
	const char **p = mh_arena_alloc(tx->req->arena, sizeof(*p) * 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = document_id;
	p[1] = file_id;
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "documents_files_delete", p, 4);
}
