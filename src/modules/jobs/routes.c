/* routes.c - the jobs module's routes (being written). */
#include "modules/jobs/internal.h"

static const struct mh_route jobs_routes[] = {
	{ 0 },
};

const struct mh_module jobs_module = {
	.name = "jobs",
	.routes = jobs_routes,
};
