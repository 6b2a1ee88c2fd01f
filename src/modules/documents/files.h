/* files.h - a document's attachments (files.c, files_repo.c); private to the documents module.
 *
 * The bytes live under storage_dir, outside the database and the web root, at
 * <tenant id>/<32 random hex digits>: a name the server generates, so no client input ever
 * becomes part of a path. Menhir streams the upload from FastCGI into storage in bounded
 * chunks (sniffing its type and hashing it on the way), records the metadata and an audit
 * row in one transaction, and answers downloads with X-Accel-Redirect so nginx sends the
 * bytes. README "Attachments" explains why the worker, not nginx, writes the file. */
#ifndef MH_MODULES_DOCUMENTS_FILES_H
#define MH_MODULES_DOCUMENTS_FILES_H

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"

/* The internal nginx location that serves storage_dir (nginx/menhir.conf). */
#define DOCUMENTS_FILES_ACCEL_PREFIX "/_files/"
#define DOCUMENTS_FILE_NAME_MAX 255

/* Where the handlers find their checked input: the path parameters (:id, :file_id) and the
 * upload's query (?name=), as routes.c declares them. */
enum { FILES_PATH_DOCUMENT, FILES_PATH_FILE };
enum { FILES_QUERY_NAME };

extern const struct mh_db_statement documents_files_statements[];

/* The documents module's configuration keys (settings.c): the core loads them and hands
 * them over at start-up and on every reload, before workers fork. */
struct documents_settings {
	char storage_dir[512]; /* absolute */
};
extern struct documents_settings documents_settings;
extern const struct mh_settings documents_config;

/* POST /api/v1/documents/:id/files?name=… (member+, own documents; admin+ any) with the
 * file as the raw body (MH_RAW_BODY): 201 + Location; 400 bad name; 403; 404; 413; 415. */
int documents_files_upload(struct mh_request *req, struct mh_response *res);
/* GET /api/v1/documents/:id/files/:file_id (viewer+): 200 through X-Accel-Redirect; 404. */
int documents_files_get(struct mh_request *req, struct mh_response *res);
/* DELETE /api/v1/documents/:id/files/:file_id (member+, own documents): 204; 403; 404. */
int documents_files_delete(struct mh_request *req, struct mh_response *res);

/* ---- files_repo.c: each queues one statement and returns its index (or MH_DB_ERROR) ---- */

/* Result columns of create: may_write, then the file (NULL unless created). */
enum {
	FILES_COL_MAY_WRITE,
	FILES_COL_ID,
	FILES_COL_DOCUMENT_ID,
	FILES_COL_NAME,
	FILES_COL_SIZE,
	FILES_COL_SHA256,
	FILES_COL_CONTENT_TYPE,
	FILES_COL_CREATED_AT
};
/* Of get: name, content type, storage key, size, sha256 (hex). */
enum { FILES_GET_NAME, FILES_GET_CONTENT_TYPE, FILES_GET_KEY, FILES_GET_SIZE, FILES_GET_SHA256 };
/* Of delete: may_write, storage key of the file deleted (NULL when there was none). */
enum { FILES_DEL_MAY_WRITE, FILES_DEL_KEY };

int documents_files_repo_create(struct mh_tx *tx, const char *document_id, const char *name,
				const char *size, const char *sha256_hex, const char *content_type,
				const char *storage_key);
int documents_files_repo_get(struct mh_tx *tx, const char *document_id, const char *file_id);
int documents_files_repo_delete(struct mh_tx *tx, const char *document_id,
				const char *file_id);

#endif
