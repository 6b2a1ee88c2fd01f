/* metrics.h - Prometheus counters in shared memory, summed over every worker. */
#ifndef MH_METRICS_H
#define MH_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MH_METRICS_MAX_ROUTES 256
/* Row for requests that matched no route (404, 405, early 400s). */
#define MH_METRICS_UNMATCHED MH_METRICS_MAX_ROUTES
#define MH_METRICS_BUCKETS 16
#define MH_METRICS_RT_BUCKETS 6 /* db round trips per request: 0,1,2,3,4,5+ */

enum mh_restart_cause { MH_RESTART_CRASH, MH_RESTART_RECYCLE, MH_RESTART_TIMEOUT, MH_RESTART__N };

struct mh_route_metrics {
	_Atomic uint64_t by_class[6]; /* index status / 100 */
	_Atomic uint64_t buckets[MH_METRICS_BUCKETS]; /* non-cumulative; summed when rendered */
	_Atomic uint64_t duration_us_sum;
};

/*
 * Mapped by the master before it forks, so every worker increments the same
 * counters with relaxed atomics (no lock, no system call) and the counts
 * outlive any worker that dies. Only the master writes restart counts.
 */
struct mh_metrics {
	struct mh_route_metrics routes[MH_METRICS_MAX_ROUTES + 1];
	_Atomic int64_t in_flight;
	_Atomic uint64_t restarts[MH_RESTART__N];
	_Atomic uint64_t db_errors;
	_Atomic uint64_t db_reconnects;
	_Atomic uint64_t db_round_trips[MH_METRICS_RT_BUCKETS];
	_Atomic uint64_t redis_errors;
	_Atomic uint64_t events_errors; /* live events nginx did not take (core/events.c) */
	/* Rate-limit checks let through unchecked (Redis unreachable, a lookup failed) and
	 * requests refused with 429 (core/ratelimit.c). */
	_Atomic uint64_t ratelimit_fail_open;
	_Atomic uint64_t ratelimit_refused;
	_Atomic int32_t worker_pids[4096];
	/* Requests in flight per worker slot: a worker that dies mid-request takes its count
	 * with it when the master reaps it, so the gauge does not drift upward after crashes. */
	_Atomic int32_t in_flight_by_slot[4096];
	_Atomic int32_t master_pid;
};

/* Maps the segment; returns 0 or -1. Call once in the master before fork. */
int mh_metrics_init(void);
struct mh_metrics *mh_metrics(void);

/* Upper bounds of the latency buckets, in microseconds (the last is +Inf). */
extern const int64_t mh_metrics_bucket_us[MH_METRICS_BUCKETS];

/* Records one finished request. route_index is MH_METRICS_UNMATCHED when no route matched. */
void mh_metrics_request(size_t route_index, int status, int64_t duration_us, int round_trips);
void mh_metrics_in_flight(int delta);
void mh_metrics_restart(enum mh_restart_cause cause);
void mh_metrics_db_error(void);
void mh_metrics_db_reconnect(void);
void mh_metrics_redis_error(void);
void mh_metrics_events_error(void);
void mh_metrics_ratelimit_fail_open(void);
void mh_metrics_ratelimit_refused(void);
/* Workers announce themselves for the RSS gauge; 0 unregisters (and forgets the slot's
 * requests in flight: the worker is gone). */
void mh_metrics_worker_pid(size_t slot, int pid);
/* Called in a worker right after fork: its requests in flight are counted under slot. */
void mh_metrics_set_slot(size_t slot);

/* Renders the Prometheus text exposition format into b. */
void mh_metrics_render(struct mh_buf *b);

#endif
