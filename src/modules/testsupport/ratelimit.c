/* ratelimit.c - the testsupport module's rate-limit lookup: limits a test sets per tenant.
 *
 * With no billing module, nothing gives a tenant a limit; the integration suite sets one
 * with PUT /api/v1/test/rate-limits and the core's limiter applies it like any other. The
 * rules live in a small table in shared memory mapped by the master before fork, so the
 * worker that answers the PUT and the one that serves the next request see the same rules.
 * This lookup is registered first (module order), so a rule set here wins over any other
 * module's limits for that tenant and scope; quota 0 means "explicitly not limited" (the
 * benchmark's tenant without a limiter).
 */
#include "modules/testsupport/internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "core/input.h"
#include "core/ratelimit.h"

#define RULES 256

struct rule {
	char tenant_id[37];
	char scope[32];
	long quota;
	int window_seconds;
};

struct table {
	_Atomic int lock; /* a spin lock: writes are rare, reads copy one rule */
	int n;
	struct rule rules[RULES];
};

static struct table *table;

static void lock(void)
{
	int expected = 0;

	while (!atomic_compare_exchange_weak(&table->lock, &expected, 1))
		expected = 0;
}

static void unlock(void)
{
	atomic_store(&table->lock, 0);
}

static int find(const char *tenant_id, const char *scope)
{
	for (int i = 0; i < table->n; i++)
		if (strcmp(table->rules[i].tenant_id, tenant_id) == 0 &&
		    strcmp(table->rules[i].scope, scope) == 0)
			return i;
	return -1;
}

static int testsupport_rate_lookup(struct mh_request *req, const char *scope,
                                   struct mh_rate_policy *out)
{
	int i, rc = 0;

	lock();
	if ((i = find(req->principal.tenant_id, scope)) >= 0) {
		snprintf(out->name, sizeof(out->name), "%s", scope);
		out->quota = table->rules[i].quota;
		out->window_seconds = table->rules[i].window_seconds;
		rc = 1;
	}
	unlock();
	return rc;
}

int testsupport_ratelimit_init(void)
{
	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	             0);
	if (table == MAP_FAILED) {
		table = NULL;
		return -1;
	}
	mh_ratelimit_set_lookup(testsupport_rate_lookup);
	return 0;
}

enum { RULE_TENANT, RULE_SCOPE, RULE_QUOTA, RULE_WINDOW };
static const struct mh_field rule_members[] = {
        [RULE_TENANT] = {"tenant_id", MH_T_UUID, MH_REQUIRED},
        [RULE_SCOPE] = {"scope", MH_T_STRING, MH_REQUIRED, .min = 1, .max = 31},
        [RULE_QUOTA] = {"quota", MH_T_INTEGER, MH_REQUIRED, .min = 0, .max = 1000000000},
        [RULE_WINDOW] = {"window_seconds", MH_T_INTEGER, MH_REQUIRED, .min = 1, .max = 86400},
        {0},
};
const struct mh_field testsupport_rule_body = {"TestRateLimit", MH_T_OBJECT,
                                               .fields = rule_members};

int testsupport_rate_rule_put(struct mh_request *req, struct mh_response *res)
{
	const char *tenant = mh_in_body(req, RULE_TENANT)->s;
	const char *scope = mh_in_body(req, RULE_SCOPE)->s;
	int i;

	if (table == NULL)
		return -1;
	if (!mh_ratelimit_name_ok(scope))
		return mh_reply_error(
		        req, res, 422, "validation_failed",
		        "scope must be a policy name (a letter, then [A-Za-z0-9_.:-])");
	lock();
	if ((i = find(tenant, scope)) < 0 && table->n < RULES)
		i = table->n++;
	if (i >= 0) {
		snprintf(table->rules[i].tenant_id, sizeof(table->rules[i].tenant_id), "%s",
		         tenant);
		snprintf(table->rules[i].scope, sizeof(table->rules[i].scope), "%s", scope);
		table->rules[i].quota = (long)mh_in_body(req, RULE_QUOTA)->i;
		table->rules[i].window_seconds = (int)mh_in_body(req, RULE_WINDOW)->i;
	}
	unlock();
	if (i < 0)
		return mh_reply_error(req, res, 409, "conflict", "the test rule table is full");
	return mh_reply_data(req, res, 200, "{\"set\":true}");
}
