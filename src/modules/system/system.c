/* system.c - framework-level endpoints that belong to no business domain. */
#include "modules/system/system.h"

/* The cheapest full trip through nginx, FastCGI, router and envelope: the
 * benchmarks' measure of framework overhead. */
static int system_ping(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_data(req, res, 200, "{\"status\":\"ok\"}");
}

static const struct mh_route system_routes[] = {
	{ MH_GET, "/api/v1/ping", system_ping, MH_PUBLIC, MH_ROLE_NONE },
	{ 0 },
};

const struct mh_module system_module = {
	.name = "system",
	.routes = system_routes,
	.init = NULL,
};
