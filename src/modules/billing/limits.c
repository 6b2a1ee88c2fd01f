/* limits.c - the core rate limiter's limits (core/ratelimit.h) from the tenant's plan: a
 * request per tenant per minute for every tenant request, and per feature per minute for
 * processing. The plan is read once per tenant and kept in a small table in shared memory that
 * the master maps before it forks, so every worker of the machine reads what one of them read
 * and the common path costs no round trip. An entry is stale once a generation it was filled
 * under changed (core/revocation.h: seen by every worker of every machine at once): the
 * tenant's own ("billing:<id>", bumped when its subscription changes) or every plan's
 * ("billing", when an operator changes a plan). While the channel cannot vouch for changes
 * (Redis down), an entry lasts billing_limits_cache_seconds, which bounds staleness; while it
 * can, an hour. */
#include "modules/billing/internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/log.h"
#include "core/ratelimit.h"
#include "core/revocation.h"
#include "core/scoreboard.h"

#define GENERATION  "billing"
#define CACHE_SLOTS 1024 /* a power of two: tenants hash onto slots, a collision evicts */
#define WINDOW      60
#define MAX_AGE_US  (3600 * 1000000LL)

/* What one tenant's plan allows. */
struct limits {
	char tenant[40];
	long long generation;        /* of every plan ("billing") */
	long long tenant_generation; /* of this tenant's subscription ("billing:<id>") */
	long long filled_us;
	long api, feature;  /* per minute; 0: unlimited */
	char features[256]; /* the plan's features, "{a,b}" as PostgreSQL writes text[] */
};

/* A slot under a seqlock: a writer makes seq odd, copies, makes it even again; a reader
 * copies and keeps the copy only when seq was even and unchanged around it. Writers exclude
 * each other with `writing` (a writer that finds it taken keeps its copy to itself). */
struct slot {
	atomic_flag writing;
	_Atomic unsigned seq;
	struct limits v;
};

static struct slot *cache;

static unsigned slot_of(const char *tenant)
{
	unsigned h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)tenant; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h & (CACHE_SLOTS - 1);
}

/* The generation of one tenant's subscription: "billing:<tenant id>". */
static void tenant_generation_name(const char *tenant, char name[64])
{
	snprintf(name, 64, "%s:%s", GENERATION, tenant);
}

int billing_limits_invalidate(struct mh_request *req, const char *tenant_id)
{
	char name[64];
	/* Long enough to outlive every entry filled before the bump (MAX_AGE_US). */
	int ttl = 2 * 3600;

	if (tenant_id != NULL)
		tenant_generation_name(tenant_id, name);
	if (mh_revocation_bump_generation(req, tenant_id ? name : GENERATION, ttl) == 0)
		return 0;
	mh_log(MH_LOG_WARN, "billing_limits",
	       "Redis did not take the change of %s's limits: workers may keep the old ones",
	       tenant_id ? tenant_id : "every tenant");
	return -1;
}

/* Reads the tenant's plan into e (one round trip, a transaction of its own). */
static int fill(struct mh_request *req, struct limits *e, long long generation,
                long long tenant_generation)
{
	struct mh_tx tx;
	const PGresult *r;
	int q;

	if (mh_tx_begin(&tx, req, MH_TX_READ_WRITE) != MH_DB_OK)
		return -1;
	q = billing_repo_limits(&tx);
	if (mh_tx_commit(&tx) != MH_DB_OK || (r = mh_tx_result(&tx, q)) == NULL ||
	    PQntuples(r) != 1)
		return -1;
	memset(e, 0, sizeof(*e));
	snprintf(e->tenant, sizeof(e->tenant), "%s", req->principal.tenant_id);
	e->generation = generation;
	e->tenant_generation = tenant_generation;
	e->filled_us = mh_now_us();
	e->api = PQgetisnull(r, 0, BILLING_LIMITS_API) ? 0
	                                               : atol(PQgetvalue(r, 0, BILLING_LIMITS_API));
	e->feature = PQgetisnull(r, 0, BILLING_LIMITS_FEATURE)
	                     ? 0
	                     : atol(PQgetvalue(r, 0, BILLING_LIMITS_FEATURE));
	snprintf(e->features, sizeof(e->features), "%s", PQgetvalue(r, 0, BILLING_LIMITS_FEATURES));
	return 0;
}

/* Copies slot s into out; 0, or -1 when a writer was busy with it (then: a miss). */
static int slot_read(struct slot *s, struct limits *out)
{
	unsigned before = atomic_load_explicit(&s->seq, memory_order_acquire);

	if (before & 1)
		return -1;
	memcpy(out, &s->v, sizeof(*out));
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&s->seq, memory_order_relaxed) == before ? 0 : -1;
}

static void slot_write(struct slot *s, const struct limits *v)
{
	if (atomic_flag_test_and_set_explicit(&s->writing, memory_order_acquire))
		return; /* another worker is filling it: its copy will do */
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_acq_rel);
	atomic_thread_fence(memory_order_release);
	memcpy(&s->v, v, sizeof(*v));
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
	atomic_flag_clear_explicit(&s->writing, memory_order_release);
}

/* 1 when name is an element of the text[] literal "{a,b,c}" (names need no quoting). */
static int has_feature(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p[-1] == '{' || p[-1] == ',') && (p[n] == ',' || p[n] == '}'))
			return 1;
	return 0;
}

/* Past its age: billing_limits_cache_seconds while the revocation channel cannot vouch that
 * no change was missed (Redis down), an hour otherwise (a bound, not the means). */
static int expired(const struct limits *e)
{
	long long age = mh_now_us() - e->filled_us;

	if (!mh_revocation_vouches())
		return age > billing_settings.billing_limits_cache_seconds * 1000000LL;
	return age > MAX_AGE_US;
}

/* The lookup registered with the core (see mh_rate_lookup_fn). */
static int billing_rate_lookup(struct mh_request *req, const char *scope,
                               struct mh_rate_policy *out)
{
	const char *tenant = req->principal.tenant_id;
	long long generation = mh_revocation_generation(GENERATION), tenant_generation;
	char name[64];
	struct slot *s;
	struct limits e;
	long quota;

	if (tenant == NULL || tenant[0] == '\0' || cache == NULL)
		return 0;
	tenant_generation_name(tenant, name);
	tenant_generation = mh_revocation_generation(name);
	s = &cache[slot_of(tenant)];
	if (slot_read(s, &e) < 0 || strcmp(e.tenant, tenant) != 0 || e.generation != generation ||
	    e.tenant_generation != tenant_generation || expired(&e)) {
		if (fill(req, &e, generation, tenant_generation) < 0)
			return -1;
		slot_write(s, &e);
	}
	if (strcmp(scope, "tenant") == 0) {
		quota = e.api;
	} else {
		/* A feature outside the plan is not limited here: queueing it is refused anyway
		 * (feature_not_in_plan), and that answer is the useful one. */
		if (!has_feature(e.features, scope))
			return 0;
		quota = e.feature;
	}
	if (quota <= 0)
		return 0;
	snprintf(out->name, sizeof(out->name), "%s", scope);
	out->quota = quota;
	out->window_seconds = WINDOW;
	return 1;
}

int billing_limits_init(void)
{
	void *p;

	if (cache == NULL) {
		p = mmap(NULL, sizeof(*cache) * CACHE_SLOTS, PROT_READ | PROT_WRITE,
		         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		cache = p; /* zeroed: every slot empty, unlocked, seq 0 */
	}
	mh_ratelimit_set_lookup(billing_rate_lookup);
	return 0;
}
