/* metrics.c - the Prometheus scrape endpoint (internal network only). */
#include "modules/metrics/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/metrics.h"
#include "core/openapi.h"

static const struct mh_db_statement metrics_statements[] = {
        /* Queue depth across every tenant (a SECURITY DEFINER count: no tenant's rows leak,
         * only totals). */
        {"metrics_jobs_depth", "SELECT status, jobs, oldest_seconds FROM jobs_depth()", 0},
        {NULL, NULL, 0},
};

/* The queue's depth from PostgreSQL: one round trip per scrape (scrapes come every few
 * seconds at most, never per request). A scrape still answers when the database is down;
 * menhir_jobs_depth_up says whether these lines are there. */
static void render_queue_depth(struct mh_request *req, struct mh_buf *b)
{
	static const char *const statuses[] = {"queued", "running"};
	long long jobs[2] = {0, 0};
	double oldest[2] = {0, 0};
	const PGresult *r;
	struct mh_tx tx;
	int q, ok = 0;

	if (mh_tx_begin(&tx, req, MH_TX_READ_ONLY) == MH_DB_OK &&
	    (q = mh_tx_query(&tx, "metrics_jobs_depth", NULL, 0)) >= 0 &&
	    mh_tx_commit(&tx) == MH_DB_OK) {
		r = mh_tx_result(&tx, q);
		for (int i = 0; i < PQntuples(r); i++)
			for (int s = 0; s < 2; s++)
				if (strcmp(PQgetvalue(r, i, 0), statuses[s]) == 0) {
					jobs[s] = atoll(PQgetvalue(r, i, 1));
					oldest[s] = PQgetisnull(r, i, 2)
					                    ? 0
					                    : atof(PQgetvalue(r, i, 2));
				}
		ok = 1;
	}
	mh_buf_printf(b,
	              "# HELP menhir_jobs_depth_up 1 when the queue depth below could be read.\n"
	              "# TYPE menhir_jobs_depth_up gauge\nmenhir_jobs_depth_up %d\n",
	              ok);
	if (!ok)
		return;
	mh_buf_puts(b, "# HELP menhir_jobs Background jobs waiting or running, all tenants.\n"
	               "# TYPE menhir_jobs gauge\n");
	for (int s = 0; s < 2; s++)
		mh_buf_printf(b, "menhir_jobs{status=\"%s\"} %lld\n", statuses[s], jobs[s]);
	mh_buf_puts(b,
	            "# HELP menhir_jobs_oldest_seconds Seconds since the oldest such job was due.\n"
	            "# TYPE menhir_jobs_oldest_seconds gauge\n");
	for (int s = 0; s < 2; s++)
		mh_buf_printf(b, "menhir_jobs_oldest_seconds{status=\"%s\"} %.3f\n", statuses[s],
		              oldest[s] > 0 ? oldest[s] : 0.0);
}

/* The counters are summed over every worker, alive or dead, because they
 * live in memory the master mapped before forking. */
static int metrics_scrape(struct mh_request *req, struct mh_response *res)
{
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	mh_metrics_render(&res->body);
	render_queue_depth(req, &res->body);
	return 0;
}

static int metrics_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(metrics_statements);
}

/* ---- Documentation (menhir openapi) ------------------------------------------------------ */

static const struct mh_doc_response get_metrics_responses[] = {
        {200, "Prometheus text exposition: counters and histograms summed over every worker.",
         .content =
                 "{\"text/plain; version=0.0.4; charset=utf-8\":{\"schema\":{\"type\":\"string\"},"
                 "\"example\":\"# HELP menhir_http_requests_total Requests answered.\\n# TYPE "
                 "menhir_http_requests_total "
                 "counter\\nmenhir_http_requests_total{route=\\\"/api/v1/"
                 "ping\\\",method=\\\"GET\\\","
                 "class=\\\"2xx\\\"} 42\\n\"}}"},
        {0},
};
static const struct mh_route_doc get_metrics_doc = {
        .operation_id = "getMetrics",
        /* nginx lets only internal addresses in and does not rate-limit them. */
        .flags = MH_DOC_NOT_RATE_LIMITED,
        .summary = "Prometheus metrics (internal only)",
        .description = "Requests by route, method and status class, latency histograms, "
                       "in-flight requests, worker restarts, database and Redis errors, RSS. "
                       "Answered only to clients on loopback or a private network: nginx "
                       "allow-lists those addresses and Menhir refuses any other as well "
                       "(403 from either).",
        .responses = get_metrics_responses,
};

static const struct mh_module_doc metrics_doc = {
        .tag = "operations",
        .description = "Internal operational endpoints",
};

static const struct mh_route metrics_routes[] = {
        {MH_GET, "/metrics", metrics_scrape, MH_PUBLIC | MH_INTERNAL, MH_ROLE_NONE,
         .doc = &get_metrics_doc},
        {0},
};

const struct mh_module metrics_module = {
        .name = "metrics",
        .routes = metrics_routes,
        .init = metrics_init,
        .doc = &metrics_doc,
};
