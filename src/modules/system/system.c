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

/* The module's configuration keys: how often the cleanup runs, and what it keeps. */
static struct system_settings {
	int jobs_cleanup_every; /* seconds */
	int jobs_keep_days;
} system_settings;
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
	const char *params[1];
	const PGresult *r;
	int idx;

	(void)job;
	params[0] = mh_arena_sprintf(run->req->arena, "%d", system_settings.jobs_keep_days);
	idx = params[0] ? mh_tx_query(run->tx, "system_cleanup", params, 1) : MH_DB_ERROR;
	if (idx < 0 || mh_tx_fetch(run->tx) != MH_DB_OK)
		return MH_JOB_RETRY;
	r = mh_tx_result(run->tx, idx);
	run->result_json = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "{}";
	return MH_JOB_SUCCEEDED;
}

/* every_seconds comes from the configuration: system_apply fills it in before the runners
 * fork. */
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
	(void)cfg;
	return mh_db_register(system_statements);
}

#define S struct system_settings
static const struct mh_config_key system_keys[] = {
	MH_KEY_INT(S, jobs_cleanup_every, 10, 604800, "3600",
		   "seconds between runs of the system.cleanup job"),
	MH_KEY_INT(S, jobs_keep_days, 1, 3650, "30",
		   "days finished jobs and webhook deliveries are kept"),
	{ 0 },
};
#undef S

static int system_apply(const void *values, char *err, size_t errlen)
{
	const struct system_settings *s = values;

	(void)err;
	(void)errlen;
	system_kinds[0].every_seconds = s->jobs_cleanup_every;
	return 0;
}

static const struct mh_settings system_config = {
	system_keys, &system_settings, sizeof(system_settings), system_apply,
};

const struct mh_module system_module = {
        .name = "system",
        .routes = system_routes,
        .init = system_init,
        .job_kinds = system_kinds,
        .doc = &system_doc,
        .settings = &system_config,
};
