/* health.c - liveness and readiness probes for load balancers and systemd. */
#include "modules/health/health.h"

#include "core/db.h"
#include "core/input.h"
#include "core/openapi.h"
#include "core/redis.h"

/* 200 whenever a worker can answer at all: no dependency is consulted, so a
 * database outage never makes an orchestrator restart healthy processes. */
static int health_live(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_data(req, res, 200, "{\"status\":\"ok\"}");
}

/* 200 when PostgreSQL and Redis both answer, 503 (with which one failed)
 * otherwise, so traffic is routed away until they are back. */
static int health_ready(struct mh_request *req, struct mh_response *res)
{
	int db_ok = mh_db_ping(req) == MH_DB_OK;
	int redis_ok = mh_redis_ping(req) == 0;
	struct mh_error_detail details[2];
	size_t n = 0;

	if (db_ok && redis_ok)
		return mh_reply_data(req, res, 200,
		                     "{\"status\":\"ready\",\"postgres\":\"ok\",\"redis\":\"ok\"}");
	if (!db_ok)
		details[n++] = (struct mh_error_detail){"postgres", "unreachable"};
	if (!redis_ok)
		details[n++] = (struct mh_error_detail){"redis", "unreachable"};
	mh_response_header(res, "Retry-After", "5");
	return mh_reply_error_details(req, res, 503, "not_ready",
	                              "a dependency is unavailable; retry later", details, n);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const char *const status_ok_status_const[] = {"ok", NULL};
static const struct mh_field status_ok_members[] = {
        {"status", MH_T_ENUM, MH_REQUIRED, .values = status_ok_status_const},
        {0},
};
static const struct mh_field status_ok_schema = {"StatusOk", MH_T_OBJECT, 0,
                                                 .fields = status_ok_members};

static const struct mh_field status_ok_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "StatusOk"},
        {0},
};
static const struct mh_field status_ok_response_schema = {"StatusOkResponse", MH_T_OBJECT, 0,
                                                          .fields = status_ok_response_members};

static const char *const readiness_status_const[] = {"ready", NULL};
static const char *const readiness_postgres_const[] = {"ok", NULL};
static const char *const readiness_redis_const[] = {"ok", NULL};
static const struct mh_field readiness_members[] = {
        {"status", MH_T_ENUM, MH_REQUIRED, .values = readiness_status_const},
        {"postgres", MH_T_ENUM, MH_REQUIRED, .values = readiness_postgres_const},
        {"redis", MH_T_ENUM, MH_REQUIRED, .values = readiness_redis_const},
        {0},
};
static const struct mh_field readiness_schema = {"Readiness", MH_T_OBJECT, 0,
                                                 .fields = readiness_members};

static const struct mh_field readiness_response_members[] = {
        {"data", MH_T_OBJECT, MH_REQUIRED, .ref = "Readiness"},
        {0},
};
static const struct mh_field readiness_response_schema = {"ReadinessResponse", MH_T_OBJECT, 0,
                                                          .fields = readiness_response_members};

/* The probes answer {"data": {"status": "ok"}} like ping (system.c). */
static const struct mh_field *const health_schemas[] = {
        &status_ok_schema,
        &status_ok_response_schema,
        &readiness_schema,
        &readiness_response_schema,
        NULL,
};

static const struct mh_module_doc health_doc = {
        .tag = "health",
        .description = "Liveness and readiness probes",
        .schemas = health_schemas,
};

static const struct mh_doc_response get_healthz_responses[] = {
        {200, "A worker answered; no dependency was consulted.", "StatusOkResponse",
         .headers = "Cache-Control", .example = "{\"data\":{\"status\":\"ok\"}}"},
        {0},
};
static const struct mh_route_doc get_healthz_doc = {
        .operation_id = "getHealthz",
        .summary = "Liveness",
        /* nginx does not rate-limit the probe, and it consults nothing. */
        .flags = MH_DOC_NOT_RATE_LIMITED | MH_DOC_NO_DEPENDENCY,
        .description = "200 whenever a worker can answer at all. No dependency is checked, "
                       "so a database outage never makes an orchestrator restart healthy "
                       "processes.",
        .responses = get_healthz_responses,
};

static const struct mh_doc_response get_readyz_responses[] = {
        {200, "PostgreSQL and Redis both answered.", "ReadinessResponse",
         .headers = "Cache-Control",
         .example = "{\"data\":{\"status\":\"ready\",\"postgres\":\"ok\",\"redis\":\"ok\"}}"},
        {503,
         "PostgreSQL or Redis is unreachable (`not_ready`, the failing one in `details`), or "
         "PostgreSQL is down for the whole worker (`service_unavailable`). Retry after "
         "`Retry-After` seconds.",
         .errors = "not_ready service_unavailable", .headers = "X-Request-Id-Optional Retry-After",
         .example = "{\"error\":\"not_ready\",\"message\":\"a dependency is unavailable; retry "
                    "later\","
                    "\"details\":[{\"field\":\"postgres\",\"message\":\"unreachable\"}],"
                    "\"request_id\":\"4f1c2a9e0b7d4c3e8a6f5b2d1c0e9f8a\"}"},
        {0},
};
static const struct mh_route_doc get_readyz_doc = {
        .operation_id = "getReadyz",
        .summary = "Readiness",
        .description = "200 when PostgreSQL and Redis both answer; 503 otherwise, so a load "
                       "balancer routes traffic away until they are back. Rate-limited like "
                       "the API.",
        .responses = get_readyz_responses,
};

static const struct mh_route health_routes[] = {
        {MH_GET, "/healthz", health_live, MH_PUBLIC, MH_ROLE_NONE, .doc = &get_healthz_doc},
        {MH_GET, "/readyz", health_ready, MH_PUBLIC, MH_ROLE_NONE, .doc = &get_readyz_doc},
        {0},
};

const struct mh_module health_module = {
        .name = "health",
        .routes = health_routes,
        .init = NULL,
        .doc = &health_doc,
};
