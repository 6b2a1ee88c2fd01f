/* dispatch.c - the request path: route, check, validate, run the handler, log. */
#include "core/dispatch.h"

#include <string.h>
#include <strings.h>

#include "core/address.h"
#include "core/apikey.h"
#include "core/auth.h"
#include "core/db.h"
#include "core/fcgi.h"
#include "core/input.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/query.h"
#include "core/ratelimit.h"
#include "core/replica.h"
#include "core/router.h"
#include "core/scoreboard.h"
#include "core/trace.h"

/* Replaces whatever the handler had built with a 500 envelope: its headers and media
 * type belonged to the answer it could not give. */
static void reply_internal_error(struct mh_request *req, struct mh_response *res,
                                 const char *message)
{
	res->nheaders = 0;
	res->dropped_header = NULL;
	res->content_type = NULL;
	mh_reply_error(req, res, 500, "internal_error", message);
}

/* A JSON object body: 415 for another media type or charset, 400 for anything but one JSON
 * object; a member given twice is named (its meaning would depend on the parser). Returns 1,
 * or 0 having answered. */
static int json_body_or_reply(struct mh_request *req, struct mh_response *res)
{
	const char *err = NULL, *field = NULL;

	if (!mh_json_media_type_ok(mh_header(req, "content-type"))) {
		mh_reply_error(req, res, 415, "unsupported_media_type",
		               "the request body must be application/json (UTF-8)");
		return 0;
	}
	req->json = mh_json_parse(req->arena, req->body, req->body_len, &err, &field);
	if (req->json == NULL && field != NULL) {
		struct mh_error_detail d = {field, "is given more than once"};

		mh_reply_error_details(req, res, 400, "validation_failed", err, &d, 1);
		return 0;
	}
	if (req->json == NULL) {
		mh_reply_error(req, res, 400, "invalid_json", err);
		return 0;
	}
	if (!json_object_is_type(req->json, json_type_object)) {
		mh_reply_error(req, res, 400, "invalid_json",
		               "the request body must be a JSON object");
		return 0;
	}
	return 1;
}

/* Everything the route table promises a handler before it runs. Returns 1
 * when the request may reach the handler, 0 when res already holds the
 * error. */
static int check_request_or_reply(FCGX_Request *fr, struct mh_request *req, struct mh_response *res,
                                  const struct mh_config *cfg)
{
	const struct mh_route *route = NULL;
	unsigned allowed;
	const char *err = NULL;
	long long clen;
	int nq, limit, rc;

	switch (mh_router_match(req->arena, req->method, req->path, &route, &req->route_index,
	                        &req->params, &req->nparams, &allowed)) {
	case MH_MATCH_NOT_FOUND:
		mh_reply_error(req, res, 404, "not_found", "no such endpoint");
		return 0;
	case MH_MATCH_METHOD:
		mh_response_header(res, "Allow", mh_router_allow_header(req->arena, allowed));
		mh_reply_error(req, res, 405, "method_not_allowed",
		               "this endpoint does not support that method");
		return 0;
	case MH_MATCH_OK: break;
	}
	req->route = route;
	req->min_role = route->min_role;
	/* The listener decides, never the client address: behind a load balancer every
	 * client looks private. */
	if ((route->flags & MH_INTERNAL) && !req->internal) {
		mh_reply_error(req, res, 403, "forbidden",
		               "this endpoint is served only on the internal listener");
		return 0;
	}

	clen = mh_fcgi_content_length(fr);
	if (clen < 0) {
		mh_reply_error(req, res, 400, "bad_request", "malformed Content-Length");
		return 0;
	}
	limit = (route->flags & MH_RAW_BODY) ? cfg->upload_limit : cfg->body_limit;
	if (clen > limit) {
		mh_fcgi_drain_body(fr, clen);
		mh_reply_error(req, res, 413, "payload_too_large",
		               mh_arena_sprintf(req->arena,
		                                "the request body exceeds the limit of %d bytes",
		                                limit));
		return 0;
	}
	if (route->flags & MH_RAW_BODY) {
		/* Left in the stream for the handler; mh_dispatch drains what it did not read. */
		req->body_stream = fr->in;
		req->body_remaining = clen;
	} else if (clen > 0 && mh_fcgi_read_body(fr, req, (size_t)clen) < 0) {
		mh_reply_error(req, res, 400, "bad_request", "the request body ended early");
		return 0;
	}

	/* Default deny: every route needs a valid access token unless it says
	 * MH_PUBLIC. Handlers never see a token, only req->principal. */
	if (!(route->flags & MH_PUBLIC)) {
		int ok = mh_auth_authenticate_or_reply(req, res);
		if (ok <= 0) {
			if (ok < 0)
				mh_reply_error(req, res, 500, "internal_error",
				               "an internal error occurred");
			return 0;
		}
	}

	nq = mh_query_parse(req->arena, FCGX_GetParam("QUERY_STRING", fr->envp), &req->query, &err);
	if (nq < 0) {
		mh_reply_error(req, res, 400, "bad_request", err);
		return 0;
	}
	req->nquery = (size_t)nq;

	if (route->body == NULL) {
		if (req->body_len > 0) {
			mh_reply_error(req, res, 400, "bad_request",
			               "this endpoint takes no request body");
			return 0;
		}
	} else if (!json_body_or_reply(req, res)) {
		return 0;
	}

	/* The declared input: one 400 naming every problem, or a 404 for a path parameter that
	 * cannot name anything. Handlers read the checked values only. */
	rc = mh_input_check_or_reply(req, res, mh_router_plan(req->route_index));
	if (rc < 0)
		reply_internal_error(req, res, "an internal error occurred");
	if (rc <= 0)
		return 0;

	/* The tenant's request rate, once the request is known to be well formed: one Redis
	 * round trip, none when no module limits this tenant. A route whose handler limits a
	 * scope of its own has both checked in its one call. */
	if (mh_ratelimit_route_applies(route) && (route->flags & MH_RATE_SCOPE))
		req->ratelimit_pending = 1;
	else if (mh_ratelimit_route_applies(route) &&
	         mh_ratelimit_check_or_reply(req, res, "tenant") < 0)
		return 0;
	return 1;
}

static void access_log(const struct mh_request *req, const struct mh_response *res, size_t bytes)
{
	struct mh_logline l;
	enum mh_log_level level = res->status >= 500 ? MH_LOG_ERROR : MH_LOG_INFO;

	if (!mh_log_enabled(level))
		return;
	mh_logline_begin(&l, level, "request");
	mh_logline_str(&l, "request_id", req->request_id);
	mh_logline_str(&l, "method", req->method_name);
	/* The path, never the query string: queries can carry secrets. */
	mh_logline_str(&l, "path", req->path);
	mh_logline_str(&l, "route", req->route ? req->route->pattern : NULL);
	mh_logline_int(&l, "status", res->status);
	if (res->error_code != NULL)
		mh_logline_str(&l, "error", res->error_code);
	mh_logline_int(&l, "duration_us", mh_now_us() - req->started_us);
	mh_logline_int(&l, "bytes", (long long)bytes);
	mh_logline_int(&l, "db_round_trips", req->db_round_trips);
	mh_logline_str(&l, "tenant_id", req->principal.tenant_id);
	mh_logline_str(&l, "user_id", req->principal.user_id);
	if (req->principal.api_key_id != NULL)
		mh_logline_str(&l, "api_key_id", req->principal.api_key_id);
	mh_logline_str(&l, "remote_addr", req->remote_addr);
	mh_logline_end(&l);
}

/* A request made with an API key, once its answer has gone to nginx: a revoked key is
 * audited (one more transaction, which the refused client does not wait for), a use is
 * remembered for the batched last-use write. */
static void api_key_after_reply(FCGX_Request *fr, struct mh_request *req,
                                const struct mh_response *res)
{
	if (req->principal.api_key_revoked) {
		FCGX_FFlush(fr->out);
		mh_apikey_audit_refused(req);
	} else if (res->status != 401) {
		mh_apikey_note_use(req->principal.api_key_id);
	}
}

void mh_dispatch(FCGX_Request *fr, struct mh_arena *arena, const struct mh_config *cfg)
{
	struct mh_request req;
	struct mh_response res;
	size_t bytes;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.arena = arena;
	req.started_us = mh_now_us();
	req.route_index = MH_METRICS_UNMATCHED;
	mh_metrics_in_flight(1);
	mh_buf_init(&res.body, arena, 1024);
	if (mh_fcgi_read_head(fr, &req) < 0) {
		FCGX_PutS("Status: 500 Internal Server Error\r\n\r\n", fr->out);
		mh_metrics_in_flight(-1);
		return;
	}
	/* nginx passes the client's or load balancer's traceparent, or one it started whose
	 * trace id is the request id (nginx/menhir.conf). */
	mh_trace_begin(FCGX_GetParam("TRACEPARENT", fr->envp), req.request_id);
	if (check_request_or_reply(fr, &req, &res, cfg)) {
		int rc = req.route->handler(&req, &res);

		if (rc < 0 || res.status == 0 || res.body.failed) {
			mh_log(MH_LOG_ERROR, "handler_failed", "request %s: %s %s returned %d",
			       req.request_id, req.method_name, req.route->pattern, rc);
			reply_internal_error(&req, &res, "an internal error occurred");
		}
		mh_ratelimit_settle(&req, &res);
	}
	/* Redis was unreachable and no transaction checked the token in PostgreSQL. */
	(void)mh_auth_settle_or_reply(&req, &res);
	/* A write's WAL position, for this client's next reads on a replica. A header that
	 * did not fit is recorded in dropped_header, handled just below. */
	(void)mh_replica_reply_headers(&req, &res);
	if (res.dropped_header != NULL) {
		/* A response without its Retry-After, ETag or Location would be wrong
		 * in a way no client can see: fail it loudly instead. */
		mh_log(MH_LOG_ERROR, "response_header_dropped", "request %s: %s %s: no room for %s",
		       req.request_id, req.method_name, req.route ? req.route->pattern : req.path,
		       res.dropped_header);
		reply_internal_error(&req, &res, "an internal error occurred");
	}
	/* An upload the handler refused early (401, 404, 415…) still sits in the stream; the
	 * FastCGI connection must be read to its end before the answer. */
	if (req.body_remaining > 0)
		mh_fcgi_drain_body(fr, req.body_remaining);
	mh_db_request_done(&req);
	if (res.body.failed) {
		/* The arena is exhausted: retry the envelope in a fresh buffer, which
		 * needs only a few hundred bytes. */
		mh_buf_init(&res.body, arena, 256);
		reply_internal_error(&req, &res, "out of memory");
	}
	bytes = mh_fcgi_write_response(fr, &req, &res);
	mh_metrics_in_flight(-1);
	mh_metrics_request(req.route ? req.route_index : MH_METRICS_UNMATCHED, res.status,
	                   mh_now_us() - req.started_us, req.db_round_trips);
	access_log(&req, &res, bytes);
	if (req.principal.api_key_id != NULL)
		api_key_after_reply(fr, &req, &res);
	mh_trace_end();
}
