/* routes.c - the jobs module: its route table with each route's declared input
 * (core/input.h), and its registration. The handlers live in service.c and stream.c. */
#include "modules/jobs/internal.h"

#include "core/input.h"

static const struct mh_field id_param[] = {
        {"id", MH_T_UUID, .not_found = "no such job"},
        {0},
};

static const struct mh_field list_query[] = {
        [JOBS_LIST_LIMIT] = {"limit", MH_T_INTEGER, MH_DEFAULT, .min = 1, .max = JOBS_PAGE_MAX,
                             .def = JOBS_PAGE_DEFAULT},
        [JOBS_LIST_CURSOR] = {"cursor", MH_T_CURSOR, .max = 1024,
                              .description = "next_cursor of the previous page (same filters, "
                                             "else 400)."},
        [JOBS_LIST_STATUS] = {"status", MH_T_ENUM, .values = jobs_statuses, .ref = "JobStatus"},
        [JOBS_LIST_DOCUMENT] = {"document_id", MH_T_UUID,
                                .description = "Jobs about this document."},
        {0},
};

static int jobs_init(const struct mh_config *cfg)
{
	(void)cfg;
	if (mh_db_register(jobs_stream_statements) < 0)
		return -1;
	return mh_db_register(jobs_statements);
}

static const struct mh_route jobs_routes[] = {
        {MH_GET, "/api/v1/jobs", jobs_list, 0, MH_ROLE_VIEWER, .query = list_query},
        {MH_GET, "/api/v1/jobs/:id", jobs_get, 0, MH_ROLE_VIEWER, id_param, .doc = NULL},
        {MH_GET, "/api/v1/jobs/:id/events", jobs_stream, 0, MH_ROLE_VIEWER, id_param, .doc = NULL},
        {MH_POST, "/api/v1/jobs/:id/cancel", jobs_cancel, 0, MH_ROLE_MEMBER, id_param, .doc = NULL},
        {MH_POST, "/api/v1/jobs/:id/retry", jobs_retry, 0, MH_ROLE_ADMIN, id_param, .doc = NULL},
        {0},
};

const struct mh_module jobs_module = {
        .name = "jobs",
        .routes = jobs_routes,
        .init = jobs_init,
};
