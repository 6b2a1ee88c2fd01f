/* idempotency.c - Idempotency-Key parsing, body fingerprints and replays. */
#include "core/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static const char *body_sha256_hex(struct mh_request *req)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *hex = mh_arena_alloc(req->arena, 65);

	if (hex == NULL ||
	    EVP_Digest(req->body ? req->body : "", req->body_len, md, &n, EVP_sha256(), NULL) != 1)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

int mh_idempotency_key_or_reply(struct mh_request *req, struct mh_response *res,
				const char **key, const char **body_hash)
{
	const char *h = mh_header(req, "idempotency-key");
	size_t n;

	*key = NULL;
	*body_hash = NULL;
	if (h == NULL)
		return 1;
	n = strlen(h);
	/* The IETF draft sends a quoted sf-string; a bare token is common too. */
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		if ((h = mh_arena_strndup(req->arena, h + 1, n - 2)) == NULL)
			return -1;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++)
		if (h[i] < 0x21 || h[i] > 0x7e || h[i] == '"')
			n = 0;
	if (n == 0 || n > MH_IDEMPOTENCY_KEY_MAX) {
		struct mh_error_detail d = { "Idempotency-Key",
					     "must be 1 to 255 visible ASCII characters" };
		mh_reply_error_details(req, res, 400, "bad_request", "invalid request headers", &d, 1);
		return 0;
	}
	*key = h;
	return (*body_hash = body_sha256_hex(req)) == NULL ? -1 : 1;
}

int mh_idempotency_replay(struct mh_request *req, struct mh_response *res, const char *body_hash,
			  const PGresult *r, const struct mh_idempotency_columns *cols)
{
	if (strcmp(PQgetvalue(r, 0, cols->body_hash), body_hash) != 0) {
		struct mh_error_detail d = { "Idempotency-Key", "was used with a different request body" };
		return mh_reply_error_details(req, res, 422, "idempotency_key_reused",
					      "this Idempotency-Key belongs to another request", &d, 1);
	}
	if (!PQgetisnull(r, 0, cols->location))
		mh_response_header(res, "Location", PQgetvalue(r, 0, cols->location));
	mh_response_header(res, "Idempotent-Replayed", "true");
	res->status = atoi(PQgetvalue(r, 0, cols->status));
	res->body.len = 0;
	mh_buf_puts(&res->body, PQgetvalue(r, 0, cols->body));
	return 0;
}
