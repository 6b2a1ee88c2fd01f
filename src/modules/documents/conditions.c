/* conditions.c - the request headers the documents module honours: If-Match on writes,
 * If-None-Match on reads (RFC 9110 entity tags), and Idempotency-Key on creation. */
#include "modules/documents/internal.h"

#include <ctype.h>
#include <string.h>

#include "core/idempotency.h"

const char *const documents_statuses[] = {"draft", "published", "archived", NULL};

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
	const char *h;

	memset(out, 0, sizeof(*out));
	if ((h = mh_header(req, "if-match")) != NULL) {
		struct mh_buf b;
		int rc;

		mh_buf_init(&b, req->arena, 128);
		mh_buf_puts(&b, "");
		rc = each_etag(h, collect_strong, &b);
		if (rc < 0) {
			struct mh_error_detail d = {"If-Match",
			                            "must be * or a list of quoted ETags"};

			mh_reply_error_details(req, res, 400, "bad_request",
			                       "invalid request headers", &d, 1);
			return 0;
		}
		if (rc == 0 && (out->if_match = mh_buf_cstr(&b)) == NULL)
			return -1;
	}
	return mh_idempotency_key_or_reply(req, res, &out->idempotency_key, &out->body_hash);
}
