/* validate.c - everything the documents module accepts from a client, checked before any
 * service code runs: query parameters, bodies, precondition and idempotency headers, and
 * the opaque list cursor. Unknown or misplaced input is a 400 with one detail per problem;
 * a well-formed body with bad values is a 422. Handlers only ever see typed, valid input. */
#include "modules/documents/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "core/cursor.h"
#include "core/idempotency.h"
#include "core/json.h"
#include "modules/auth/auth.h"

const char *const documents_sort_names[DOCUMENTS_SORT__MAX] = {"-created_at", "created_at", "title",
                                                               "-updated_at"};

static const char *const statuses[] = {"draft", "published", "archived", NULL};

/* Settable fields, and the ones a client may read but never write (mass assignment). */
static const char *const writable[] = {"title", "body", "tags", "status", NULL};
static const char *const read_only[] = {"id",         "tenant_id",  "owner_id",   "version",
                                        "created_at", "updated_at", "deleted_at", NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int reply_400(struct mh_request *req, struct mh_response *res, const char *message,
                     const struct auth_errors *e)
{
	mh_reply_error_details(req, res, 400, "bad_request", message, e->d, e->n);
	return 0;
}

/* Unknown and repeated parameters, all of them in one answer. */
static int query_names_ok(struct mh_request *req, struct auth_errors *e, const char *const *allowed)
{
	for (size_t i = 0; i < req->nquery; i++) {
		const char *k = req->query[i].key;

		if (!in_list(allowed, k)) {
			auth_error_add(e, k, "unknown query parameter");
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(req->query[j].key, k) == 0) {
				auth_error_add(e, k, "given more than once");
				break;
			}
	}
	return e->n == 0;
}

/* "true" / "false" only: a typo must not quietly mean false. */
static int parse_bool(const char *s, int *out)
{
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

int documents_no_query_or_reply(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = {NULL};
	struct auth_errors e = {.n = 0};

	if (!query_names_ok(req, &e, none))
		return reply_400(req, res, "this endpoint takes no query parameters", &e);
	return 1;
}

int documents_get_query_or_reply(struct mh_request *req, struct mh_response *res,
                                 int *include_deleted)
{
	static const char *const names[] = {"include_deleted", NULL};
	struct auth_errors e = {.n = 0};
	const char *v;

	*include_deleted = 0;
	if (query_names_ok(req, &e, names) && (v = mh_query(req, "include_deleted")) != NULL &&
	    parse_bool(v, include_deleted) < 0)
		auth_error_add(&e, "include_deleted", "must be true or false");
	return e.n ? reply_400(req, res, "invalid query parameters", &e) : 1;
}

const char *documents_id_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "id");

	/* A malformed id names no document: 404, like any id that is not there. */
	if (id == NULL || !auth_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such document");
		return NULL;
	}
	return auth_lower(req->arena, id);
}

/* ---- Cursor ---------------------------------------------------------------------------- */

/*
 * A cursor is base64url(JSON {"s": sort, "k": last key, "i": last id, "f": filters}). It is
 * opaque to clients and strictly validated here rather than signed: it only positions a
 * scan inside rows RLS already limits to the caller's tenant, so a forged one can reveal
 * nothing; what it must never do is reach SQL malformed or under another sort or filter
 * set (those would silently skip or repeat rows), hence the checks and the fingerprint.
 */
static const char *fingerprint(struct mh_arena *a, const struct documents_list_query *q)
{
	const char *parts[] = {q->status, q->tag, q->owner_id, q->q};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex = mh_arena_alloc(a, 13);
	int ok;

	if (ctx == NULL || hex == NULL) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < sizeof(parts) / sizeof(parts[0]); i++) {
		/* \x1e marks an absent filter, \x1f ends each: no two sets hash alike. */
		ok = parts[i] ? EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1
		              : EVP_DigestUpdate(ctx, "\x1e", 1) == 1;
		ok = ok && EVP_DigestUpdate(ctx, "\x1f", 1) == 1;
	}
	ok = ok && EVP_DigestUpdate(ctx, q->include_deleted ? "1" : "0", 1) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return NULL;
	for (int i = 0; i < 6; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

const char *documents_cursor(struct mh_arena *a, const struct documents_list_query *q,
                             const char *key, const char *id)
{
	struct mh_buf b;
	const char *json, *fp = fingerprint(a, q);

	if (fp == NULL)
		return NULL;
	mh_buf_init(&b, a, 256);
	mh_buf_puts(&b, "{\"s\":");
	mh_buf_json_cstr(&b, documents_sort_names[q->sort]);
	mh_buf_puts(&b, ",\"k\":");
	mh_buf_json_cstr(&b, key);
	mh_buf_puts(&b, ",\"i\":");
	mh_buf_json_cstr(&b, id);
	mh_buf_puts(&b, ",\"f\":");
	mh_buf_json_cstr(&b, fp);
	mh_buf_putc(&b, '}');
	if ((json = mh_buf_cstr(&b)) == NULL)
		return NULL;
	return mh_base64url_encode(a, json, b.len);
}

/* "2024-05-01T10:00:00.123456Z", the shape repo.c's TS() writes. */

static const char *member_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

/* Fills q->after_key/after_id from c; -1 when c is not a cursor of this exact query. */
static int decode_cursor(struct mh_arena *a, const char *c, struct documents_list_query *q)
{
	size_t len;
	const char *out, *err, *field, *s, *k, *i, *f, *fp;
	struct json_object *o;

	if (strlen(c) > 2048 || (out = mh_base64url_decode(a, c, &len)) == NULL)
		return -1;
	o = mh_json_parse(a, out, len, &err, &field);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    json_object_object_length(o) != 4)
		return -1;
	s = member_str(o, "s");
	k = member_str(o, "k");
	i = member_str(o, "i");
	f = member_str(o, "f");
	fp = fingerprint(a, q);
	if (s == NULL || k == NULL || i == NULL || f == NULL || fp == NULL)
		return -1;
	if (strcmp(s, documents_sort_names[q->sort]) != 0 || strcmp(f, fp) != 0 || !auth_is_uuid(i))
		return -1;
	if (q->sort == DOCUMENTS_SORT_TITLE_ASC ? auth_check_text(k, DOCUMENTS_TITLE_MAX, 1) != NULL
	                                        : !mh_is_cursor_timestamp(k))
		return -1;
	q->after_key = k;
	q->after_id = i;
	return 0;
}

/* ---- GET /documents -------------------------------------------------------------------- */

int documents_list_query_or_reply(struct mh_request *req, struct mh_response *res,
                                  struct documents_list_query *out)
{
	static const char *const names[] = {"limit", "cursor",   "sort", "status",
	                                    "tag",   "owner_id", "q",    "include_deleted",
	                                    NULL};
	struct auth_errors e = {.n = 0};
	const char *v, *m;

	memset(out, 0, sizeof(*out));
	out->limit = DOCUMENTS_PAGE_DEFAULT;
	query_names_ok(req, &e, names); /* reported with the bad values below */
	if ((v = mh_query(req, "limit")) != NULL) {
		char *end;
		long l = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || l < 1 || l > DOCUMENTS_PAGE_MAX)
			auth_error_add(&e, "limit", "must be an integer from 1 to 100");
		else
			out->limit = (int)l;
	}
	if ((v = mh_query(req, "sort")) != NULL) {
		int s;

		for (s = 0; s < DOCUMENTS_SORT__MAX; s++)
			if (strcmp(v, documents_sort_names[s]) == 0)
				break;
		if (s == DOCUMENTS_SORT__MAX)
			auth_error_add(&e, "sort",
			               "must be -created_at, created_at, title or -updated_at");
		else
			out->sort = (enum documents_sort)s;
	}
	if ((v = mh_query(req, "status")) != NULL && !in_list(statuses, v))
		auth_error_add(&e, "status", "must be draft, published or archived");
	out->status = v;
	if ((v = mh_query(req, "tag")) != NULL &&
	    (m = auth_check_text(v, DOCUMENTS_TAG_MAX, 1)) != NULL)
		auth_error_add(&e, "tag", m);
	out->tag = v;
	if ((v = mh_query(req, "owner_id")) != NULL && !auth_is_uuid(v))
		auth_error_add(&e, "owner_id", "must be a user id (UUID)");
	out->owner_id = v ? auth_lower(req->arena, v) : NULL;
	if ((v = mh_query(req, "q")) != NULL &&
	    (m = auth_check_text(v, DOCUMENTS_Q_MAX, 1)) != NULL)
		auth_error_add(&e, "q", m);
	out->q = v;
	if ((v = mh_query(req, "include_deleted")) != NULL &&
	    parse_bool(v, &out->include_deleted) < 0)
		auth_error_add(&e, "include_deleted", "must be true or false");
	/* The cursor last: it must match the sort and filters just read. */
	if (e.n == 0 && (v = mh_query(req, "cursor")) != NULL &&
	    decode_cursor(req->arena, v, out) < 0)
		auth_error_add(&e, "cursor",
		               "is not a cursor this list returned for the same sort and filters");
	return e.n ? reply_400(req, res, "invalid query parameters", &e) : 1;
}

/* ---- Bodies ---------------------------------------------------------------------------- */

/* The member as a NUL-free string, or NULL (with a detail) when it is anything else. */
static const char *string_member(struct json_object *v, const char *field, struct auth_errors *e)
{
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		auth_error_add(e, field, "must be a string");
		return NULL;
	}
	return json_object_get_string(v);
}

static void check_tags(struct json_object *v, struct documents_input *out, struct auth_errors *e)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array)) {
		auth_error_add(e, "tags", "must be an array of strings");
		return;
	}
	n = json_object_array_length(v);
	if (n > DOCUMENTS_TAGS_MAX) {
		auth_error_add(e, "tags", "at most 20 tags");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(v, i);
		const char *s, *m;

		if ((s = string_member(t, "tags", e)) == NULL)
			return;
		if ((m = auth_check_text(s, DOCUMENTS_TAG_MAX, 1)) != NULL) {
			auth_error_add(e, "tags", m);
			return;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(s, json_object_get_string(json_object_array_get_idx(v, j))) ==
			    0) {
				auth_error_add(e, "tags", "must not repeat a tag");
				return;
			}
	}
	/* The text belongs to the parsed body, which the arena releases. */
	out->tags_json = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

int documents_input_or_reply(struct mh_request *req, struct mh_response *res, int creating,
                             struct documents_input *out)
{
	struct auth_errors e = {.n = 0};
	struct json_object *v;
	const char *m;

	memset(out, 0, sizeof(*out));
	if (req->json == NULL || !json_object_is_type(req->json, json_type_object)) {
		mh_reply_error(req, res, 400, "invalid_json", "the body must be a JSON object");
		return 0;
	}
	json_object_object_foreach(req->json, key, val)
	{
		(void)val;
		if (in_list(read_only, key))
			auth_error_add(&e, key, "is read-only and cannot be set");
		else if (!in_list(writable, key))
			auth_error_add(&e, key, "unknown field");
	}
	if (e.n)
		return reply_400(req, res, "the body has fields this endpoint does not accept", &e);

	if (json_object_object_get_ex(req->json, "title", &v) &&
	    (out->title = string_member(v, "title", &e)) != NULL &&
	    (m = auth_check_text(out->title, DOCUMENTS_TITLE_MAX, 1)) != NULL)
		auth_error_add(&e, "title", m);
	if (creating && !json_object_object_get_ex(req->json, "title", &v))
		auth_error_add(&e, "title", "is required");
	if (json_object_object_get_ex(req->json, "body", &v) &&
	    (out->body = string_member(v, "body", &e)) != NULL &&
	    strlen(out->body) > DOCUMENTS_BODY_MAX)
		auth_error_add(&e, "body", "at most 1 MiB (1048576 bytes)");
	if (json_object_object_get_ex(req->json, "tags", &v))
		check_tags(v, out, &e);
	if (json_object_object_get_ex(req->json, "status", &v) &&
	    (out->status = string_member(v, "status", &e)) != NULL &&
	    !in_list(statuses, out->status))
		auth_error_add(&e, "status", "must be draft, published or archived");
	if (!creating && json_object_object_length(req->json) == 0)
		auth_error_add(&e, "$", "give at least one of title, body, tags, status");
	return auth_errors_reply_if_any(req, res, &e) ? 0 : 1;
}

/* ---- Headers --------------------------------------------------------------------------- */

static int is_etag_value(const char *s, size_t n)
{
	if (n != 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return 0;
	return 1;
}

/*
 * Walks an If-Match / If-None-Match list (RFC 9110: "*" or entity-tags, comma separated),
 * calling fn(weak, value, len) for each tag. Returns -1 when the header is malformed,
 * 1 for "*", 0 otherwise.
 */
static int each_etag(const char *h, void (*fn)(void *, int, const char *, size_t), void *arg)
{
	const char *p = h;

	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '*') {
		for (p++; *p == ' ' || *p == '\t'; p++)
			;
		return *p == '\0' ? 1 : -1;
	}
	for (;;) {
		int weak = 0;
		const char *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return 0;
		if (p[0] == 'W' && p[1] == '/') {
			weak = 1;
			p += 2;
		}
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return -1;
		fn(arg, weak, p + 1, (size_t)(end - p - 1));
		p = end + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != ',' && *p != '\0')
			return -1;
	}
}

/* If-Match compares strongly: weak tags never match; ours are lower-case hex. */
static void collect_strong(void *arg, int weak, const char *v, size_t n)
{
	struct mh_buf *b = arg;

	if (weak || !is_etag_value(v, n))
		return;
	if (b->len > 0)
		mh_buf_putc(b, ',');
	mh_buf_append(b, v, n);
}

struct none_match {
	const char *etag;
	int hit;
};

static void compare_weak(void *arg, int weak, const char *v, size_t n)
{
	struct none_match *m = arg;

	(void)weak; /* If-None-Match compares weakly */
	if (n == strlen(m->etag) && memcmp(v, m->etag, n) == 0)
		m->hit = 1;
}

int documents_none_match(const struct mh_request *req, const char *etag)
{
	const char *h = mh_header(req, "if-none-match");
	struct none_match m = {etag, 0};

	/* A malformed header is ignored here: the GET then simply answers 200. */
	if (h == NULL)
		return 0;
	return each_etag(h, compare_weak, &m) == 1 || m.hit;
}

int documents_conditions_or_reply(struct mh_request *req, struct mh_response *res,
                                  struct documents_conditions *out)
{
	struct auth_errors e = {.n = 0};
	const char *h;

	memset(out, 0, sizeof(*out));
	if ((h = mh_header(req, "if-match")) != NULL) {
		struct mh_buf b;
		int rc;

		mh_buf_init(&b, req->arena, 128);
		mh_buf_puts(&b, "");
		rc = each_etag(h, collect_strong, &b);
		if (rc < 0)
			auth_error_add(&e, "If-Match", "must be * or a list of quoted ETags");
		else if (rc == 0 && (out->if_match = mh_buf_cstr(&b)) == NULL)
			return -1;
	}
	if (e.n)
		return reply_400(req, res, "invalid request headers", &e);
	return mh_idempotency_key_or_reply(req, res, &out->idempotency_key, &out->body_hash);
}
