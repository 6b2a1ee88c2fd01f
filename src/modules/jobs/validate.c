/* validate.c - the jobs module's input checks: ids, list filters and the opaque cursor. */
#include "modules/jobs/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "modules/auth/auth.h"

static const char *const statuses[] = { "queued", "running", "succeeded", "failed",
					"dead",   "cancelled", NULL };

const char *jobs_id_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "id");

	if (id == NULL || !auth_is_uuid(id)) {
		mh_reply_error(req, res, 404, "not_found", "no such job");
		return NULL;
	}
	return auth_lower(req->arena, id);
}

int jobs_no_query_or_reply(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };
	return auth_query_or_reply(req, res, none);
}

/* ---- Cursor ---------------------------------------------------------------------------- */

/*
 * base64url("<created_at>|<id>|<status>|<document_id>"): the position and the filters it was
 * made under. Not signed: it only positions a scan inside rows RLS already limits to the
 * caller's tenant. What it must never do is reach SQL malformed or under other filters
 * (rows would be skipped or repeated silently), hence the strict decoding below.
 */
const char *jobs_cursor(struct mh_arena *a, const struct jobs_list_query *q, const char *key,
			const char *id)
{
	const char *plain = mh_arena_sprintf(a, "%s|%s|%s|%s", key, id, q->status ? q->status : "",
					     q->document_id ? q->document_id : "");
	unsigned char *out;
	int len;

	if (plain == NULL || (out = mh_arena_alloc(a, 4 * (strlen(plain) / 3 + 1) + 1)) == NULL)
		return NULL;
	len = EVP_EncodeBlock(out, (const unsigned char *)plain, (int)strlen(plain));
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (int i = 0; i < len; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (const char *)out;
}

/* "2024-05-01T10:00:00.123456Z", the shape repo.c's TS() writes. */
static int is_cursor_ts(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";

	if (n != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

static int decode_cursor(struct mh_arena *a, const char *c, struct jobs_list_query *q)
{
	size_t n = strlen(c), pad = 0;
	char *in, *fields[4], *p;
	unsigned char *out;
	int len;

	if (n == 0 || n > 400 || n % 4 == 1)
		return -1;
	if ((in = mh_arena_alloc(a, n + 4)) == NULL || (out = mh_arena_alloc(a, n + 4)) == NULL)
		return -1;
	for (size_t j = 0; j < n; j++) {
		if (!isalnum((unsigned char)c[j]) && c[j] != '-' && c[j] != '_')
			return -1;
		in[j] = c[j] == '-' ? '+' : c[j] == '_' ? '/' : c[j];
	}
	while ((n + pad) % 4 != 0)
		in[n + pad++] = '=';
	in[n + pad] = '\0';
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)(n + pad));
	if (len < (int)pad)
		return -1;
	out[len - (int)pad] = '\0';
	if (strlen((char *)out) != (size_t)(len - (int)pad))
		return -1; /* an embedded NUL */
	p = (char *)out;
	for (int f = 0; f < 4; f++) {
		fields[f] = p;
		p = strchr(p, '|');
		if ((p == NULL) != (f == 3))
			return -1;
		if (p != NULL)
			*p++ = '\0';
	}
	if (!is_cursor_ts(fields[0], strlen(fields[0])) || !auth_is_uuid(fields[1]) ||
	    strcmp(fields[2], q->status ? q->status : "") != 0 ||
	    strcmp(fields[3], q->document_id ? q->document_id : "") != 0)
		return -1;
	q->after_key = fields[0];
	q->after_id = fields[1];
	return 0;
}

/* ---- GET /jobs ------------------------------------------------------------------------- */

static int in_list(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

int jobs_list_query_or_reply(struct mh_request *req, struct mh_response *res,
			     struct jobs_list_query *out)
{
	static const char *const names[] = { "limit", "cursor", "status", "document_id", NULL };
	struct auth_errors e = { .n = 0 };
	const char *v;

	memset(out, 0, sizeof(*out));
	out->limit = JOBS_PAGE_DEFAULT;
	if (!auth_query_or_reply(req, res, names))
		return 0;
	if ((v = mh_query(req, "limit")) != NULL) {
		char *end;
		long l = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || l < 1 || l > JOBS_PAGE_MAX)
			auth_error_add(&e, "limit", "must be an integer from 1 to 100");
		else
			out->limit = (int)l;
	}
	if ((v = mh_query(req, "status")) != NULL && !in_list(statuses, v))
		auth_error_add(&e, "status",
			       "must be queued, running, succeeded, failed, dead or cancelled");
	out->status = v;
	if ((v = mh_query(req, "document_id")) != NULL && !auth_is_uuid(v))
		auth_error_add(&e, "document_id", "must be a document id (UUID)");
	out->document_id = v ? auth_lower(req->arena, v) : NULL;
	/* The cursor last: it must match the filters just read. */
	if (e.n == 0 && (v = mh_query(req, "cursor")) != NULL &&
	    decode_cursor(req->arena, v, out) < 0)
		auth_error_add(&e, "cursor", "is not a cursor this list returned for the same filters");
	if (e.n > 0) {
		mh_reply_error_details(req, res, 400, "bad_request", "invalid query parameters", e.d,
				       e.n);
		return 0;
	}
	return 1;
}
