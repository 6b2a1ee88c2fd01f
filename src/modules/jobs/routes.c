/* routes.c - the jobs module: its routes and its registration. */
#include "modules/jobs/internal.h"

static int jobs_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(jobs_stream_statements) < 0)
		return -1;
	return mh_db_register(jobs_statements);
}

static const struct mh_route jobs_routes[] = {
	{ MH_GET, "/api/v1/jobs", jobs_list, 0, MH_ROLE_VIEWER },
	{ MH_GET, "/api/v1/jobs/:id", jobs_get, 0, MH_ROLE_VIEWER },
	{ MH_GET, "/api/v1/jobs/:id/events", jobs_stream, 0, MH_ROLE_VIEWER },
	{ MH_POST, "/api/v1/jobs/:id/cancel", jobs_cancel, 0, MH_ROLE_MEMBER },
	{ MH_POST, "/api/v1/jobs/:id/retry", jobs_retry, 0, MH_ROLE_ADMIN },
	{ 0 },
};

const struct mh_module jobs_module = {
	.name = "jobs",
	.routes = jobs_routes,
	.init = jobs_init,
	.on_job_status = jobs_on_status,
};
