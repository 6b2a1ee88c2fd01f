/* files.c - a document's attachments: input checks, storage on disk, the three use cases.
 *
 * Upload: the dispatcher has checked Content-Length against upload_limit (413) and left the
 * body in the FastCGI stream (MH_RAW_BODY). nginx has already received the whole body
 * (fastcgi_request_buffering), so reading it here is a local copy at memory speed and a
 * slow client never holds a worker. The bytes go, 64 KiB at a time, into a new file under
 * storage_dir/.tmp while SHA-256 is computed; the first chunk is sniffed against the
 * declared type (415 on a mismatch). The file is then renamed to its final, generated
 * name (same filesystem: atomic) before the row is inserted, so a committed row always
 * has its bytes; if the transaction fails, the file is removed again. A worker killed in
 * the middle leaves at most a .tmp file (systemd-tmpfiles ages them out) or an
 * unreferenced stored file, never a row without bytes. */
#include "modules/documents/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "core/input.h"
#include "core/utf8.h"
#include "core/validate.h"

#define CHUNK (64 * 1024)

/* ---- Content types ---------------------------------------------------------------------- */

/* What may be uploaded, and how its first bytes must look. The list is short on purpose:
 * nothing a browser would run (HTML, SVG, JavaScript), and every entry is checked against
 * its signature, so a client cannot store a script under an image type. Downloads are sent
 * as attachments with nosniff as well; this is the second fence. */
struct file_type {
	const char *name;
	int text; /* UTF-8 text: no signature, the sniffed prefix must be UTF-8 without NUL */
	const char *magic;
	size_t magic_len;
	size_t magic_at;
	const char *magic2; /* a second signature that must also match (WebP: RIFF + WEBP) */
	size_t magic2_len;
	size_t magic2_at;
};

static const struct file_type file_types[] = {
	{ "application/pdf", 0, "%PDF-", 5, 0, NULL, 0, 0 },
	{ "image/png", 0, "\x89PNG\r\n\x1a\n", 8, 0, NULL, 0, 0 },
	{ "image/jpeg", 0, "\xff\xd8\xff", 3, 0, NULL, 0, 0 },
	{ "image/gif", 0, "GIF8", 4, 0, NULL, 0, 0 },
	{ "image/webp", 0, "RIFF", 4, 0, "WEBP", 4, 8 },
	{ "application/zip", 0, "PK\x03\x04", 4, 0, NULL, 0, 0 },
	{ "text/plain", 1, NULL, 0, 0, NULL, 0, 0 },
	{ "text/csv", 1, NULL, 0, 0, NULL, 0, 0 },
	{ "text/markdown", 1, NULL, 0, 0, NULL, 0, 0 },
};

/* The Content-Type header to a known type. Parameters are refused except charset=utf-8 on
 * the text types (stored as "; charset=utf-8", so a download says how to decode it). */
static const struct file_type *parse_content_type(const char *ct)
{
	for (size_t i = 0; ct != NULL && i < sizeof(file_types) / sizeof(file_types[0]); i++) {
		const struct file_type *t = &file_types[i];
		size_t n = strlen(t->name);
		const char *p = ct + n;

		if (strncasecmp(ct, t->name, n) != 0)
			continue;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return t;
		if (!t->text || *p != ';')
			return NULL;
		p++;
		while (*p == ' ')
			p++;
		if (strcasecmp(p, "charset=utf-8") == 0 || strcasecmp(p, "charset=\"utf-8\"") == 0)
			return t;
		return NULL;
	}
	return NULL;
}

/* 1 when the first bytes fit the type. more: the file continues past buf, so a UTF-8
 * sequence cut at the end of the chunk is not an error. */
static int sniff_ok(const struct file_type *t, const unsigned char *buf, size_t len, int more)
{
	if (!t->text) {
		if (len < t->magic_at + t->magic_len ||
		    memcmp(buf + t->magic_at, t->magic, t->magic_len) != 0)
			return 0;
		return t->magic2 == NULL || (len >= t->magic2_at + t->magic2_len &&
					     memcmp(buf + t->magic2_at, t->magic2,
						    t->magic2_len) == 0);
	}
	if (more) {
		/* Leave out a trailing sequence the next chunk completes: back up over at most
		 * three continuation bytes to the lead byte and drop it if its sequence is
		 * longer than what is left. */
		size_t i = len, k = 0;
		while (i > 0 && k < 3 && (buf[i - 1] & 0xC0) == 0x80)
			i--, k++;
		if (i > 0 && buf[i - 1] >= 0xC0) {
			size_t need = buf[i - 1] >= 0xF0 ? 4 : buf[i - 1] >= 0xE0 ? 3 : 2;
			if (k + 1 < need)
				len = i - 1;
		}
	}
	return mh_utf8_valid((const char *)buf, len);
}

/* ---- Names ------------------------------------------------------------------------------ */

/* The client's file name is data, never a path: it is stored as given (routes.c declares it:
 * 1 to 255 bytes, no control characters) and only ever leaves the server percent-encoded in
 * Content-Disposition. "../x" or "a/b" are fine: nothing resolves them. */

/* RFC 6266 / 8187: attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<pct-encoded>.
 * Only unreserved ASCII survives unencoded, so no quote, semicolon, CR or LF can end the
 * parameter early. */
static const char *content_disposition(struct mh_arena *a, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(name);
	char *plain = mh_arena_alloc(a, n + 1), *enc = mh_arena_alloc(a, 3 * n + 1);
	size_t p = 0, e = 0;

	if (plain == NULL || enc == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (keep) {
			enc[e++] = (char)c;
		} else {
			enc[e++] = '%';
			enc[e++] = hex[c >> 4];
			enc[e++] = hex[c & 15];
		}
		/* One stand-in per character, not per byte, in the ASCII fallback. */
		if ((c & 0xC0) != 0x80)
			plain[p++] = keep ? (char)c : '_';
	}
	plain[p] = '\0';
	enc[e] = '\0';
	return mh_arena_sprintf(a, "attachment; filename=\"%s\"; filename*=UTF-8''%s", plain,
				enc);
}

/* ---- Storage ---------------------------------------------------------------------------- */

/* A storage key: "<tenant uuid>/<32 hex>". Checked again before every use of a key read
 * from the database, so even a forged row cannot point nginx or unlink() elsewhere. */
static int is_storage_key(const char *k)
{
	char t[37];

	if (strlen(k) != 36 + 1 + 32 || k[36] != '/')
		return 0;
	memcpy(t, k, 36);
	t[36] = '\0';
	if (!mh_is_uuid(t))
		return 0;
	for (int i = 37; i < 69; i++)
		if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
			return 0;
	return 1;
}

static const char *random_hex(struct mh_arena *a)
{
	unsigned char r[16];
	char *out = mh_arena_alloc(a, 33);

	if (out == NULL || getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return NULL;
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
	return out;
}

/* mkdir that accepts an existing directory. 0750 (the service's UMask keeps it so): the
 * owner writes, nginx's group (storage_dir is setgid to it) reads; nobody else. */
static int ensure_dir(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	mh_log(MH_LOG_ERROR, "storage", "mkdir %s: %s", path, strerror(errno));
	return -1;
}

/* fsync a directory so a rename in it survives a crash, like the file's own bytes. */
static void sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void ctx_free(void *p)
{
	EVP_MD_CTX_free(p);
}

/* What receiving an upload produced. */
struct received {
	const char *tmp_path;
	long long size;
	char sha256[65];
};

enum recv_rc { RECV_OK, RECV_TYPE, RECV_EMPTY, RECV_SHORT, RECV_FAIL };

/* Streams the body into a new file under storage_dir/.tmp, hashing and sniffing it. On
 * anything but RECV_OK the file is gone again. */
static enum recv_rc receive(struct mh_request *req, const struct file_type *type,
			    struct received *out)
{
	unsigned char *buf = mh_arena_alloc(req->arena, CHUNK), md[EVP_MAX_MD_SIZE];
	const char *tmpdir = mh_arena_sprintf(req->arena, "%s/.tmp", documents_settings.storage_dir);
	const char *rnd = random_hex(req->arena);
	struct mh_arena_defer *slot = mh_arena_defer_reserve(req->arena);
	EVP_MD_CTX *ctx = slot ? EVP_MD_CTX_new() : NULL;
	enum recv_rc rc = RECV_FAIL;
	unsigned mdlen = 0;
	int fd = -1, first = 1, closed;

	if (ctx == NULL)
		return RECV_FAIL;
	mh_arena_defer_set(slot, ctx_free, ctx);
	if (buf == NULL || tmpdir == NULL || rnd == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || ensure_dir(documents_settings.storage_dir) < 0 ||
	    ensure_dir(tmpdir) < 0)
		return RECV_FAIL;
	out->tmp_path = mh_arena_sprintf(req->arena, "%s/%s.part", tmpdir, rnd);
	out->size = 0;
	if (out->tmp_path == NULL)
		return RECV_FAIL;
	/* O_EXCL | O_NOFOLLOW: a new file of our own, never something planted there. 0640:
	 * nginx reads stored files through the group (README "Attachments"). */
	fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		mh_log(MH_LOG_ERROR, "storage", "open %s: %s", out->tmp_path, strerror(errno));
		return RECV_FAIL;
	}
	for (;;) {
		size_t got = 0;
		long n;

		/* Fill the chunk (FastCGI records are at most 64 KiB - 1, so one read can be
		 * short) so the first one holds enough to sniff. */
		while (got < CHUNK && (n = mh_request_body_read(req, buf + got, CHUNK - got)) > 0)
			got += (size_t)n;
		if (req->body_remaining > 0 && got < CHUNK) {
			rc = RECV_SHORT;
			goto fail;
		}
		if (got == 0)
			break;
		if (first && !sniff_ok(type, buf, got, req->body_remaining > 0)) {
			rc = RECV_TYPE;
			goto fail;
		}
		first = 0;
		if (EVP_DigestUpdate(ctx, buf, got) != 1 || write_all(fd, buf, got) < 0) {
			mh_log(MH_LOG_ERROR, "storage", "write %s: %s", out->tmp_path,
			       strerror(errno));
			goto fail;
		}
		out->size += (long long)got;
	}
	if (out->size == 0) {
		rc = RECV_EMPTY;
		goto fail;
	}
	/* The row will say the file exists: its bytes must be on disk before the commit. */
	if (fdatasync(fd) < 0) {
		mh_log(MH_LOG_ERROR, "storage", "sync %s: %s", out->tmp_path, strerror(errno));
		goto fail; /* closes fd */
	}
	closed = close(fd);
	fd = -1;
	if (closed < 0) {
		mh_log(MH_LOG_ERROR, "storage", "close %s: %s", out->tmp_path, strerror(errno));
		goto fail;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto fail;
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(out->sha256 + 2 * i, "%02x", md[i]);
	return RECV_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(out->tmp_path);
	return rc;
}

/* ---- Replies ---------------------------------------------------------------------------- */

static void put_file(struct mh_buf *b, const PGresult *r)
{
	static const char *const names[] = { "id", "document_id", "name", "size", "sha256",
					     "content_type", "created_at" };

	for (int c = FILES_COL_ID; c <= FILES_COL_CREATED_AT; c++) {
		mh_buf_puts(b, c == FILES_COL_ID ? "{\"" : ",\"");
		mh_buf_puts(b, names[c - FILES_COL_ID]);
		mh_buf_puts(b, "\":");
		if (c == FILES_COL_SIZE)
			mh_buf_puts(b, PQgetvalue(r, 0, c)); /* bigint text: a JSON number */
		else
			mh_buf_json_cstr(b, PQgetvalue(r, 0, c));
	}
	mh_buf_putc(b, '}');
}

static int forbidden(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_error(req, res, 403, "forbidden",
			      "members may change the files of their own documents only");
}

/* ---- Use cases -------------------------------------------------------------------------- */

int documents_files_upload(struct mh_request *req, struct mh_response *res)
{
	const char *doc = mh_in_path(req, FILES_PATH_DOCUMENT)->s;
	const char *name = mh_in_query(req, FILES_QUERY_NAME)->s, *key, *final, *dir;
	const struct file_type *type;
	struct received rcv;
	struct mh_tx tx;
	const PGresult *r;
	int q = -1, rc;

	type = parse_content_type(mh_header(req, "content-type"));
	if (type == NULL)
		return mh_reply_error(req, res, 415, "unsupported_media_type",
				      "files may be application/pdf, image/png, image/jpeg, "
				      "image/gif, image/webp, application/zip, text/plain, "
				      "text/csv or text/markdown (UTF-8)");
	/* The tenant comes from the verified token and names a directory: check its shape
	 * anyway, so no principal can ever contribute a path component that is not a UUID. */
	if (!mh_is_uuid(req->principal.tenant_id))
		return -1;

	switch (receive(req, type, &rcv)) {
	case RECV_OK:
		break;
	case RECV_TYPE:
		return mh_reply_error(req, res, 415, "unsupported_media_type",
				      "the file's content does not match its Content-Type");
	case RECV_EMPTY:
		return mh_reply_error(req, res, 400, "bad_request", "the file is empty");
	case RECV_SHORT:
		return mh_reply_error(req, res, 400, "bad_request", "the request body ended early");
	case RECV_FAIL:
		return -1;
	}

	key = mh_arena_sprintf(req->arena, "%s/%s", mh_lower(req->arena, req->principal.tenant_id),
			       random_hex(req->arena));
	dir = mh_arena_sprintf(req->arena, "%s/%.36s", documents_settings.storage_dir, key ? key : "");
	final = mh_arena_sprintf(req->arena, "%s/%s", documents_settings.storage_dir, key ? key : "");
	if (key == NULL || !is_storage_key(key) || dir == NULL || final == NULL ||
	    ensure_dir(dir) < 0 || rename(rcv.tmp_path, final) < 0) {
		mh_log(MH_LOG_ERROR, "storage", "storing %s: %s", rcv.tmp_path, strerror(errno));
		unlink(rcv.tmp_path);
		return -1;
	}
	sync_dir(dir);

	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc == MH_DB_OK) {
		q = documents_files_repo_create(&tx, doc, name,
						mh_arena_sprintf(req->arena, "%lld", rcv.size),
						rcv.sha256,
						type->text ? mh_arena_sprintf(req->arena,
									      "%s; charset=utf-8",
									      type->name)
							   : type->name,
						key);
		rc = mh_tx_commit(&tx);
	}
	r = rc == MH_DB_OK ? mh_tx_result(&tx, q) : NULL;
	if (r == NULL || PQntuples(r) != 1 || PQgetisnull(r, 0, FILES_COL_ID)) {
		/* Nothing refers to the bytes: take them back. */
		unlink(final);
		if (rc != MH_DB_OK)
			return mh_db_reply_error(req, res, &tx, rc);
		if (r != NULL && PQntuples(r) == 1)
			return forbidden(req, res);
		return mh_reply_error(req, res, 404, "not_found", "no such document");
	}
	mh_response_header(res, "Location",
			   mh_arena_sprintf(req->arena, "/api/v1/documents/%s/files/%s", doc,
					    PQgetvalue(r, 0, FILES_COL_ID)));
	res->body.len = 0;
	mh_buf_puts(&res->body, "{\"data\":");
	put_file(&res->body, r);
	mh_buf_putc(&res->body, '}');
	res->status = 201;
	return 0;
}

int documents_files_get(struct mh_request *req, struct mh_response *res)
{
	const char *doc = mh_in_path(req, FILES_PATH_DOCUMENT)->s;
	const char *file = mh_in_path(req, FILES_PATH_FILE)->s, *key;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	rc = mh_tx_begin(&tx, req, MH_TX_READ_ONLY);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = documents_files_repo_get(&tx, doc, file);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such file");
	key = PQgetvalue(r, 0, FILES_GET_KEY);
	if (!is_storage_key(key)) {
		mh_log(MH_LOG_ERROR, "storage", "file %s has a malformed storage key", file);
		return -1;
	}
	/* nginx sends the bytes from its internal location (Range, sendfile, no worker held);
	 * it keeps Content-Type and Content-Disposition from this answer. The content type
	 * comes from the whitelist, so it is safe to echo. */
	res->status = 200;
	res->content_type = PQgetvalue(r, 0, FILES_GET_CONTENT_TYPE);
	mh_response_header(res, "X-Accel-Redirect",
			   mh_arena_sprintf(req->arena, DOCUMENTS_FILES_ACCEL_PREFIX "%s", key));
	mh_response_header(res, "Content-Disposition",
			   content_disposition(req->arena, PQgetvalue(r, 0, FILES_GET_NAME)));
	mh_response_header(res, "X-Content-Type-Options", "nosniff");
	mh_response_header(res, "Cache-Control", "private, no-store");
	res->body.len = 0;
	return 0;
}

int documents_files_delete(struct mh_request *req, struct mh_response *res)
{
	const char *doc = mh_in_path(req, FILES_PATH_DOCUMENT)->s;
	const char *file = mh_in_path(req, FILES_PATH_FILE)->s, *key, *path;
	struct mh_tx tx;
	const PGresult *r;
	int q, rc;

	rc = mh_tx_begin(&tx, req, MH_TX_READ_WRITE);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	q = documents_files_repo_delete(&tx, doc, file);
	rc = mh_tx_commit(&tx);
	if (rc != MH_DB_OK)
		return mh_db_reply_error(req, res, &tx, rc);
	r = mh_tx_result(&tx, q);
	if (r == NULL || PQntuples(r) != 1)
		return mh_reply_error(req, res, 404, "not_found", "no such document");
	if (strcmp(PQgetvalue(r, 0, FILES_DEL_MAY_WRITE), "t") != 0)
		return forbidden(req, res);
	if (PQgetisnull(r, 0, FILES_DEL_KEY))
		return mh_reply_error(req, res, 404, "not_found", "no such file");
	/* After the commit: the row says "deleted" first, so a crash here leaves unreferenced
	 * bytes (harmless), never a live row whose bytes are gone. */
	key = PQgetvalue(r, 0, FILES_DEL_KEY);
	path = is_storage_key(key) ? mh_arena_sprintf(req->arena, "%s/%s", documents_settings.storage_dir, key) : NULL;
	if (path == NULL || (unlink(path) < 0 && errno != ENOENT))
		mh_log(MH_LOG_WARN, "storage", "file %s: bytes not removed: %s", file,
		       path ? strerror(errno) : "malformed storage key");
	res->status = 204;
	return 0;
}
