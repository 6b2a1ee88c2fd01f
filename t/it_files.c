/* it_files.c - a document's attachments through the real nginx: upload, download by
 * X-Accel-Redirect (bytes and headers), the recorded SHA-256 and audit row, the limits
 * (413 from Menhir and from nginx, 415 by declared type and by content), roles, tenant
 * isolation, deletion from storage, and hostile file names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "auth_helpers.h"
#include "helpers.h"

TestSuite(files, .timeout = 120);

/* A tiny but real PNG signature followed by filler: enough for the sniffer. */
static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDRfiller bytes of a test image";
#define PNG_LEN (sizeof(png) - 1)

/* A document owned by owner_id in tenant_id, inserted directly (superuser), so this suite
 * depends on the files routes only. */
static void make_document(const char *tenant_id, const char *owner_id, char id[40])
{
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	const char *p[2] = { tenant_id, owner_id };
	PGresult *r = PQexecParams(c,
				   "INSERT INTO documents (tenant_id, owner_id, title)"
				   " VALUES ($1, $2, 'files test') RETURNING id",
				   2, NULL, p, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

static void upload(const struct t_session *s, const char *doc, const char *name_q,
		   const char *ctype, const char *body, size_t len, struct http_response *r)
{
	char path[512], auth[4200];

	snprintf(path, sizeof(path), "/api/v1/documents/%s/files?name=%s", doc, name_q);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->access);
	cr_assert_eq(t_http_ex(NULL, "POST", path, auth, ctype, body, len, r), 0);
}

static void call(const struct t_session *s, const char *method, const char *doc,
		 const char *file, struct http_response *r)
{
	char path[512], auth[4200];

	snprintf(path, sizeof(path), "/api/v1/documents/%s/files/%s", doc, file);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", s->access);
	cr_assert_eq(t_http_ex(NULL, method, path, auth, NULL, NULL, 0, r), 0);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* The created file's id (data.id) from a 201. */
static void created_id(const struct http_response *r, char id[40])
{
	json_object *root = t_auth_json(r);
	const char *v = t_auth_data_str(root, "id");

	cr_assert_not_null(v, "%s", r->body);
	snprintf(id, 40, "%s", v);
	json_object_put(root);
}

/* A one-row, one-column query as the superuser; "" when there is no row. Static storage. */
static const char *sql1(const char *sql, const char *arg)
{
	static char out[512];
	PGconn *c = t_pg("MENHIR_TEST_PG_SUPER");
	PGresult *r = PQexecParams(c, sql, 1, NULL, &arg, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
	snprintf(out, sizeof(out), "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	PQfinish(c);
	return out;
}

static const char *storage_path(const char *file_id)
{
	static char path[1024];
	const char *key =
		sql1("SELECT storage_key FROM document_files WHERE id = $1::uuid", file_id);

	cr_assert(key[0] != '\0');
	snprintf(path, sizeof(path), "%s/%s", t_auth_config("storage_dir"), key);
	return path;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

Test(files, upload_download_roundtrip)
{
	struct t_session owner;
	struct http_response r;
	char doc[40], fid[40], want[65], *h;
	json_object *root, *data, *v;

	t_auth_signup(&owner, "files");
	make_document(owner.tenant_id, owner.user_id, doc);
	upload(&owner, doc, "report%20%C3%A9t%C3%A9.png", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	created_id(&r, fid);
	h = t_header(&r, "Location");
	cr_assert_not_null(h);
	cr_assert(strstr(h, fid) != NULL && strstr(h, doc) != NULL, "Location %s", h);
	free(h);
	sha256_hex(png, PNG_LEN, want);
	root = t_auth_json(&r);
	cr_assert(json_object_object_get_ex(root, "data", &data));
	cr_assert(json_object_object_get_ex(data, "size", &v));
	cr_assert_eq(json_object_get_int64(v), (int64_t)PNG_LEN);
	cr_assert_str_eq(t_auth_data_str(root, "sha256"), want);
	cr_assert_str_eq(t_auth_data_str(root, "name"), "report été.png");
	cr_assert_str_eq(t_auth_data_str(root, "content_type"), "image/png");
	json_object_put(root);
	t_http_free(&r);

	/* Recorded in the database, with its audit row in the same transaction. */
	cr_assert_str_eq(sql1("SELECT encode(sha256, 'hex') FROM document_files WHERE id = $1::uuid",
			      fid),
			 want);
	cr_assert_str_eq(sql1("SELECT count(*) FROM audit_log WHERE action = 'document_file_added'"
			      " AND target LIKE '%' || $1",
			      fid),
			 "1");
	/* Stored under a generated key in the tenant's folder, readable by the group only. */
	{
		struct stat st;
		const char *p = storage_path(fid);
		cr_assert_eq(stat(p, &st), 0, "%s", p);
		cr_assert_eq(st.st_size, (off_t)PNG_LEN);
		cr_assert_eq(st.st_mode & 0007, 0, "world-accessible: %o", st.st_mode);
		cr_assert(strstr(p, owner.tenant_id) != NULL);
	}

	/* Download: nginx sends the bytes; Menhir's headers survive the redirect. */
	call(&owner, "GET", doc, fid, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(r.body_len, PNG_LEN);
	cr_assert_eq(memcmp(r.body, png, PNG_LEN), 0);
	h = t_header(&r, "Content-Type");
	cr_assert_str_eq(h, "image/png");
	free(h);
	h = t_header(&r, "Content-Disposition");
	cr_assert_str_eq(h, "attachment; filename=\"report__t_.png\"; "
			    "filename*=UTF-8''report%20%C3%A9t%C3%A9.png");
	free(h);
	h = t_header(&r, "X-Content-Type-Options");
	cr_assert_str_eq(h, "nosniff");
	free(h);
	{
		/* Exactly once (nginx's add_header; Menhir's copy is not doubled). */
		int n = 0;
		for (const char *p = r.headers; (p = strcasestr(p, "x-content-type-options:")); p++)
			n++;
		cr_assert_eq(n, 1, "%s", r.headers);
	}
	h = t_header(&r, "Content-Security-Policy");
	cr_assert(h != NULL && strstr(h, "sandbox") != NULL, "CSP %s", h ? h : "(none)");
	free(h);
	t_http_free(&r);
}

Test(files, internal_location_is_not_reachable)
{
	struct http_response r;

	t_get("/_files/00000000-0000-0000-0000-000000000000/00000000000000000000000000000000",
	      &r);
	cr_assert_eq(r.status, 404);
	t_http_free(&r);
}

Test(files, size_limits_are_json_413)
{
	struct t_session owner;
	struct http_response r;
	char doc[40];
	long limit = atol(t_auth_config("upload_limit"));
	size_t big = (size_t)limit + 1, huge = 12u << 20;
	char *buf = malloc(huge);

	cr_assert(limit > 0);
	t_auth_signup(&owner, "files-big");
	make_document(owner.tenant_id, owner.user_id, doc);
	memset(buf, 'a', huge);
	/* Just over upload_limit: Menhir's own 413. */
	upload(&owner, doc, "big.txt", "text/plain", buf, big, &r);
	t_assert_error(&r, 413, "payload_too_large");
	t_http_free(&r);
	/* Far over it: nginx stops it (client_max_body_size), in the same JSON envelope. */
	upload(&owner, doc, "huge.txt", "text/plain", buf, huge, &r);
	cr_assert_eq(r.status, 413);
	cr_assert(strstr(r.body, "\"error\":\"payload_too_large\"") != NULL, "%s", r.body);
	t_http_free(&r);
	/* Exactly the limit is fine. */
	upload(&owner, doc, "limit.txt", "text/plain", buf, (size_t)limit, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	free(buf);
}

Test(files, types_are_checked)
{
	struct t_session owner;
	struct http_response r;
	char doc[40];

	t_auth_signup(&owner, "files-type");
	make_document(owner.tenant_id, owner.user_id, doc);
	/* Not on the list. */
	upload(&owner, doc, "x.html", "text/html", "<script>alert(1)</script>", 25, &r);
	t_assert_error(&r, 415, "unsupported_media_type");
	t_http_free(&r);
	upload(&owner, doc, "x.svg", "image/svg+xml", "<svg/>", 6, &r);
	t_assert_error(&r, 415, "unsupported_media_type");
	t_http_free(&r);
	upload(&owner, doc, "x.bin", NULL, "abc", 3, &r);
	cr_assert(r.status == 415 || r.status == 400, "%ld", r.status);
	t_http_free(&r);
	/* On the list, but the bytes are not what the type says. */
	upload(&owner, doc, "fake.png", "image/png", "<html>not a png</html>", 22, &r);
	t_assert_error(&r, 415, "unsupported_media_type");
	t_http_free(&r);
	upload(&owner, doc, "bin.txt", "text/plain", "a\0b", 3, &r);
	t_assert_error(&r, 415, "unsupported_media_type");
	t_http_free(&r);
	upload(&owner, doc, "x.txt", "text/plain; charset=latin1", "abc", 3, &r);
	t_assert_error(&r, 415, "unsupported_media_type");
	t_http_free(&r);
	/* Text with a charset parameter, and a real PDF header, are fine. */
	upload(&owner, doc, "notes.txt", "text/plain; charset=UTF-8", "h\xc3\xa9llo", 6, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	cr_assert(strstr(r.body, "text/plain; charset=utf-8") != NULL, "%s", r.body);
	t_http_free(&r);
	upload(&owner, doc, "a.pdf", "application/pdf", "%PDF-1.7\n%%EOF\n", 15, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);
	/* Empty. */
	upload(&owner, doc, "empty.txt", "text/plain", "", 0, &r);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
	/* No storage left behind by any refusal: only the two accepted files. */
	{
		char dir[1024];
		DIR *d;
		struct dirent *e;
		int n = 0;

		snprintf(dir, sizeof(dir), "%s/%s", t_auth_config("storage_dir"), owner.tenant_id);
		d = opendir(dir);
		cr_assert_not_null(d, "%s", dir);
		while ((e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		closedir(d);
		cr_assert_eq(n, 2, "files in %s: %d", dir, n);
	}
}

Test(files, roles_and_tenants)
{
	struct t_session owner, member, viewer, other;
	struct http_response r;
	char doc[40], mine[40], fid[40];

	t_auth_signup(&owner, "files-roles");
	t_auth_member(&member, &owner, "member", "files-member");
	t_auth_member(&viewer, &owner, "viewer", "files-viewer");
	t_auth_signup(&other, "files-other");
	make_document(owner.tenant_id, owner.user_id, doc);
	make_document(owner.tenant_id, member.user_id, mine);

	/* A viewer reads but never uploads. */
	upload(&viewer, doc, "v.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	/* A member uploads to their own document, not to the owner's. */
	upload(&member, doc, "m.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	upload(&member, mine, "m.png", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	t_http_free(&r);

	upload(&owner, doc, "o.png", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	created_id(&r, fid);
	t_http_free(&r);
	call(&viewer, "GET", doc, fid, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(r.body_len, PNG_LEN);
	t_http_free(&r);
	call(&viewer, "DELETE", doc, fid, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);
	call(&member, "DELETE", doc, fid, &r);
	t_assert_error(&r, 403, "forbidden");
	t_http_free(&r);

	/* Another tenant sees nothing: not the file, not the document, and learns nothing
	 * from the error (the same 404 as for ids that do not exist). */
	call(&other, "GET", doc, fid, &r);
	t_assert_error(&r, 404, "not_found");
	cr_assert(strstr(r.body, fid) == NULL && strstr(r.body, "o.png") == NULL);
	t_http_free(&r);
	call(&other, "DELETE", doc, fid, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	upload(&other, doc, "x.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	cr_assert(exists(storage_path(fid)));
	/* Malformed ids name nothing. */
	call(&owner, "GET", doc, "not-a-uuid", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	/* No token. */
	{
		char path[256];
		snprintf(path, sizeof(path), "/api/v1/documents/%s/files/%s", doc, fid);
		t_get(path, &r);
		cr_assert_eq(r.status, 401);
		t_http_free(&r);
	}
}

Test(files, delete_removes_the_bytes)
{
	struct t_session owner;
	struct http_response r;
	char doc[40], fid[40], path[1024];

	t_auth_signup(&owner, "files-del");
	make_document(owner.tenant_id, owner.user_id, doc);
	upload(&owner, doc, "d.png", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	created_id(&r, fid);
	t_http_free(&r);
	snprintf(path, sizeof(path), "%s", storage_path(fid));
	cr_assert(exists(path));

	call(&owner, "DELETE", doc, fid, &r);
	cr_assert_eq(r.status, 204, "%s", r.body);
	t_http_free(&r);
	cr_assert(!exists(path), "%s is still there", path);
	call(&owner, "GET", doc, fid, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	call(&owner, "DELETE", doc, fid, &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
	cr_assert_str_eq(sql1("SELECT count(*) FROM audit_log WHERE action = 'document_file_removed'"
			      " AND target LIKE '%' || $1",
			      fid),
			 "1");
}

Test(files, hostile_names_are_data)
{
	struct t_session owner;
	struct http_response r;
	char doc[40], fid[40], *h;
	const char *dir = t_auth_config("storage_dir");
	char escaped[1024];

	t_auth_signup(&owner, "files-names");
	make_document(owner.tenant_id, owner.user_id, doc);

	/* Traversal in the name changes nothing on disk: the file is stored under its
	 * generated key, and the name comes back only percent-encoded. */
	upload(&owner, doc, "..%2F..%2F..%2Fescaped.png", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	created_id(&r, fid);
	cr_assert(strstr(r.body, "\"name\":\"..\\/..\\/..\\/escaped.png\"") != NULL ||
			  strstr(r.body, "\"name\":\"../../../escaped.png\"") != NULL,
		  "%s", r.body);
	t_http_free(&r);
	snprintf(escaped, sizeof(escaped), "%s/../escaped.png", dir);
	cr_assert(!exists(escaped));
	snprintf(escaped, sizeof(escaped), "%s/escaped.png", dir);
	cr_assert(!exists(escaped));
	cr_assert(strstr(storage_path(fid), "escaped") == NULL);
	call(&owner, "GET", doc, fid, &r);
	cr_assert_eq(r.status, 200);
	h = t_header(&r, "Content-Disposition");
	cr_assert_str_eq(h, "attachment; filename=\".._.._.._escaped.png\"; "
			    "filename*=UTF-8''..%2F..%2F..%2Fescaped.png");
	free(h);
	t_http_free(&r);

	/* Quotes and semicolons cannot end the parameter early. */
	upload(&owner, doc, "a%22%3B%20filename%3Devil.exe", "image/png", png, PNG_LEN, &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	created_id(&r, fid);
	t_http_free(&r);
	call(&owner, "GET", doc, fid, &r);
	h = t_header(&r, "Content-Disposition");
	cr_assert_str_eq(h, "attachment; filename=\"a___filename_evil.exe\"; "
			    "filename*=UTF-8''a%22%3B%20filename%3Devil.exe");
	free(h);
	t_http_free(&r);

	/* Newline, carriage return, NUL, other controls, missing or too long: 400. */
	upload(&owner, doc, "a%0D%0AX-Injected:%201.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 400, "validation_failed");
	cr_assert(strstr(r.headers, "X-Injected") == NULL);
	t_http_free(&r);
	upload(&owner, doc, "a%0Ab.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	upload(&owner, doc, "a%00.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 400, "bad_request");
	t_http_free(&r);
	upload(&owner, doc, "a%C2%85b.png", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	upload(&owner, doc, "", "image/png", png, PNG_LEN, &r);
	t_assert_error(&r, 400, "validation_failed");
	t_http_free(&r);
	{
		char path[512], auth[4200], longname[300];
		memset(longname, 'n', 256);
		longname[256] = '\0';
		snprintf(path, sizeof(path), "/api/v1/documents/%s/files", doc);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", owner.access);
		upload(&owner, doc, longname, "image/png", png, PNG_LEN, &r);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
		/* No name at all, and an unknown parameter. */
		cr_assert_eq(t_http_ex(NULL, "POST", path, auth, "image/png", png, PNG_LEN, &r), 0);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
		upload(&owner, doc, "a.png&path=/etc", "image/png", png, PNG_LEN, &r);
		t_assert_error(&r, 400, "validation_failed");
		t_http_free(&r);
	}
}
