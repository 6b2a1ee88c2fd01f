/* cursor.c - the documents list's opaque cursor: the sort, the last row's key and id, and a
 * fingerprint of the filters, so a cursor only ever continues the list it came from. */
#include "modules/documents/internal.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "core/cursor.h"
#include "core/json.h"
#include "core/validate.h"

const char *const documents_sort_names[DOCUMENTS_SORT__MAX + 1] = {"-created_at", "created_at",
                                                                   "title", "-updated_at", NULL};

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

static const char *member_str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return NULL;
	return json_object_get_string(v);
}

int documents_cursor_read(struct mh_arena *a, const char *c, struct documents_list_query *q)
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
	if (strcmp(s, documents_sort_names[q->sort]) != 0 || strcmp(f, fp) != 0 || !mh_is_uuid(i))
		return -1;
	if (q->sort == DOCUMENTS_SORT_TITLE_ASC
	            ? mh_check_text(NULL, k, 1, DOCUMENTS_TITLE_MAX) != NULL
	            : !mh_is_cursor_timestamp(k))
		return -1;
	q->after_key = k;
	q->after_id = i;
	return 0;
}
