/* idempotency.h - the Idempotency-Key of a POST: reading the header, fingerprinting the body,
 * and replaying the stored first answer. Where keys are stored is the module's business
 * (its own statements, in the same transaction as the change); the rules are one. */
#ifndef MH_IDEMPOTENCY_H
#define MH_IDEMPOTENCY_H

#include <libpq-fe.h>

#include "core/http.h"

#define MH_IDEMPOTENCY_KEY_MAX 255

/* The request's Idempotency-Key: *key is NULL when absent; else 1 to 255 visible ASCII
 * characters, bare or as a quoted string (the IETF draft's sf-string), and *body_hash the
 * SHA-256 (hex) of the raw body. Returns 1, 0 having answered 400 for a malformed key, -1
 * when the arena is exhausted. */
int mh_idempotency_key_or_reply(struct mh_request *req, struct mh_response *res,
				const char **key, const char **body_hash);

/* The columns of a stored first answer, in a module's lookup result. */
struct mh_idempotency_columns {
	int body_hash, status, body, location;
};

/* Answers with the first answer stored under the key (row 0 of r): the same status, body and
 * Location plus Idempotent-Replayed: true, or 422 idempotency_key_reused when the stored body
 * hash is not this request's. Returns 0 (answered). */
int mh_idempotency_replay(struct mh_request *req, struct mh_response *res, const char *body_hash,
			  const PGresult *r, const struct mh_idempotency_columns *cols);

#endif
