/* it_metrics.c - /metrics: exact counts summed over workers, surviving a
 * worker's death, and served only on nginx's internal listener. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fcgi_client.h"
#include "helpers.h"

#define PING_2XX "menhir_http_requests_total{route=\"/api/v1/ping\",method=\"GET\",status_class=\"2xx\"}"
#define PING_COUNT "menhir_http_request_duration_seconds_count{route=\"/api/v1/ping\",method=\"GET\"}"
#define CRASHES "menhir_worker_restarts_total{cause=\"crash\"}"

static const char *socket_path(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/menhir.sock", t_env("MENHIR_TEST_STATE"));
	return path;
}

/* Scrapes straight from menhir's socket as nginx's internal listener would. */
static char *scrape(void)
{
	const char *params[] = {"REQUEST_METHOD",  "GET",         "DOCUMENT_URI",
	                        "/metrics",        "REMOTE_ADDR", "203.0.113.7",
	                        "MENHIR_LISTENER", "internal",    NULL};
	struct fcgi_reply r;

	cr_assert_eq(t_fcgi_get(socket_path(), params, &r), 0, "cannot reach menhir's socket");
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(strstr(r.headers, "Content-Type: text/plain; version=0.0.4") != NULL);
	free(r.headers);
	return r.body;
}

/* Value of the series named exactly `series` (name plus labels), 0 if absent. */
static double value(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return atof(line + n + 1);
	return 0;
}

static void pings(int n)
{
	for (int i = 0; i < n; i++) {
		struct http_response r;
		t_get("/api/v1/ping", &r);
		cr_assert_eq(r.status, 200);
		t_http_free(&r);
	}
}

Test(metrics, counts_a_known_number_of_requests_exactly)
{
	char *before = scrape(), *after;

	pings(37);
	after = scrape();
	cr_assert_eq(value(after, PING_2XX) - value(before, PING_2XX), 37.0);
	cr_assert_eq(value(after, PING_COUNT) - value(before, PING_COUNT), 37.0);
	cr_assert(strstr(after, "menhir_http_request_duration_seconds_bucket{route=\"/api/v1/ping\","
				"method=\"GET\",le=\"0.00025\"}") != NULL);
	cr_assert(strstr(after, "menhir_process_resident_memory_bytes{process=\"workers\"}") != NULL);
	free(before);
	free(after);
}

Test(metrics, errors_are_counted_by_status_class)
{
	const char *s404 = "menhir_http_requests_total{route=\"unmatched\",method=\"\",status_class=\"4xx\"}";
	char *before = scrape(), *after;
	struct http_response r;

	for (int i = 0; i < 5; i++) {
		t_get("/api/v1/definitely-not-here", &r);
		t_http_free(&r);
	}
	after = scrape();
	cr_assert_eq(value(after, s404) - value(before, s404), 5.0);
	free(before);
	free(after);
}

Test(metrics, keep_counting_after_workers_are_killed)
{
	char *before = scrape(), *after;
	pid_t pids[64];
	int n;

	pings(20);
	n = t_worker_pids(pids, 64);
	cr_assert(n >= 2);
	/* Kill every worker that served those pings: their counts must stay. */
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	cr_assert(t_wait_status("/api/v1/ping", 200, 15000), "pool did not come back");
	after = scrape();
	/* The probe above made at least one more ping. */
	cr_assert_geq(value(after, PING_2XX) - value(before, PING_2XX), 21.0);
	cr_assert_eq(value(after, CRASHES) - value(before, CRASHES), (double)n);
	free(before);
	free(after);
}

static void *slow_request(void *arg)
{
	struct http_response r;

	(void)arg;
	/* Its worker is killed mid-request: a transport error or a 502 is the expected end. */
	if (t_http("GET", "/api/v1/test/sleep?ms=4000", NULL, NULL, 0, &r) == 0)
		t_http_free(&r);
	return NULL;
}

/* A worker killed mid-request must not leave its request "in flight" forever. */
Test(metrics, in_flight_forgets_the_requests_of_dead_workers)
{
	pthread_t th;
	pid_t pids[64];
	char *text;
	int n, tries = 0;

	cr_assert_eq(pthread_create(&th, NULL, slow_request, NULL), 0);
	/* Wait until the slow request is in flight (the scrape itself is the other one). */
	for (;;) {
		text = scrape();
		if (value(text, "menhir_http_requests_in_flight") >= 2.0)
			break;
		free(text);
		/* Up to 10 s: on a loaded machine the request can take a while to get there. */
		cr_assert(++tries < 500, "the slow request never started");
		usleep(20000);
	}
	free(text);
	n = t_worker_pids(pids, 64);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	pthread_join(th, NULL);
	cr_assert(t_wait_status("/api/v1/ping", 200, 15000), "pool did not come back");
	text = scrape();
	cr_assert_eq(value(text, "menhir_http_requests_in_flight"), 1.0, "only the scrape is in flight");
	free(text);
}

/* Behind a load balancer every client looks private: the address must not decide. A
 * request from loopback without the internal listener's param is refused by Menhir
 * itself, as is one whose param is not exactly "internal", or that a client tried to
 * set as a header (which FastCGI hands over as HTTP_MENHIR_LISTENER). */
Test(metrics, refused_without_the_internal_listener_whatever_the_address)
{
	const char *loopback[] = {"REQUEST_METHOD", "GET",           "DOCUMENT_URI",
	                          "/metrics",       "REMOTE_ADDR",   "127.0.0.1",
	                          "REQUEST_ID",     "no-listener-1", NULL};
	const char *other[] = {"REQUEST_METHOD",  "GET",         "DOCUMENT_URI",
	                       "/metrics",        "REMOTE_ADDR", "10.0.0.1",
	                       "MENHIR_LISTENER", "public",      NULL};
	const char *header[] = {"REQUEST_METHOD",
	                        "GET",
	                        "DOCUMENT_URI",
	                        "/metrics",
	                        "REMOTE_ADDR",
	                        "10.0.0.1",
	                        "HTTP_MENHIR_LISTENER",
	                        "internal",
	                        NULL};
	const char *const *cases[] = {loopback, other, header};

	for (size_t i = 0; i < 3; i++) {
		struct fcgi_reply r;

		cr_assert_eq(t_fcgi_get(socket_path(), cases[i], &r), 0);
		cr_assert_eq(r.status, 403, "case %zu: %s", i, r.body);
		cr_assert(strstr(r.body, "\"error\":\"forbidden\"") != NULL, "%s", r.body);
		cr_assert(strstr(r.body, "menhir_http") == NULL);
		t_fcgi_free(&r);
	}
}

Test(metrics, served_on_the_internal_listener_only)
{
	struct http_response r;

	t_get_internal("/metrics", &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	cr_assert(strstr(r.body, "# TYPE menhir_http_requests_total counter") != NULL);
	t_http_free(&r);
	/* The public server block has no /metrics: its JSON 404, even from loopback. */
	t_get("/metrics", &r);
	t_assert_error(&r, 404, "not_found");
	cr_assert(strstr(r.body, "menhir_http") == NULL);
	t_http_free(&r);
	/* And the internal listener serves nothing else. */
	t_get_internal("/api/v1/ping", &r);
	t_assert_error(&r, 404, "not_found");
	t_http_free(&r);
}
