/* routes.c - the webhooks module: its route table and handlers (read and check the input,
 * then hand over to service.c), its job kind and its end-of-job hook (deliver.c). */
#include "modules/webhooks/internal.h"

#include "modules/auth/auth.h"

/* POST /api/v1/tenants/current/webhook-secret (admin+, no body) 201 {secret, created_at}:
 * a new secret replaces the old one at once; this answer is the only place it appears. */
static int handle_secret_rotate(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };

	if (!auth_query_or_reply(req, res, none))
		return 0;
	return webhooks_secret_rotate(req, res);
}

/* GET /api/v1/tenants/current/webhook-secret (admin+) 200 {exists, created_at}. */
static int handle_secret_show(struct mh_request *req, struct mh_response *res)
{
	static const char *const none[] = { NULL };

	if (!auth_query_or_reply(req, res, none))
		return 0;
	return webhooks_secret_show(req, res);
}

/* GET /api/v1/jobs/:id/deliveries?limit=&cursor= (viewer+) 200 list, oldest first; 404 for
 * a job that is not the tenant's (or a malformed id, which names no job). */
static int handle_deliveries(struct mh_request *req, struct mh_response *res)
{
	const char *id = mh_param(req, "id");
	struct mh_page page;

	if (!mh_page_or_reply(req, res, WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX, &page))
		return 0;
	if (id == NULL || !auth_is_uuid(id))
		return mh_reply_error(req, res, 404, "not_found", "no such job");
	return webhooks_deliveries_list(req, res, auth_lower(req->arena, id), &page);
}

static int webhooks_init(const struct mh_config *cfg)
{
	(void)cfg;
	return mh_db_register(webhooks_statements);
}

static const struct mh_route webhooks_routes[] = {
	{ MH_POST, "/api/v1/tenants/current/webhook-secret", handle_secret_rotate, 0,
	  MH_ROLE_ADMIN },
	{ MH_GET, "/api/v1/tenants/current/webhook-secret", handle_secret_show, 0,
	  MH_ROLE_ADMIN },
	{ MH_GET, "/api/v1/jobs/:id/deliveries", handle_deliveries, 0, MH_ROLE_VIEWER },
	{ 0 },
};

const struct mh_module webhooks_module = {
	.name = "webhooks",
	.routes = webhooks_routes,
	.init = webhooks_init,
	.job_kinds = webhooks_job_kinds,
	.on_job_finished = webhooks_on_job_finished,
	.settings = &webhooks_config,
};
