/* repo.c - the billing module's SQL, and nothing else. menhir_app reads plans (global) and
 * its own tenant's subscription and usage under RLS (schema 0016); every write goes through
 * a SECURITY DEFINER function of that schema. */
#include "modules/billing/internal.h"

#include "core/address.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define LIMITS_JSON                                                                                \
	"json_build_object('seats', p.seats, 'documents', p.documents, 'storage_bytes',"           \
	" p.storage_bytes, 'jobs_per_month', p.jobs_per_month, 'api_requests_per_minute',"         \
	" p.api_per_minute, 'feature_requests_per_minute', p.feature_per_minute,"                  \
	" 'runs_per_feature_per_month', p.runs_per_feature_per_month)::text"

const struct mh_db_statement billing_statements[] = {
        {"billing_subscription",
         "SELECT s.plan, s.status, " TS("b.period_start") ", " TS(
                 "b.period_end") ","
                                 " s.provider_customer_id IS NOT NULL, p.title, "
                                 "to_json(p.features)::text, " LIMITS_JSON ", p.price_id"
                                 " FROM subscriptions s JOIN plans p ON p.name = s.plan,"
                                 "      billing_current_period() b"
                                 " WHERE s.tenant_id = (SELECT app_tenant_id())",
         0},
        {"billing_usage",
         "SELECT u.meter, u.quota, u.used, " TS("u.period_end") " FROM billing_usage() u", 0},
        /* The offered plans, and the tenant's own even when it is not offered (schema 0031):
         * a grandfathered or custom plan is shown to the tenants on it only. */
        {"billing_plans",
         "SELECT p.name, p.title, p.price_id, " LIMITS_JSON ", to_json(p.features)::text,"
         " p.offered FROM plans p"
         " WHERE p.offered OR p.name = (SELECT s.plan FROM subscriptions s"
         "                               WHERE s.tenant_id = (SELECT app_tenant_id()))"
         " ORDER BY p.rank",
         0},
        {"billing_checkout_target",
         "SELECT p.price_id, c.customer_id, c.plan, p.offered FROM plans p"
         " LEFT JOIN billing_customer() c ON true WHERE p.name = $1::text",
         1},
        /* The checkout target's columns without a plan (price NULL). */
        {"billing_customer",
         "SELECT NULL::text, c.customer_id, c.plan, NULL::boolean FROM billing_customer() c", 0},
        {"billing_audit",
         "INSERT INTO audit_log (tenant_id, actor_id, action, target, ip, request_id)"
         " VALUES ((SELECT app_tenant_id()), (SELECT app_user_id()), $1::text, $2::text,"
         "         nullif($3::text, '')::inet, $4::text)",
         4},
        {"billing_event_receive",
         "SELECT billing_event_receive($1::text, $2::text, $3::bigint, $4::jsonb)", 4},
        {"billing_event_apply", "SELECT a.tenant, a.outcome FROM billing_event_apply($1::text) a",
         1},
        {"billing_limits",
         "SELECT p.api_per_minute, p.feature_per_minute, p.features::text"
         " FROM subscriptions s JOIN plans p ON p.name = s.plan"
         " WHERE s.tenant_id = (SELECT app_tenant_id())",
         0},
        {NULL, NULL, 0},
};

/* A parameter array in the request arena. */
static const char **params(struct mh_tx *tx, int n)
{
	return mh_arena_alloc(tx->req->arena, sizeof(const char *) * (size_t)n);
}

int billing_repo_subscription(struct mh_tx *tx)
{
	return mh_tx_query(tx, "billing_subscription", NULL, 0);
}

int billing_repo_usage(struct mh_tx *tx)
{
	return mh_tx_query(tx, "billing_usage", NULL, 0);
}

int billing_repo_plans(struct mh_tx *tx)
{
	return mh_tx_query(tx, "billing_plans", NULL, 0);
}

int billing_repo_limits(struct mh_tx *tx)
{
	return mh_tx_query(tx, "billing_limits", NULL, 0);
}

int billing_repo_checkout_target(struct mh_tx *tx, const char *plan)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = plan;
	return mh_tx_query(tx, "billing_checkout_target", p, 1);
}

int billing_repo_customer(struct mh_tx *tx)
{
	return mh_tx_query(tx, "billing_customer", NULL, 0);
}

int billing_repo_audit(struct mh_tx *tx, const char *action, const char *target)
{
	const char **p = params(tx, 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = action;
	p[1] = target;
	p[2] = mh_address_client(tx->req);
	p[3] = tx->req->request_id;
	return mh_tx_query(tx, "billing_audit", p, 4);
}

int billing_repo_event_receive(struct mh_tx *tx, const char *id, const char *type,
                               const char *created, const char *payload)
{
	const char **p = params(tx, 4);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	p[1] = type;
	p[2] = created;
	p[3] = payload;
	return mh_tx_query(tx, "billing_event_receive", p, 4);
}

int billing_repo_event_apply(struct mh_tx *tx, const char *id)
{
	const char **p = params(tx, 1);

	if (p == NULL)
		return MH_DB_ERROR;
	p[0] = id;
	return mh_tx_query(tx, "billing_event_apply", p, 1);
}
