/* routes.c - the jobs module's routes (being written). */
#include "modules/jobs/internal.h"

static int jobs_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(jobs_stream_statements);
}

static const struct mh_route jobs_routes[] = {
	{ MH_GET, "/api/v1/jobs/:id/events", jobs_stream, 0, MH_ROLE_VIEWER },
	{ 0 },
};

const struct mh_module jobs_module = {
	.name = "jobs",
	.routes = jobs_routes,
	.init = jobs_init,
};
