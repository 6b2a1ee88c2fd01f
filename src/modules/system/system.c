/* system.c - framework-level endpoints and chores that belong to no business domain. */
#include "modules/system/system.h"

#include <stdio.h>

#include "core/openapi.h"
#include "core/queue.h"

/* The cheapest full trip through nginx, FastCGI, router and envelope: the
 * benchmarks' measure of framework overhead. */
static int system_ping(struct mh_request *req, struct mh_response *res)
{
	return mh_reply_data(req, res, 200, "{\"status\":\"ok\"}");
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response ping_responses[] = {
        {200,
         "The framework answered: the cheapest full trip through nginx, FastCGI, router and "
         "envelope.",
         "StatusOkResponse", .headers = "Cache-Control",
         .example = "{\"data\":{\"status\":\"ok\"}}"},
        {0},
};
static const struct mh_route_doc ping_doc = {
        .operation_id = "ping",
        /* A constant answer: nothing behind it can be down. */
        .flags = MH_DOC_NO_DEPENDENCY,
        .summary = "Ping",
        .description = "The framework-overhead floor the benchmarks measure.",
        .responses = ping_responses,
};

static const struct mh_module_doc system_doc = {
        .tag = "system",
        .description = "Framework-level endpoints",
};

static const struct mh_route system_routes[] = {
        {MH_GET, "/api/v1/ping", system_ping, MH_PUBLIC, MH_ROLE_NONE, .doc = &ping_doc},
        {0},
};

/* ---- The periodic cleanup (a system job of the queue) ------------------------------------ */

/* jobs_keep_days, as the cleanup's parameter (init sets it before the fork). */
static char keep_days[16];

static const struct mh_db_statement system_statements[] = {
        {"system_cleanup",
         "SELECT row_to_json(c)::text FROM jobs_cleanup(make_interval(days => $1::int),"
         "                                              make_interval(days => $1::int)) c",
         1},
        {NULL, NULL, 0},
};

/* Expired idempotency keys and refresh tokens, finished jobs and webhook deliveries older
 * than jobs_keep_days; the counts are the job's result. */
static enum mh_job_outcome system_cleanup(const struct mh_job *job, struct mh_job_run *run)
{
	const char *params[1] = {keep_days};
	int idx = mh_tx_query(run->tx, "system_cleanup", params, 1);
	const PGresult *r;

	(void)job;
	if (idx < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return MH_JOB_RETRY;
	r = mh_tx_result(run->tx, idx);
	run->result_json = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "{}";
	return MH_JOB_SUCCEEDED;
}

/* every_seconds comes from the configuration: init fills it in before the runners fork
 * (`menhir work` takes a new configuration on restart). */
static struct mh_job_kind system_kinds[] = {
        {.name = "system.cleanup",
         .run = system_cleanup,
         .max_attempts = 3,
         .system = 1,
         .every_seconds = 3600},
        {0},
};

static int system_init(const struct mh_config *cfg)
{
	system_kinds[0].every_seconds = cfg->jobs_cleanup_every;
	snprintf(keep_days, sizeof(keep_days), "%d", cfg->jobs_keep_days);
	return mh_db_register(system_statements);
}

const struct mh_module system_module = {
        .name = "system",
        .routes = system_routes,
        .init = system_init,
        .job_kinds = system_kinds,
        .doc = &system_doc,
};
