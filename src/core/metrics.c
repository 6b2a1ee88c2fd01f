/* metrics.c - Prometheus counters in shared memory, summed over every worker. */
#include "core/metrics.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/module.h"
#include "core/router.h"

/* 0.25 ms to 10 s: enough resolution for p50/p95/p99 of a 1 ms API and of a
 * slow outlier alike. */
const int64_t mh_metrics_bucket_us[MH_METRICS_BUCKETS] = {
	250,	500,	 1000,	  2500,	   5000,    10000,   25000,   50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, INT64_MAX,
};

static struct mh_metrics *shm;

int mh_metrics_init(void)
{
	void *p;

	if (shm != NULL)
		return 0;
	p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	shm = p;
	atomic_store(&shm->master_pid, (int32_t)getpid());
	return 0;
}

struct mh_metrics *mh_metrics(void)
{
	return shm;
}

#define ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

void mh_metrics_request(size_t route_index, int status, int64_t duration_us, int round_trips)
{
	struct mh_route_metrics *m;
	size_t b = 0;

	if (shm == NULL)
		return;
	if (route_index > MH_METRICS_UNMATCHED)
		route_index = MH_METRICS_UNMATCHED;
	m = &shm->routes[route_index];
	ADD(m->by_class[status >= 100 && status < 600 ? status / 100 : 5], 1);
	while (b < MH_METRICS_BUCKETS - 1 && duration_us > mh_metrics_bucket_us[b])
		b++;
	ADD(m->buckets[b], 1);
	ADD(m->duration_us_sum, (uint64_t)(duration_us > 0 ? duration_us : 0));
	ADD(shm->db_round_trips[round_trips < MH_METRICS_RT_BUCKETS - 1
					? (round_trips < 0 ? 0 : round_trips)
					: MH_METRICS_RT_BUCKETS - 1],
	    1);
}

#define NSLOTS (sizeof(shm->in_flight_by_slot) / sizeof(shm->in_flight_by_slot[0]))
static size_t my_slot = (size_t)-1;

void mh_metrics_set_slot(size_t slot)
{
	my_slot = slot;
}

void mh_metrics_in_flight(int delta)
{
	if (shm == NULL)
		return;
	if (my_slot < NSLOTS)
		ADD(shm->in_flight_by_slot[my_slot], delta);
	else
		ADD(shm->in_flight, delta);
}

void mh_metrics_restart(enum mh_restart_cause cause)
{
	if (shm != NULL)
		ADD(shm->restarts[cause], 1);
}

void mh_metrics_db_error(void)
{
	if (shm != NULL)
		ADD(shm->db_errors, 1);
}

void mh_metrics_db_reconnect(void)
{
	if (shm != NULL)
		ADD(shm->db_reconnects, 1);
}

void mh_metrics_redis_error(void)
{
	if (shm != NULL)
		ADD(shm->redis_errors, 1);
}

void mh_metrics_ratelimit_fail_open(void)
{
	if (shm != NULL)
		ADD(shm->ratelimit_fail_open, 1);
}

void mh_metrics_ratelimit_refused(void)
{
	if (shm != NULL)
		ADD(shm->ratelimit_refused, 1);
}

void mh_metrics_events_error(void)
{
	if (shm != NULL)
		ADD(shm->events_errors, 1);
}

void mh_metrics_worker_pid(size_t slot, int pid)
{
	if (shm != NULL && slot < sizeof(shm->worker_pids) / sizeof(shm->worker_pids[0])) {
		atomic_store(&shm->worker_pids[slot], pid);
		/* Only when the worker is gone: a new one may be counting already. */
		if (pid == 0)
			atomic_store(&shm->in_flight_by_slot[slot], 0);
	}
}

#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

static long long in_flight_total(void)
{
	long long n = LOAD(shm->in_flight);

	for (size_t i = 0; i < NSLOTS; i++)
		n += LOAD(shm->in_flight_by_slot[i]);
	return n;
}

static long rss_bytes(int pid)
{
	char path[64];
	long pages = 0, resident = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static void render_route(struct mh_buf *b, const struct mh_route_metrics *m, const char *route,
			 const char *method)
{
	static const char *const classes[] = { "", "1xx", "2xx", "3xx", "4xx", "5xx" };
	uint64_t cumulative = 0;

	for (int c = 1; c < 6; c++) {
		uint64_t n = LOAD(m->by_class[c]);
		if (n == 0)
			continue;
		mh_buf_printf(b,
			      "menhir_http_requests_total{route=\"%s\",method=\"%s\","
			      "status_class=\"%s\"} %llu\n",
			      route, method, classes[c], (unsigned long long)n);
	}
	for (int i = 0; i < MH_METRICS_BUCKETS; i++)
		cumulative += LOAD(m->buckets[i]);
	if (cumulative == 0)
		return;
	cumulative = 0;
	for (int i = 0; i < MH_METRICS_BUCKETS; i++) {
		cumulative += LOAD(m->buckets[i]);
		if (i == MH_METRICS_BUCKETS - 1)
			mh_buf_printf(b,
				      "menhir_http_request_duration_seconds_bucket{route=\"%s\","
				      "method=\"%s\",le=\"+Inf\"} %llu\n",
				      route, method, (unsigned long long)cumulative);
		else
			mh_buf_printf(b,
				      "menhir_http_request_duration_seconds_bucket{route=\"%s\","
				      "method=\"%s\",le=\"%g\"} %llu\n",
				      route, method, (double)mh_metrics_bucket_us[i] / 1e6,
				      (unsigned long long)cumulative);
	}
	mh_buf_printf(b,
		      "menhir_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} %.6f\n"
		      "menhir_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} %llu\n",
		      route, method, (double)LOAD(m->duration_us_sum) / 1e6, route, method,
		      (unsigned long long)cumulative);
}

void mh_metrics_render(struct mh_buf *b)
{
	static const char *const causes[] = { "crash", "recycle", "timeout" };
	long rss_workers = 0;
	uint64_t rt_cum = 0, rt_total = 0;

	if (shm == NULL)
		return;
	mh_buf_puts(b, "# HELP menhir_http_requests_total Requests by route pattern, method and "
		       "status class.\n# TYPE menhir_http_requests_total counter\n");
	mh_buf_puts(b, "# HELP menhir_http_request_duration_seconds Time from the request's "
		       "arrival in a worker to its response.\n"
		       "# TYPE menhir_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < mh_router_count() && i < MH_METRICS_MAX_ROUTES; i++) {
		const struct mh_route *r = mh_router_at(i);
		render_route(b, &shm->routes[i], r->pattern, mh_method_name(r->method));
	}
	render_route(b, &shm->routes[MH_METRICS_UNMATCHED], "unmatched", "");

	mh_buf_printf(b,
		      "# HELP menhir_http_requests_in_flight Requests being served now.\n"
		      "# TYPE menhir_http_requests_in_flight gauge\n"
		      "menhir_http_requests_in_flight %lld\n",
		      in_flight_total());
	mh_buf_puts(b, "# HELP menhir_worker_restarts_total Workers replaced, by cause.\n"
		       "# TYPE menhir_worker_restarts_total counter\n");
	for (int c = 0; c < MH_RESTART__N; c++)
		mh_buf_printf(b, "menhir_worker_restarts_total{cause=\"%s\"} %llu\n", causes[c],
			      (unsigned long long)LOAD(shm->restarts[c]));
	mh_buf_printf(b,
		      "# HELP menhir_db_errors_total Failed PostgreSQL transactions.\n"
		      "# TYPE menhir_db_errors_total counter\nmenhir_db_errors_total %llu\n"
		      "# HELP menhir_db_reconnects_total New PostgreSQL connections after the first.\n"
		      "# TYPE menhir_db_reconnects_total counter\nmenhir_db_reconnects_total %llu\n",
		      (unsigned long long)LOAD(shm->db_errors),
		      (unsigned long long)LOAD(shm->db_reconnects));
	mh_buf_puts(b, "# HELP menhir_db_round_trips_per_request PostgreSQL round trips each "
		       "request made.\n# TYPE menhir_db_round_trips_per_request histogram\n");
	for (int i = 0; i < MH_METRICS_RT_BUCKETS; i++) {
		uint64_t n = LOAD(shm->db_round_trips[i]);
		rt_cum += n;
		rt_total += n * (uint64_t)i;
		if (i == MH_METRICS_RT_BUCKETS - 1)
			mh_buf_printf(b, "menhir_db_round_trips_per_request_bucket{le=\"+Inf\"} %llu\n",
				      (unsigned long long)rt_cum);
		else
			mh_buf_printf(b, "menhir_db_round_trips_per_request_bucket{le=\"%d\"} %llu\n",
				      i, (unsigned long long)rt_cum);
	}
	mh_buf_printf(b,
		      "menhir_db_round_trips_per_request_sum %llu\n"
		      "menhir_db_round_trips_per_request_count %llu\n",
		      (unsigned long long)rt_total, (unsigned long long)rt_cum);
	mh_buf_printf(b,
		      "# HELP menhir_redis_errors_total Failed Redis commands and connections.\n"
		      "# TYPE menhir_redis_errors_total counter\nmenhir_redis_errors_total %llu\n",
		      (unsigned long long)LOAD(shm->redis_errors));
	mh_buf_printf(b,
		      "# HELP menhir_events_publish_errors_total Live events nginx (nchan) did not "
		      "take.\n# TYPE menhir_events_publish_errors_total counter\n"
		      "menhir_events_publish_errors_total %llu\n",
		      (unsigned long long)LOAD(shm->events_errors));
	mh_buf_printf(b,
		      "# HELP menhir_ratelimit_fail_open_total Rate-limit checks let through "
		      "unchecked because Redis was unreachable or the limits could not be read.\n"
		      "# TYPE menhir_ratelimit_fail_open_total counter\n"
		      "menhir_ratelimit_fail_open_total %llu\n"
		      "# HELP menhir_ratelimit_refused_total Requests refused with 429 rate_limited.\n"
		      "# TYPE menhir_ratelimit_refused_total counter\n"
		      "menhir_ratelimit_refused_total %llu\n",
		      (unsigned long long)LOAD(shm->ratelimit_fail_open),
		      (unsigned long long)LOAD(shm->ratelimit_refused));
	for (size_t i = 0; i < sizeof(shm->worker_pids) / sizeof(shm->worker_pids[0]); i++) {
		int pid = LOAD(shm->worker_pids[i]);
		if (pid > 0)
			rss_workers += rss_bytes(pid);
	}
	mh_buf_printf(b,
		      "# HELP menhir_process_resident_memory_bytes Resident memory of the master "
		      "and of all workers together.\n"
		      "# TYPE menhir_process_resident_memory_bytes gauge\n"
		      "menhir_process_resident_memory_bytes{process=\"master\"} %ld\n"
		      "menhir_process_resident_memory_bytes{process=\"workers\"} %ld\n",
		      rss_bytes(LOAD(shm->master_pid)), rss_workers);
}
