/* http.h - the request and response a handler sees, and the error envelope. */
#ifndef MH_HTTP_H
#define MH_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

struct json_object;
struct mh_route;
struct mh_value;

/* Bit flags so a route's Allow header is a mask. */
enum mh_method {
	MH_GET = 1 << 0,
	MH_HEAD = 1 << 1,
	MH_POST = 1 << 2,
	MH_PUT = 1 << 3,
	MH_PATCH = 1 << 4,
	MH_DELETE = 1 << 5,
	MH_OPTIONS = 1 << 6,
};

struct mh_kv {
	const char *key;
	const char *value;
};

/* Who is asking, for RLS: the strings handed to set_config() per transaction.
 * Empty strings mean "none" (the policies then hide every tenant row). */
struct mh_principal {
	const char *tenant_id;
	const char *user_id;
	const char *role; /* from the token; the database re-reads the current one */
	const char *jti;
	const char *session_id; /* the token's sid: the session it was issued in */
	long long token_version;
	long long expires_at; /* unix seconds */
	/* A machine client's API key (core/apikey.h) instead of a person's token: its id and
	 * the bytea parameter of its hash; user_id and role are then NULL, the database
	 * reads them from the key (app_enter_key). */
	const char *api_key_id;
	const char *api_key_hash;
	int api_key_revoked; /* the key was refused as revoked: audited after the reply */
	/* The shared revocation table could not vouch for the token (Redis unreachable):
	 * MH_REVOCATION_IN_DB until a transaction of this request has checked it in
	 * PostgreSQL (core/db.c), MH_REVOCATION_CHECKED after. 0 when the table vouched. */
	int revocation;
};

enum { MH_REVOCATION_IN_DB = 1, MH_REVOCATION_CHECKED = 2 };

struct mh_request {
	struct mh_arena *arena;
	unsigned method;
	const char *method_name;
	const char *path; /* decoded, normalised by nginx, no query */
	struct mh_kv *query;
	size_t nquery;
	struct mh_kv *params; /* from the route pattern */
	size_t nparams;
	/* The checked values of the route's declared input (read with mh_in_path() etc.). */
	struct mh_value *in_path, *in_query, *in_body;
	size_t nin_path, nin_query, nin_body;
	struct mh_kv *headers; /* names lower-cased, '-' as in HTTP */
	size_t nheaders;
	const char *body;
	size_t body_len;
	struct json_object *json; /* parsed body on routes that declare one */
	const char *request_id;
	const char *remote_addr;
	/* Came through nginx's internal listener (MENHIR_LISTENER=internal, a FastCGI param
	 * only that server block sets): the one thing that admits MH_INTERNAL routes. */
	int internal;
	const struct mh_route *route;
	size_t route_index; /* for metrics; MH_METRICS_UNMATCHED until routed */
	struct mh_principal principal;
	/* The enum mh_role the caller must still hold, re-read by every transaction (app_enter):
	 * the route's minimum role, or a job kind's when `menhir work` runs a job. */
	int min_role;
	int db_round_trips;
	/* With a read replica: the WAL position at or past this request's last commit, 0
	 * when it wrote nothing (core/replica.c sends it to the client). */
	uint64_t commit_lsn;
	long long started_us;
	/* An MH_RATE_SCOPE route: the tenant's rate limit is still to be checked, with the
	 * handler's own scope (core/ratelimit.c). */
	int ratelimit_pending;
	/* MH_RAW_BODY routes: the FastCGI input stream and the bytes of the body not read
	 * yet (Content-Length, already checked against upload_limit). */
	void *body_stream;
	long long body_remaining;
};

#define MH_MAX_RESPONSE_HEADERS 16

struct mh_response {
	int status;
	const char *content_type;
	struct mh_kv headers[MH_MAX_RESPONSE_HEADERS];
	size_t nheaders;
	struct mh_buf body;
	const char *error_code; /* for the access log */
	/* The first header mh_response_header() could not add: the dispatcher then
	 * answers 500 instead of a response without it (a lost Retry-After or ETag). */
	const char *dropped_header;
};

/* A detail line of a validation error: which field, what is wrong. */
struct mh_error_detail {
	const char *field;
	const char *message;
};

/* Returns the value of query parameter / route parameter / header name, or NULL. */
const char *mh_query(const struct mh_request *req, const char *name);
const char *mh_param(const struct mh_request *req, const char *name);
const char *mh_header(const struct mh_request *req, const char *lower_name);

/* MH_RAW_BODY routes: reads up to len bytes of the body into buf. Returns the bytes read,
 * 0 at the end of the body, -1 when the client's body ended before its Content-Length. */
long mh_request_body_read(struct mh_request *req, void *buf, size_t len);

/* Adds a response header; both strings must outlive the response (arena or
 * static). Returns 0, or -1 when the header table is full or name or value is
 * NULL (it could not be built); the response then records the loss in dropped_header and
 * the dispatcher turns it into a 500, so callers need not check. */
int mh_response_header(struct mh_response *res, const char *name, const char *value);

/* Standard reason phrase for a status code ("Not Found"). */
const char *mh_status_text(int status);

/* Method name to its bit, 0 when unknown; and the bit's name. */
unsigned mh_method_parse(const char *name);
const char *mh_method_name(unsigned method);

/*
 * Replies {"data": <json>} with the given status; json must be valid JSON text.
 * Returns 0 so handlers can `return mh_reply_data(...)`.
 */
int mh_reply_data(struct mh_request *req, struct mh_response *res, int status, const char *json);

/*
 * Replies with the error envelope of DESIGN "API conventions":
 * {"error": code, "message": message, "details": [...], "request_id": id}.
 * Returns 0 (the response is complete).
 */
int mh_reply_error(struct mh_request *req, struct mh_response *res, int status, const char *code,
		   const char *message);
int mh_reply_error_details(struct mh_request *req, struct mh_response *res, int status,
			   const char *code, const char *message,
			   const struct mh_error_detail *details, size_t ndetails);

/* 503 with Retry-After, for a dependency that is down. */
int mh_reply_unavailable(struct mh_request *req, struct mh_response *res, const char *what);

/* Sets the seconds sent in Retry-After by mh_reply_unavailable(). */
void mh_http_set_retry_after(int seconds);

/* The cookie_secure key: every cookie Menhir sets (the refresh token, read-your-writes' WAL
 * position) says Secure unless it is off for plain-HTTP development. */
void mh_http_set_cookie_secure(int on);
/* "; Secure" or "", to append to a Set-Cookie value. */
const char *mh_http_cookie_secure(void);

#endif
