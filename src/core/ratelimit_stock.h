/* ratelimit_stock.h - a worker's reserved rate-limit quota: requests taken from Redis in batches.
 */
#ifndef MH_RATELIMIT_STOCK_H
#define MH_RATELIMIT_STOCK_H

#include <stdint.h>

#include "core/ratelimit.h"

/*
 * The most requests one reservation takes, the smallest batch worth taking (below it every
 * request asks Redis, exactly as without reservations), and how long a reservation may be
 * spent: after that its rest is handed back to Redis with the next call, so quota reserved
 * but not used neither piles up nor is lost.
 */
#define MH_RL_BATCH_MAX 32
#define MH_RL_BATCH_MIN 4
#define MH_RL_HOLD_US   1000000LL

/* The Redis key a scope's arrival time is kept under, at most this long. */
#define MH_RL_KEY_MAX 96

/* What this worker holds of one (key, quota, window): requests reserved in Redis and not yet
 * spent, and what Redis reported when it reserved them. */
struct mh_rl_stock {
	char key[MH_RL_KEY_MAX];
	long quota;
	int window_seconds;
	long stock;         /* reserved, not yet spent by this worker */
	long left;          /* the "r" Redis reported after the reservation */
	long reset;         /* the "t" Redis reported */
	int64_t expires_us; /* monotonic: spend by then or hand back */
	int64_t used_us;    /* for eviction: the least recently used slot goes */
};

/* How many slots a worker keeps (a fixed table: the memory never grows with tenants). */
#define MH_RL_STOCK_SLOTS 64

/*
 * How many requests one reservation for policy p takes: quota / 100 (one worker's batch is
 * at most 1 % of the quota), at most MH_RL_BATCH_MAX, and 1 (no reservation, every request
 * asks Redis) when that is below MH_RL_BATCH_MIN, i.e. for quotas under 400.
 */
long mh_ratelimit_batch(const struct mh_rate_policy *p);

/*
 * This worker's slot for key under policy p at monotonic time now_us. A slot whose policy
 * differs from p (the limit changed) or whose reservation is past its time is emptied, and
 * what it still held is added to *refund_us, in microseconds of the old policy's emission
 * interval, for the caller to hand back to Redis. A missing slot is created (evicting the
 * least recently used one, whose stock is then lost: at most one batch) only when create is
 * 1. Returns the slot, or NULL (no slot: key too long, or not created).
 */
struct mh_rl_stock *mh_rl_stock_get(const char *key, const struct mh_rate_policy *p, int64_t now_us,
                                    int create, long long *refund_us);

/* Empties every slot, handing nothing back (tests, and a worker's start). */
void mh_rl_stock_reset(void);

#endif
