/* errors.c - the quotas' refusals in the client's words. The triggers of schema 0016 raise
 * them from whatever statement consumed the resource (a document's INSERT in the documents
 * module, a job's in processing, a membership's in invitations), so the answer is given here,
 * through the framework's hook (struct mh_module.reply_db_error), for every module alike. */
#include "modules/billing/internal.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/json.h"
#include "core/log.h"
#include "core/ratelimit.h"

/* What the trigger put in DETAIL (schema 0016, billing_refuse). */
struct refusal {
	const char *meter, *plan, *period_end;
	long long limit, used, retry_after, window;
	int has_limit, read_only;
};

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
	               ? json_object_get_string(v)
	               : NULL;
}

static int num(struct json_object *o, const char *k, long long *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

static int parse(struct mh_request *req, const char *detail, struct refusal *r)
{
	struct json_object *o;
	struct json_object *v;

	memset(r, 0, sizeof(*r));
	if (detail == NULL || (o = mh_json_defer(req->arena, json_tokener_parse(detail))) == NULL)
		return -1;
	r->meter = str(o, "meter");
	r->plan = str(o, "plan");
	r->period_end = str(o, "period_end");
	r->has_limit = num(o, "limit", &r->limit);
	num(o, "used", &r->used);
	num(o, "retry_after", &r->retry_after);
	num(o, "window", &r->window);
	r->read_only = json_object_object_get_ex(o, "read_only", &v) && json_object_get_boolean(v);
	return 0;
}

static const char *lld(struct mh_request *req, long long v)
{
	return mh_arena_sprintf(req->arena, "%lld", v);
}

/* The quota as the RateLimit fields say it (draft-ietf-httpapi-ratelimit-headers-11): a
 * policy named after the meter, its quota the plan's limit and its window the billing period;
 * nothing remains until the period ends. */
static void quota_fields(struct mh_request *req, struct mh_response *res, const struct refusal *r,
                         long long after)
{
	struct mh_rate_policy p = {.quota = r->limit,
	                           .window_seconds = (int)(r->window > 0 ? r->window : after)};
	struct mh_rate_result q = {
	        .allowed = 0, .remaining = 0, .reset = after, .retry_after = after};

	/* After the tenant's own fields, when the limiter added them (one list per field). */
	snprintf(p.name, sizeof(p.name), "%s", r->meter);
	if (mh_ratelimit_add_fields(req->arena, res, &p, &q) < 0)
		mh_log(MH_LOG_WARN, "billing_quota", "request %s: no RateLimit fields for %s",
		       req->request_id, r->meter);
}

/* 429 quota_exceeded: Retry-After until the period ends, and the RateLimit fields. */
static int reply_quota(struct mh_request *req, struct mh_response *res, const struct refusal *r)
{
	struct mh_error_detail d[3];
	long long after = r->retry_after > 0 ? r->retry_after : 1;

	mh_response_header(res, "Retry-After", lld(req, after));
	quota_fields(req, res, r, after);
	d[0] = (struct mh_error_detail){r->meter, "the plan's monthly quota is used up"};
	d[1] = (struct mh_error_detail){"limit", lld(req, r->limit)};
	d[2] = (struct mh_error_detail){"period_end", r->period_end ? r->period_end : "unknown"};
	return mh_reply_error_details(
	        req, res, 429, "quota_exceeded",
	        mh_arena_sprintf(req->arena,
	                         "the %s plan allows %lld %s per month; the quota renews at %s",
	                         r->plan ? r->plan : "current", r->limit, r->meter,
	                         r->period_end ? r->period_end : "the end of the period"),
	        d, 3);
}

int billing_reply_db_error(struct mh_request *req, struct mh_response *res, const struct mh_tx *tx)
{
	struct refusal r;
	struct mh_error_detail d[3];

	if (strncmp(tx->sqlstate, "MHB", 3) != 0 || parse(req, tx->detail, &r) < 0)
		return 0;
	if (r.meter == NULL || !r.has_limit)
		return 0;
	if (strcmp(tx->sqlstate, "MHB29") == 0) {
		reply_quota(req, res, &r);
		return 1;
	}
	d[0] = (struct mh_error_detail){"limit", lld(req, r.limit)};
	d[1] = (struct mh_error_detail){"used", lld(req, r.used)};
	d[2] = (struct mh_error_detail){"meter", r.meter};
	if (strcmp(tx->sqlstate, "MHB13") == 0) {
		mh_reply_error_details(req, res, 413, "storage_quota_exceeded",
		                       mh_arena_sprintf(req->arena,
		                                        "this file would take the tenant past its "
		                                        "plan's storage of %lld bytes",
		                                        r.limit),
		                       d, 3);
		return 1;
	}
	if (strcmp(tx->sqlstate, "MHB03") == 0) {
		mh_reply_error_details(
		        req, res, 403, "plan_limit_reached",
		        r.read_only
		                ? mh_arena_sprintf(req->arena,
		                                   "the tenant has more documents than its plan's "
		                                   "%lld: the newer ones are read-only until "
		                                   "some are deleted or the plan is upgraded",
		                                   r.limit)
		                : mh_arena_sprintf(req->arena, "the plan allows %lld %s", r.limit,
		                                   r.meter),
		        d, 3);
		return 1;
	}
	return 0;
}
