/* billing.h - the billing module's public face: plans, subscriptions, usage and quotas
 * (schema 0016), the payment provider's webhook, and the rate limits a tenant's plan sets. */
#ifndef BILLING_H
#define BILLING_H

#include "core/config.h"

/* `menhir admin plans list|show NAME|set NAME KEY=VALUE…|set-default NAME` and `menhir admin
 * set-plan TENANT PLAN` (argv after "admin"): as the migration role; every change reaches the
 * workers' cached limits at once (Redis) or within billing_limits_cache_seconds. Returns the
 * process exit status. */
int billing_admin_command(const struct mh_config *cfg, int argc, char **argv);

#endif
