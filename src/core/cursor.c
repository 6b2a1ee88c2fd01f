/* cursor.c - keyset cursors (base64url of '|'-joined fields) and the ?limit=&cursor= page. */
#include "core/cursor.h"
#include "core/validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

char *mh_base64url_encode(struct mh_arena *a, const void *data, size_t len)
{
	unsigned char *out = mh_arena_alloc(a, 4 * (len / 3 + 1) + 1);
	int n;

	if (out == NULL)
		return NULL;
	n = EVP_EncodeBlock(out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (char *)out;
}

char *mh_base64url_decode(struct mh_arena *a, const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	char *in;
	unsigned char *out;
	int got;

	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n == 0 || n % 4 == 1)
		return NULL;
	if ((in = mh_arena_alloc(a, n + 4)) == NULL || (out = mh_arena_alloc(a, n + 4)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return NULL;
		in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while ((n + pad) % 4 != 0)
		in[n + pad++] = '=';
	in[n + pad] = '\0';
	got = EVP_DecodeBlock(out, (unsigned char *)in, (int)(n + pad));
	if (got < (int)pad)
		return NULL;
	got -= (int)pad; /* EVP_DecodeBlock counts the padding as NUL bytes */
	out[got] = '\0';
	if (strlen((char *)out) != (size_t)got)
		return NULL;
	*len = (size_t)got;
	return (char *)out;
}

const char *mh_cursor_encode(struct mh_arena *a, const char *const *fields, int n)
{
	size_t len = 0, at = 0;
	char *raw;

	for (int i = 0; i < n; i++)
		len += strlen(fields[i]) + 1;
	if ((raw = mh_arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(fields[i]);
		if (i > 0)
			raw[at++] = '|';
		memcpy(raw + at, fields[i], l);
		at += l;
	}
	raw[at] = '\0';
	return mh_base64url_encode(a, raw, at);
}

int mh_cursor_decode(struct mh_arena *a, const char *c, const char **fields, int n)
{
	size_t len;
	char *p;

	if (strlen(c) > 1024 || (p = mh_base64url_decode(a, c, &len)) == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		char *bar = strchr(p, '|');
		if ((bar == NULL) != (i == n - 1))
			return -1;
		if (bar != NULL)
			*bar = '\0';
		fields[i] = p;
		p = bar ? bar + 1 : NULL;
	}
	return 0;
}

int mh_is_cursor_timestamp(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return s[sizeof(shape) - 1] == '\0';
}

const char *mh_page_cursor(struct mh_arena *a, const char *ts, const char *id)
{
	const char *fields[2] = {ts, id};
	return mh_cursor_encode(a, fields, 2);
}

const char *mh_page_cursor_check(struct mh_arena *a, const char *s)
{
	const char *fields[2];

	if (mh_cursor_decode(a, s, fields, 2) < 0 || !mh_is_cursor_timestamp(fields[0]) ||
	    !mh_is_uuid(fields[1]))
		return "is not a cursor this list returned";
	return NULL;
}

int mh_page_read(const struct mh_request *req, size_t limit_index, struct mh_page *page)
{
	const struct mh_value *cursor = mh_in_query(req, limit_index + 1);
	const char *fields[2];

	memset(page, 0, sizeof(*page));
	page->limit = (int)mh_in_query(req, limit_index)->i;
	if (!cursor->present)
		return 0;
	/* Checked already (mh_page_cursor_check): only the arena can fail here. */
	if (mh_cursor_decode(req->arena, cursor->s, fields, 2) < 0)
		return -1;
	page->after_ts = fields[0];
	page->after_id = fields[1];
	return 0;
}
