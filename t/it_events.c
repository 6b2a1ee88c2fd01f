/* it_events.c - live job events through nginx and nchan (core/events.c, jobs/stream.c): what
 * Menhir publishes reaches an authorized subscriber in order, including what was published
 * before it subscribed; only the job's tenant may subscribe; the internal subscriber location
 * is unreachable from outside; open streams hold no worker and are capped per address;
 * publishing is bounded in time when nginx does not answer; and a real job's stream shows
 * queued, running, succeeded in that order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "core/config.h"
#include "core/events.h"
#include "core/metrics.h"
#include "job_helpers.h"
#include "jsonschema.h"

TestSuite(events, .timeout = 120);

#define EVENTS_ROUTE "/api/v1/jobs/:id/events"

/* ---- Helpers ------------------------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stack's events settings (events_socket, events_timeout) in this process, as serve and
 * work have them. */
static void events_from_stack(void)
{
	struct mh_config cfg;
	char err[512];

	cr_assert_eq(mh_config_load(&cfg, t_env("MENHIR_CONFIG"), 1, err, sizeof(err)), 0, "%s",
	             err);
	mh_events_configure(&cfg);
}

/* A job row of tenant_id (NULL: a system job), finished, so no runner ever claims it. */
static void insert_job(const char *tenant_id, const char *created_by, char id[40])
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	const char *p[2] = {tenant_id, created_by};
	PGresult *r =
	        PQexecParams(su,
	                     "INSERT INTO jobs (tenant_id, kind, created_by, status, finished_at)"
	                     " VALUES ($1, 'events.test', $2, 'succeeded', now()) RETURNING id",
	                     2, NULL, p, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
	snprintf(id, 40, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(su);
}

static void publish_ok(const char *channel, const char *json)
{
	cr_assert_eq(mh_events_publish(channel, json, strlen(json)), 0, "publish to %s failed",
	             channel);
}

/* One subscription read until `want` events arrived (or the deadline). on_open runs once,
 * when nginx's first bytes arrive (the stream is then registered with nchan). */
struct stream {
	char body[16384];
	size_t len;
	int want;
	int opened;
	void (*on_open)(void *arg);
	void *arg;
};

/* "data:" lines so far: one per event, since Menhir's messages are one-line JSON. */
static int count_events(const struct stream *s)
{
	int n = 0;

	for (const char *p = s->body; (p = strstr(p, "data:")) != NULL; p += 5)
		if (p == s->body || p[-1] == '\n')
			n++;
	return n;
}

static size_t stream_data(char *ptr, size_t size, size_t n, void *userdata)
{
	struct stream *s = userdata;
	size_t add = size * n;

	if (add > sizeof(s->body) - 1 - s->len)
		add = sizeof(s->body) - 1 - s->len;
	memcpy(s->body + s->len, ptr, add);
	s->len += add;
	s->body[s->len] = '\0';
	if (!s->opened) {
		s->opened = 1;
		if (s->on_open != NULL)
			s->on_open(s->arg);
	}
	/* Returning less than given stops the transfer: the client closes after the last event. */
	return s->want > 0 && count_events(s) >= s->want ? 0 : size * n;
}

/* GETs path with an event-stream Accept (unless accept is NULL) and a bearer token (may be
 * NULL); returns the status; s->body holds what arrived and content_type (may be NULL) the
 * Content-Type. */
static long subscribe(const char *path, const char *token, const char *accept, struct stream *s,
                      int timeout_ms, char *content_type, size_t ctlen)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512], auth[4200], acc[128];
	long status = 0;
	char *ct = NULL;

	snprintf(url, sizeof(url), "%s%s", t_env("MENHIR_TEST_BASE_URL"), path);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h = curl_slist_append(h, acc);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (content_type != NULL)
		snprintf(content_type, ctlen, "%s", ct ? ct : "");
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

/* The value of "status" in the data of the n-th event (0-based) of s, or "". */
static const char *event_status(const struct stream *s, int n, char *out, size_t outlen)
{
	const char *p = s->body;
	json_object *o, *v;

	out[0] = '\0';
	for (int i = 0; p != NULL; i++) {
		p = strstr(p, "data:");
		if (p == NULL)
			break;
		if (p != s->body && p[-1] != '\n') {
			p += 5;
			i--;
			continue;
		}
		p += 5;
		if (i == n) {
			char line[8192];

			snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
			o = json_tokener_parse(line);
			if (o != NULL && json_object_object_get_ex(o, "status", &v))
				snprintf(out, outlen, "%s", json_object_get_string(v));
			json_object_put(o);
			break;
		}
	}
	return out;
}

static void events_path(const char *job, char *out, size_t outlen)
{
	snprintf(out, outlen, "/api/v1/jobs/%s/events", job);
}

/* ---- Publishing and delivery -------------------------------------------------------------- */

struct live {
	char channel[64];
};

static void publish_live(void *arg)
{
	struct live *l = arg;

	publish_ok(l->channel, "{\"status\":\"live\"}");
}

Test(events, published_events_reach_a_subscriber_in_order_including_earlier_ones)
{
	struct t_session s;
	struct stream st = {.want = 4};
	struct live l;
	char job[40], path[128], ct[128], st0[32], st1[32], st2[32], st3[32];
	long status;

	t_auth_signup(&s, "ev-order");
	insert_job(s.tenant_id, s.user_id, job);
	events_from_stack();
	snprintf(l.channel, sizeof(l.channel), "job-%s", job);
	/* Before anyone subscribed: nchan keeps them (nchan_subscriber_first_message oldest). */
	publish_ok(l.channel, "{\"status\":\"queued\"}");
	publish_ok(l.channel, "{\"status\":\"running\"}");
	publish_ok(l.channel, "{\"status\":\"succeeded\"}");
	st.on_open = publish_live;
	st.arg = &l;
	events_path(job, path, sizeof(path));
	status = subscribe(path, s.access, "text/event-stream", &st, 30000, ct, sizeof(ct));
	cr_assert_eq(status, 200, "%ld %s", status, st.body);
	cr_assert(strncmp(ct, "text/event-stream", 17) == 0, "Content-Type %s", ct);
	{
		char err[2048];

		cr_expect_eq(t_contract_validate_ex("GET", EVENTS_ROUTE, status, ct, NULL, st.body,
		                                    err, sizeof(err)),
		             0, "%s", err);
	}
	cr_assert_eq(count_events(&st), 4, "events: %s", st.body);
	cr_expect_str_eq(event_status(&st, 0, st0, sizeof(st0)), "queued", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 1, st1, sizeof(st1)), "running", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 2, st2, sizeof(st2)), "succeeded", "%s", st.body);
	/* Published while the stream was open: delivered live, not only on reconnect. */
	cr_expect_str_eq(event_status(&st, 3, st3, sizeof(st3)), "live", "%s", st.body);
}

Test(events, a_stream_is_separate_from_other_jobs_streams)
{
	struct t_session s;
	struct stream st = {.want = 1};
	char job1[40], job2[40], ch[64], path[128], got[32];

	t_auth_signup(&s, "ev-sep");
	insert_job(s.tenant_id, s.user_id, job1);
	insert_job(s.tenant_id, s.user_id, job2);
	events_from_stack();
	snprintf(ch, sizeof(ch), "job-%s", job1);
	publish_ok(ch, "{\"status\":\"other\"}");
	snprintf(ch, sizeof(ch), "job-%s", job2);
	publish_ok(ch, "{\"status\":\"mine\"}");
	events_path(job2, path, sizeof(path));
	cr_assert_eq(subscribe(path, s.access, "text/event-stream", &st, 30000, NULL, 0), 200);
	cr_assert_str_eq(event_status(&st, 0, got, sizeof(got)), "mine", "%s", st.body);
	cr_assert(strstr(st.body, "other") == NULL, "%s", st.body);
}

/* ---- Who may subscribe -------------------------------------------------------------------- */

/* A short look at a stream that must not open: the error envelope through nginx. */
static void expect_refused(const char *path, const char *token, const char *accept, long want,
                           const char *code)
{
	struct http_response r;
	const char *h[3] = {NULL, NULL, NULL};
	char auth[4200], acc[128];
	int n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h[n++] = acc;
	}
	cr_assert_eq(t_http_request(NULL, "GET", path, h, NULL, 0, &r), 0, "%s: transport error",
	             path);
	if (code != NULL) {
		char err[2048], *ct = t_header(&r, "Content-Type");

		t_assert_error(&r, want, code);
		/* As doc/openapi.json documents it. */
		cr_expect_eq(t_contract_validate_ex("GET", EVENTS_ROUTE, r.status, ct ? ct : "",
		                                    r.headers, r.body, err, sizeof(err)),
		             0, "%s: %s", path, err);
		free(ct);
	} else {
		cr_assert_eq(r.status, want, "%s: %ld %s", path, r.status, r.body);
	}
	t_http_free(&r);
}

Test(events, only_the_job_s_tenant_may_subscribe)
{
	struct t_session a, viewer, b;
	struct stream st = {.want = 1};
	char job[40], sys[40], path[128], got[32], ch[160];

	t_auth_signup(&a, "ev-auth-a");
	t_auth_member(&viewer, &a, "viewer", "ev-auth-v");
	t_auth_signup(&b, "ev-auth-b");
	insert_job(a.tenant_id, a.user_id, job);
	insert_job(NULL, NULL, sys);
	events_path(job, path, sizeof(path));

	/* Another tenant's owner: the job does not exist for them. */
	expect_refused(path, b.access, "text/event-stream", 404, "not_found");
	/* No token: the dispatcher refuses before anything else. */
	expect_refused(path, NULL, "text/event-stream", 401, "unauthenticated");
	/* A system job belongs to no tenant. */
	events_path(sys, path, sizeof(path));
	expect_refused(path, a.access, "text/event-stream", 404, "not_found");
	/* Malformed ids name no job. */
	expect_refused("/api/v1/jobs/not-a-uuid/events", a.access, "text/event-stream", 404,
	               "not_found");
	events_path(job, path, sizeof(path));
	/* Input the route does not take, and a client that cannot read an event stream. */
	snprintf(ch, sizeof(ch), "%s?since=1", path);
	expect_refused(ch, a.access, "text/event-stream", 400, "validation_failed");
	expect_refused(path, a.access, NULL, 406, "not_acceptable");
	expect_refused(path, a.access, "application/json", 406, "not_acceptable");

	/* The lowest role of the tenant may watch. */
	events_from_stack();
	snprintf(ch, sizeof(ch), "job-%s", job);
	publish_ok(ch, "{\"status\":\"queued\"}");
	cr_assert_eq(subscribe(path, viewer.access, "text/event-stream", &st, 30000, NULL, 0), 200,
	             "%s", st.body);
	cr_assert_str_eq(event_status(&st, 0, got, sizeof(got)), "queued", "%s", st.body);
}

Test(events, the_internal_subscriber_location_is_not_reachable_from_outside)
{
	struct t_session s;
	char job[40], path[160];

	t_auth_signup(&s, "ev-internal");
	insert_job(s.tenant_id, s.user_id, job);
	events_from_stack();
	snprintf(path, sizeof(path), "job-%s", job);
	publish_ok(path, "{\"status\":\"queued\"}");
	snprintf(path, sizeof(path), "/_events/sub/job-%s", job);
	/* Neither with nor without a token: only Menhir's X-Accel-Redirect reaches it. */
	expect_refused(path, NULL, "text/event-stream", 404, NULL);
	expect_refused(path, s.access, "text/event-stream", 404, NULL);
}

/* ---- Streams hold nginx connections, not workers ----------------------------------------- */

struct held {
	CURL *h;
	struct stream s;
	int done;
	long status;
};

/* Opens streams[0..n) one after another from address iface (NULL: any), each to its
 * open or its refusal, and keeps them open in m. */
static void hold_streams(CURLM *m, struct held *hs, int n, const char *path, const char *iface,
                         struct curl_slist *hdrs)
{
	for (int i = 0; i < n; i++) {
		struct held *x = &hs[i];
		long long deadline = now_ms() + 30000;

		memset(&x->s, 0, sizeof(x->s));
		x->done = 0;
		x->status = 0;
		x->h = curl_easy_init();
		curl_easy_setopt(x->h, CURLOPT_URL, path);
		curl_easy_setopt(x->h, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, hdrs);
		/* One connection per stream, as separate browsers would have. */
		curl_easy_setopt(x->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(x->h, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(x->h, CURLOPT_FRESH_CONNECT, 1L);
		if (iface != NULL)
			curl_easy_setopt(x->h, CURLOPT_INTERFACE, iface);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, stream_data);
		curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->s);
		curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
		curl_multi_add_handle(m, x->h);
		while (!x->s.opened && !x->done && now_ms() < deadline) {
			int running;
			CURLMsg *msg;

			curl_multi_perform(m, &running);
			while ((msg = curl_multi_info_read(m, &running)) != NULL) {
				struct held *d;

				if (msg->msg != CURLMSG_DONE)
					continue;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
				d->done = 1;
			}
			curl_multi_poll(m, NULL, 0, 50, NULL);
		}
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	}
}

static void release_streams(CURLM *m, struct held *hs, int n)
{
	for (int i = 0; i < n; i++) {
		curl_multi_remove_handle(m, hs[i].h);
		curl_easy_cleanup(hs[i].h);
	}
}

static struct curl_slist *stream_headers(const char *token)
{
	char auth[4200];
	struct curl_slist *h = curl_slist_append(NULL, "Accept: text/event-stream");

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	return curl_slist_append(h, auth);
}

/* menhir_http_requests_in_flight as one scrape of /metrics sees it (itself included). */
static long long in_flight_now(void)
{
	struct http_response r;
	const char *at;
	long long n;

	t_get_internal("/metrics", &r);
	at = strstr(r.body, "\nmenhir_http_requests_in_flight ");
	cr_assert_not_null(at, "%.300s", r.body);
	n = atoll(at + strlen("\nmenhir_http_requests_in_flight "));
	t_http_free(&r);
	return n;
}

/* The stack runs 2 workers; 8 open streams would starve the pool if each held one. */
Test(events, open_streams_hold_no_worker)
{
	enum { N = 8 };
	static struct held hs[N];
	struct t_session s;
	struct curl_slist *h;
	char job[40], url[256];
	CURLM *m = curl_multi_init();

	long long in_flight_before;

	t_auth_signup(&s, "ev-workers");
	insert_job(s.tenant_id, s.user_id, job);
	snprintf(url, sizeof(url), "%s/api/v1/jobs/%s/events", t_env("MENHIR_TEST_BASE_URL"), job);
	/* The gauge before the streams: not always 1 (a worker killed mid-request by an
	 * earlier suite never gave its request back), so the streams are judged by the change. */
	in_flight_before = in_flight_now();
	h = stream_headers(s.access);
	hold_streams(m, hs, N, url, NULL, h);
	for (int i = 0; i < N; i++)
		cr_assert(hs[i].s.opened && !hs[i].done && hs[i].status == 200,
		          "stream %d: status %ld done %d: %s", i, hs[i].status, hs[i].done,
		          hs[i].s.body);
	/* Every stream still open, and the API answers. No clock: were the streams holding the
	 * workers, a ping would wait for one until nginx's timeout (a 504), and the gauge below
	 * would count them; a wall-clock bound would only measure how busy the machine is. */
	for (int i = 0; i < 10; i++) {
		struct http_response r;

		t_get("/api/v1/ping", &r);
		cr_assert_eq(r.status, 200, "ping %d with %d streams open: %s", i, N, r.body);
		t_http_free(&r);
	}
	/* In flight in Menhir: what was before, nothing more for the open streams. */
	cr_assert_eq(in_flight_now(), in_flight_before, "%d open streams hold workers", N);
	release_streams(m, hs, N);
	curl_slist_free_all(h);
	curl_multi_cleanup(m);
}

/* nginx's limit_conn on the subscriber location: 100 open streams per client address
 * (127.0.0.2 is not exempt from rate limits on the test stack). */
Test(events, open_streams_are_capped_per_address)
{
	enum { CAP = 100 };
	static struct held hs[CAP + 1];
	struct t_session s;
	struct curl_slist *h;
	char job[40], url[256], log[512], line[4096], want[128];
	CURLM *m = curl_multi_init();
	FILE *f;
	int limited = 0;
	long before;

	t_auth_signup(&s, "ev-cap");
	insert_job(s.tenant_id, s.user_id, job);
	snprintf(url, sizeof(url), "%s/api/v1/jobs/%s/events", t_env("MENHIR_TEST_BASE_URL"), job);
	snprintf(log, sizeof(log), "%s/nginx/access.log", t_env("MENHIR_TEST_STATE"));
	f = fopen(log, "r");
	cr_assert(f != NULL, "cannot read %s", log);
	fseek(f, 0, SEEK_END);
	before = ftell(f);
	h = stream_headers(s.access);
	for (int i = 0; i < CAP; i++) {
		hold_streams(m, &hs[i], 1, url, "127.0.0.2", h);
		cr_assert(hs[i].s.opened && !hs[i].done && hs[i].status == 200,
		          "stream %d: status %ld: %s", i, hs[i].status, hs[i].s.body);
		/* Under the API's request rate (limit_req), so only limit_conn can refuse. */
		usleep(25000);
	}
	hold_streams(m, &hs[CAP], 1, url, "127.0.0.2", h);
	cr_expect_eq(hs[CAP].status, 429, "stream %d: %ld %s", CAP + 1, hs[CAP].status,
	             hs[CAP].s.body);
	cr_expect(strstr(hs[CAP].s.body, "\"error\":\"rate_limited\"") != NULL, "%s",
	          hs[CAP].s.body);
	/* Refused in the subscriber location (limit_conn), not by the API's limit_req: nginx's
	 * access log names the URI after Menhir's redirect. */
	snprintf(want, sizeof(want), "\"uri\":\"/_events/sub/job-%s\",", job);
	fseek(f, before, SEEK_SET);
	while (fgets(line, sizeof(line), f) != NULL)
		limited |= strstr(line, want) != NULL && strstr(line, "\"status\":429,") != NULL;
	fclose(f);
	cr_expect(limited, "no 429 for %s in %s", want, log);
	/* Another address is not affected. */
	{
		struct held other;

		hold_streams(m, &other, 1, url, "127.0.0.1", h);
		cr_expect_eq(other.status, 200, "%s", other.s.body);
		release_streams(m, &other, 1);
	}
	release_streams(m, hs, CAP + 1);
	curl_slist_free_all(h);
	curl_multi_cleanup(m);
}

/* ---- Publishing when nginx does not take the message --------------------------------------- */

static struct mh_config base_config(const char *socket, int timeout_ms)
{
	struct mh_config cfg;

	mh_config_defaults(&cfg);
	snprintf(cfg.events_socket, sizeof(cfg.events_socket), "%s", socket);
	cfg.events_timeout = timeout_ms;
	return cfg;
}

Test(events, publishing_fails_fast_and_bounded_and_is_counted)
{
	char dir[] = "/tmp/mh-events-XXXXXX", path[64];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct mh_config cfg;
	long long t0;
	int fd;

	cr_assert_eq(mh_metrics_init(), 0);
	cr_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/silent.sock", dir);

	/* No nginx behind the path: refused at once. */
	cfg = base_config(path, 300);
	mh_events_configure(&cfg);
	cr_assert_eq(mh_events_publish("job-x", "{}", 2), -1);
	cr_assert_eq(atomic_load(&mh_metrics()->events_errors), 1);

	/* A listener that never answers: the publish gives up after events_timeout. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 8), 0);
	t0 = now_ms();
	cr_assert_eq(mh_events_publish("job-x", "{}", 2), -1);
	cr_assert_geq(now_ms() - t0, 250, "gave up after %lld ms", now_ms() - t0);
	/* Bounded, not hanging: generous, since a loaded machine can be late to wake us. */
	cr_assert_lt(now_ms() - t0, 3000, "took %lld ms for a 300 ms bound", now_ms() - t0);
	cr_assert_eq(atomic_load(&mh_metrics()->events_errors), 2);
	close(fd);
	unlink(path);
	rmdir(dir);

	/* Channels nginx's locations would not match are refused before any I/O. */
	events_from_stack();
	cr_assert_eq(mh_events_publish("", "{}", 2), -1);
	cr_assert_eq(mh_events_publish("job/../x", "{}", 2), -1);
	cr_assert_eq(mh_events_publish("job x", "{}", 2), -1);
	{
		char longest[102];

		memset(longest, 'a', 101);
		longest[101] = '\0';
		cr_assert_eq(mh_events_publish(longest, "{}", 2), -1);
		longest[100] = '\0';
		cr_assert_eq(mh_events_publish(longest, "{}", 2), 0);
	}
	cr_assert_eq(atomic_load(&mh_metrics()->events_errors), 6);

	/* Switched off (events_socket = ""): nothing to do, nothing failed. */
	cfg = base_config("", 300);
	mh_events_configure(&cfg);
	cr_assert_eq(mh_events_publish("job-x", "{}", 2), 0);
	cr_assert_eq(atomic_load(&mh_metrics()->events_errors), 6);
}

/* ---- Real jobs, end to end (the runner: `menhir work` on the stack) ---------------------- */

/* The job id in {"data":{"ids":["…"]}} (POST /api/v1/test/jobs) or {"data":{"job_id":"…"}}. */
static void first_job_id(const struct http_response *r, char job[40])
{
	json_object *root = json_tokener_parse(r->body), *data, *v;

	cr_assert(root != NULL && json_object_object_get_ex(root, "data", &data), "%s", r->body);
	if (json_object_object_get_ex(data, "ids", &v))
		v = json_object_array_get_idx(v, 0);
	else
		cr_assert(json_object_object_get_ex(data, "job_id", &v), "%s", r->body);
	snprintf(job, 40, "%s", json_object_get_string(v));
	json_object_put(root);
}

/* The runner announces what it does: claimed (running), back in the queue after a failed
 * attempt (queued), and done (succeeded), in that order, each event the job's JSON. */
Test(events, the_runner_s_status_changes_arrive_in_order)
{
	struct t_session s;
	struct stream st = {.want = 4};
	struct http_response r;
	char job[40], path[128], e[4][32];

	t_auth_signup(&s, "ev-runner");
	/* test.echo (test routes only): the first attempt fails, the second succeeds. */
	t_doc_request("POST", "/api/v1/test/jobs", s.access, NULL,
	              "{\"payload\":{\"fail_until\":1}}", &r);
	cr_assert_eq(r.status, 201, "%s", r.body);
	first_job_id(&r, job);
	t_http_free(&r);
	events_path(job, path, sizeof(path));
	/* Whenever the subscription lands, the buffered events come first, oldest first. */
	cr_assert_eq(subscribe(path, s.access, "text/event-stream", &st, 30000, NULL, 0), 200, "%s",
	             st.body);
	cr_assert_eq(count_events(&st), 4, "events: %s", st.body);
	cr_expect_str_eq(event_status(&st, 0, e[0], sizeof(e[0])), "running", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 1, e[1], sizeof(e[1])), "queued", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 2, e[2], sizeof(e[2])), "running", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 3, e[3], sizeof(e[3])), "succeeded", "%s", st.body);
	cr_expect(strstr(st.body, job) != NULL, "%s", st.body);
}

static void enable_feature(const char *tenant_id, const char *feature)
{
	PGconn *su = t_pg("MENHIR_TEST_PG_SUPER");
	const char *p[2] = {tenant_id, feature};
	PGresult *r = PQexecParams(su,
	                           "INSERT INTO tenant_features (tenant_id, feature, enabled)"
	                           " VALUES ($1, $2, true)"
	                           " ON CONFLICT (tenant_id, feature) DO UPDATE SET enabled = true",
	                           2, NULL, p, NULL, NULL, 0);

	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(su));
	PQclear(r);
	PQfinish(su);
}

Test(events, a_processed_document_s_stream_shows_queued_running_succeeded)
{
	struct t_session s;
	struct stream st = {.want = 3};
	struct http_response r;
	char doc[40], job[40], path[128], process[128], a[32], b[32], c[32];

	t_auth_signup(&s, "ev-real");
	enable_feature(s.tenant_id, "stats");
	t_doc_create(&s, "{\"title\":\"Events\",\"body\":\"one two three two one\"}", doc);
	snprintf(process, sizeof(process), "/api/v1/documents/%s/process", doc);
	t_doc_request("POST", process, s.access, NULL, "{\"feature\":\"stats\"}", &r);
	cr_assert_eq(r.status, 202, "%s", r.body);
	first_job_id(&r, job);
	t_http_free(&r);

	/* Subscribing after the job may already have finished: the buffered events replay. */
	events_path(job, path, sizeof(path));
	cr_assert_eq(subscribe(path, s.access, "text/event-stream", &st, 30000, NULL, 0), 200, "%s",
	             st.body);
	cr_assert_eq(count_events(&st), 3, "events: %s", st.body);
	cr_expect_str_eq(event_status(&st, 0, a, sizeof(a)), "queued", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 1, b, sizeof(b)), "running", "%s", st.body);
	cr_expect_str_eq(event_status(&st, 2, c, sizeof(c)), "succeeded", "%s", st.body);
	/* Each event is the job as GET /jobs/:id shows it. */
	cr_expect(strstr(st.body, job) != NULL, "%s", st.body);
}
