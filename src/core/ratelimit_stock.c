/* ratelimit_stock.c - a worker's reserved rate-limit quota: requests taken from Redis in batches.
 *
 * A limited request costs a Redis round trip; at thousands of requests per second that round
 * trip (the syscalls, the context switches, Redis's own work) is most of the limiter's cost.
 * So for a large quota a worker reserves a batch of requests in one GCRA step and spends it
 * locally. Every admitted request was charged in Redis before it was admitted, so the
 * limit is never exceeded by more than the time shift of a reservation (MH_RL_HOLD_US); the
 * table is per worker (no locks) and fixed in size.
 */
#include "core/ratelimit_stock.h"

#include <stdio.h>
#include <string.h>

static struct mh_rl_stock slots[MH_RL_STOCK_SLOTS];

long mh_ratelimit_batch(const struct mh_rate_policy *p)
{
	long k = p->quota / 100;

	if (k > MH_RL_BATCH_MAX)
		k = MH_RL_BATCH_MAX;
	return k < MH_RL_BATCH_MIN ? 1 : k;
}

/* Empties s, adding its unspent stock to *refund_us in its policy's emission interval. */
static void drop(struct mh_rl_stock *s, long long *refund_us)
{
	if (s->stock > 0 && s->quota > 0)
		*refund_us += (long long)((double)s->stock * s->window_seconds * 1e6 / s->quota);
	s->stock = 0;
}

struct mh_rl_stock *mh_rl_stock_get(const char *key, const struct mh_rate_policy *p, int64_t now_us,
                                    int create, long long *refund_us)
{
	struct mh_rl_stock *s = NULL, *oldest = &slots[0];

	if (strlen(key) >= MH_RL_KEY_MAX)
		return NULL;
	for (int i = 0; i < MH_RL_STOCK_SLOTS; i++) {
		if (slots[i].key[0] != '\0' && strcmp(slots[i].key, key) == 0) {
			s = &slots[i];
			break;
		}
		if (slots[i].used_us < oldest->used_us)
			oldest = &slots[i];
	}
	if (s != NULL) {
		if (s->quota != p->quota || s->window_seconds != p->window_seconds ||
		    now_us >= s->expires_us)
			drop(s, refund_us);
		if (s->stock == 0 && !create) {
			s->key[0] = '\0'; /* nothing left to remember */
			s->used_us = 0;
			return NULL;
		}
	} else {
		if (!create)
			return NULL;
		/* A free slot has used_us 0 and goes first. An evicted key's stock is lost (at
		 * most one batch, charged but never served): with MH_RL_STOCK_SLOTS keys used
		 * since in this worker, its reservation has most likely run out anyway. */
		s = oldest;
		s->stock = 0;
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	s->quota = p->quota;
	s->window_seconds = p->window_seconds;
	s->used_us = now_us;
	return s;
}

void mh_rl_stock_reset(void)
{
	memset(slots, 0, sizeof(slots));
}
