/* metrics.c - the Prometheus scrape endpoint (internal network only). */
#include "modules/metrics/metrics.h"

#include "core/metrics.h"

/* The counters are summed over every worker, alive or dead, because they
 * live in memory the master mapped before forking. */
static int metrics_scrape(struct mh_request *req, struct mh_response *res)
{
	(void)req;
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	mh_metrics_render(&res->body);
	return 0;
}

static const struct mh_route metrics_routes[] = {
	{ MH_GET, "/metrics", metrics_scrape, MH_PUBLIC | MH_INTERNAL, MH_ROLE_NONE },
	{ 0 },
};

const struct mh_module metrics_module = {
	.name = "metrics",
	.routes = metrics_routes,
	.init = NULL,
};
