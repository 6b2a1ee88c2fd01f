/* routes.c - the webhooks module: its route table (each route's declared input, core/input.h,
 * and its handler, which hands over to service.c), its job kind and its end-of-job hook
 * (deliver.c). */
#include "modules/webhooks/internal.h"

#include "core/input.h"

struct webhooks_settings webhooks_settings;

/* ---- Declared input --------------------------------------------------------------------- */

static const struct mh_field job_param[] = {
        {"id", MH_T_UUID, .not_found = "no such job"},
        {0},
};

enum { PAGE_LIMIT };
static const struct mh_field page_query[] = {
        MH_PAGE_QUERY(WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX),
        {0},
};

/* ---- Handlers --------------------------------------------------------------------------- */

/* POST /api/v1/tenants/current/webhook-secret (admin+, no body) 201 {secret, created_at}:
 * a new secret replaces the old one at once; this answer is the only place it appears. */
static int handle_secret_rotate(struct mh_request *req, struct mh_response *res)
{
	return webhooks_secret_rotate(req, res);
}

/* GET /api/v1/tenants/current/webhook-secret (admin+) 200 {exists, created_at}. */
static int handle_secret_show(struct mh_request *req, struct mh_response *res)
{
	return webhooks_secret_show(req, res);
}

/* GET /api/v1/jobs/:id/deliveries?limit=&cursor= (viewer+) 200 list, oldest first; 404 for
 * a job that is not the tenant's (or a malformed id, which names no job). */
static int handle_deliveries(struct mh_request *req, struct mh_response *res)
{
	struct mh_page page;

	if (mh_page_read(req, PAGE_LIMIT, &page) < 0)
		return -1;
	return webhooks_deliveries_list(req, res, mh_in_path(req, 0)->s, &page);
}

static int webhooks_init(const struct mh_config *cfg)
{
	webhooks_settings.allow_private = cfg->webhook_allow_private;
	webhooks_settings.timeout_ms = cfg->webhook_timeout;
	webhooks_settings.max_attempts = cfg->webhook_max_attempts;
	return mh_db_register(webhooks_statements);
}

static const struct mh_route webhooks_routes[] = {
        {MH_POST, "/api/v1/tenants/current/webhook-secret", handle_secret_rotate, 0, MH_ROLE_ADMIN,
         .doc = NULL},
        {MH_GET, "/api/v1/tenants/current/webhook-secret", handle_secret_show, 0, MH_ROLE_ADMIN,
         .doc = NULL},
        {MH_GET, "/api/v1/jobs/:id/deliveries", handle_deliveries, 0, MH_ROLE_VIEWER, job_param,
         page_query, .doc = NULL},
        {0},
};

const struct mh_module webhooks_module = {
        .name = "webhooks",
        .routes = webhooks_routes,
        .init = webhooks_init,
        .job_kinds = webhooks_job_kinds,
        .on_job_finished = webhooks_on_job_finished,
};
