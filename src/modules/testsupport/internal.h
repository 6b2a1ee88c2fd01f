/* internal.h - what the testsupport module's files share. */
#ifndef MH_TESTSUPPORT_INTERNAL_H
#define MH_TESTSUPPORT_INTERNAL_H

#include "core/input.h"
#include "modules/testsupport/testsupport.h"

/* Maps the shared rule table and registers the rate-limit lookup; in the master, before
 * fork, only with enable_test_routes. Returns 0 or -1. */
int testsupport_ratelimit_init(void);

/* PUT /api/v1/test/rate-limits {tenant_id, scope, quota, window_seconds}: sets the limit of
 * scope for that tenant (quota 0: explicitly not limited). 200; 422 a scope that cannot be a
 * policy name; 409 the table is full. */
int testsupport_rate_rule_put(struct mh_request *req, struct mh_response *res);
extern const struct mh_field testsupport_rule_body;

#endif
