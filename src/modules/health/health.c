/* health.c - liveness and readiness probes for load balancers and systemd. */
#include "modules/health/health.h"

#include "core/db.h"
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
		details[n++] = (struct mh_error_detail){ "postgres", "unreachable" };
	if (!redis_ok)
		details[n++] = (struct mh_error_detail){ "redis", "unreachable" };
	mh_response_header(res, "Retry-After", "5");
	return mh_reply_error_details(req, res, 503, "not_ready",
				      "a dependency is unavailable; retry later", details, n);
}

static const struct mh_route health_routes[] = {
	{ MH_GET, "/healthz", health_live, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL },
	{ MH_GET, "/readyz", health_ready, MH_PUBLIC, MH_ROLE_NONE, .doc = NULL },
	{ 0 },
};

const struct mh_module health_module = {
	.name = "health",
	.routes = health_routes,
	.init = NULL,
};
