/* it_cluster.c - any host serves any request: run against script/cluster (two app hosts
 * behind a load balancer, one PostgreSQL, one Redis), from its lb namespace, by bench/faults
 * or by hand: `script/cluster exec DIR lb sh -c '. DIR/env && t/it_cluster'`. Skipped on
 * the single-host stack of script/test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "core/config.h"
#include "core/events.h"
#include "core/redis.h"
#include "helpers.h"

static void only_on_a_cluster(void)
{
	if (getenv("MENHIR_TEST_HOST_A_URL") == NULL)
		cr_skip_test("not a cluster (script/cluster describes one in its env file)");
}

TestSuite(cluster, .init = only_on_a_cluster, .timeout = 60);

#define PASSWORD "cluster-password-1234"

static const char *host(char h)
{
	return t_env(h == 'a' ? "MENHIR_TEST_HOST_A_URL" : "MENHIR_TEST_HOST_B_URL");
}

/* A request to one host directly (not through the load balancer). */
static void on(char h, const char *method, const char *path, const char *token, const char *extra,
               const char *json, struct http_response *r)
{
	char auth[4200];
	const char *headers[4] = {NULL};
	size_t n = 0;

	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers[n++] = auth;
	}
	if (json != NULL)
		headers[n++] = "Content-Type: application/json";
	if (extra != NULL)
		headers[n++] = extra;
	cr_assert_eq(
	        t_http_request(host(h), method, path, headers, json, json ? strlen(json) : 0, r), 0,
	        "%s %s on host %c: transport error", method, path, h);
}

static const char *data_str(const struct http_response *r, const char *key, char *out,
                            size_t outlen)
{
	json_object *root = json_tokener_parse(r->body), *data, *v;

	cr_assert(root != NULL && json_object_object_get_ex(root, "data", &data) &&
	                  json_object_object_get_ex(data, key, &v),
	          "no data.%s in %s", key, r->body);
	snprintf(out, outlen, "%s", json_object_get_string(v));
	json_object_put(root);
	return out;
}

/* Signs up on host h; the access token goes to token[4096], the tenant and user ids to ids
 * (may be NULL). */
static void signup_on(char h, const char *tag, char token[4096], char tenant[40], char user[40])
{
	char body[256];
	struct http_response r;
	static int n;

	snprintf(body, sizeof(body),
	         "{\"email\":\"%s-%d-%d@example.test\",\"password\":\"" PASSWORD
	         "\",\"tenant_name\":\"Cluster\"}",
	         tag, (int)getpid(), ++n);
	on(h, "POST", "/api/v1/auth/signup", NULL, NULL, body, &r);
	cr_assert_eq(r.status, 201, "signup on %c: %ld %s", h, r.status, r.body);
	data_str(&r, "access_token", token, 4096);
	t_http_free(&r);
	if (tenant == NULL)
		return;
	on(h, "GET", "/api/v1/users/me", token, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	data_str(&r, "id", user, 40);
	t_http_free(&r);
	on(h, "GET", "/api/v1/tenants/current", token, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	data_str(&r, "id", tenant, 40);
	t_http_free(&r);
}

Test(cluster, a_token_minted_on_one_host_is_accepted_by_the_other)
{
	char token[4096];
	struct http_response r;

	signup_on('a', "tok", token, NULL, NULL);
	on('b', "GET", "/api/v1/documents", token, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "host b: %ld %s", r.status, r.body);
	t_http_free(&r);
}

/* Revocation is every host's at once: the revoking host publishes it on Redis and every
 * other host's master applies it to its own table. */
Test(cluster, a_revocation_on_one_host_is_enforced_by_the_other)
{
	char token[4096];
	struct http_response r;
	long status = 0;

	signup_on('a', "rev", token, NULL, NULL);
	on('b', "GET", "/api/v1/documents", token, NULL, NULL, &r);
	cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
	t_http_free(&r);
	on('a', "POST", "/api/v1/auth/logout-all", token, NULL, NULL, &r);
	cr_assert_eq(r.status, 204, "%ld %s", r.status, r.body);
	t_http_free(&r);
	for (int i = 0; i < 20 && status != 401; i++) {
		struct timespec ts = {0, 50 * 1000000L};

		on('b', "GET", "/api/v1/documents", token, NULL, NULL, &r);
		status = r.status;
		t_http_free(&r);
		if (status != 401)
			nanosleep(&ts, NULL);
	}
	cr_assert_eq(status, 401, "host b still accepts a token revoked on host a after 1 s");
}

Test(cluster, an_idempotency_key_replays_on_the_other_host)
{
	char token[4096], first[40], second[40], key[96];
	const char *body = "{\"title\":\"once\",\"body\":\"b\"}";
	struct http_response r;

	signup_on('a', "idem", token, NULL, NULL);
	snprintf(key, sizeof(key), "Idempotency-Key: cluster-%d-%ld", (int)getpid(),
	         (long)time(NULL));
	on('a', "POST", "/api/v1/documents", token, key, body, &r);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	data_str(&r, "id", first, sizeof(first));
	t_http_free(&r);
	on('b', "POST", "/api/v1/documents", token, key, body, &r);
	cr_assert_eq(r.status, 201, "the retry on host b: %ld %s", r.status, r.body);
	data_str(&r, "id", second, sizeof(second));
	t_http_free(&r);
	cr_assert_str_eq(second, first, "host b made a second document");
}

/* ---- Live events across hosts ------------------------------------------------------------
 * The cluster sets events_relay: a publisher PUBLISHes on Redis and every host's serve
 * master passes the event to its own nginx (core/events_relay.h). This process publishes
 * as host a's serve or work would, with host a's configuration. */

struct stream {
	char body[8192];
	size_t len;
	int opened;
	const char *channel;
	const char *const *publish; /* published once the stream is open, in order */
	const char *until;          /* the stream is read until this appears */
};

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
		for (const char *const *m = s->publish; *m != NULL; m++)
			cr_assert_eq(mh_events_publish(s->channel, *m, strlen(*m)), 0,
			             "publishing %s on host a failed", *m);
	}
	return strstr(s->body, s->until) != NULL ? 0 : size * n;
}

/* Host a's publisher settings in this process; redis_url replaced when not NULL. */
static void publish_as_host_a(const char *redis_url)
{
	struct mh_config cfg;
	char err[512];

	cr_assert_eq(mh_config_load(&cfg, t_env("MENHIR_TEST_HOST_A_CONFIG"), 1, err, sizeof(err)),
	             0, "%s", err);
	cr_assert(cfg.events_relay, "the cluster's hosts should relay events through Redis");
	if (redis_url != NULL)
		snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", redis_url);
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	mh_events_configure(&cfg);
}

/* A finished job of a fresh tenant's (so no runner touches it); its event channel goes to
 * channel[64], its id to id[40]; the owner's token to token[4096]. */
static void finished_job(char token[4096], char channel[64], char id[40])
{
	char tenant[40], user[40];
	PGconn *su;
	PGresult *res;
	const char *p[2];

	signup_on('a', "ev", token, tenant, user);
	su = t_pg("MENHIR_TEST_PG_SUPER");
	p[0] = tenant;
	p[1] = user;
	res = PQexecParams(su,
	                   "INSERT INTO jobs (tenant_id, kind, created_by, status, finished_at)"
	                   " VALUES ($1, 'events.test', $2, 'succeeded', now()) RETURNING id",
	                   2, NULL, p, NULL, NULL, 0);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(su));
	snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	snprintf(channel, 64, "job-%s", id);
	PQclear(res);
	PQfinish(su);
}

/* Opens the job's event stream on host h and reads it as struct stream says (8 s at most). */
static void read_stream(char h, const char *token, const char *id, struct stream *st)
{
	char url[256], auth[4200];
	struct curl_slist *hd = NULL;
	CURL *c;
	long status = 0;

	snprintf(url, sizeof(url), "%s/api/v1/jobs/%s/events", host(h), id);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	hd = curl_slist_append(hd, auth);
	hd = curl_slist_append(hd, "Accept: text/event-stream");
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, t_env("MENHIR_TEST_CA"));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 8000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	cr_assert_eq(status, 200, "host %c: %ld %s", h, status, st->body);
}

static int occurrences(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

Test(cluster, an_event_published_on_one_host_reaches_a_stream_on_the_other)
{
	char token[4096], channel[64], id[40];
	const char *const msgs[] = {"{\"status\":\"from-host-a\"}", NULL};
	struct stream st = {.channel = channel, .publish = msgs, .until = "from-host-a"};

	finished_job(token, channel, id);
	publish_as_host_a(NULL);
	read_stream('b', token, id, &st);
	cr_assert(strstr(st.body, "from-host-a") != NULL,
	          "the stream on host b never got host a's event: %s", st.body);
}

/* Every event takes the one path through Redis, the publishing host's own included: a
 * stream on host a gets each of host a's events once, in order. */
Test(cluster, an_event_reaches_a_stream_on_its_own_host_once_and_in_order)
{
	char token[4096], channel[64], id[40];
	const char *const msgs[] = {"{\"status\":\"first\"}", "{\"status\":\"second\"}",
	                            "{\"status\":\"last\"}", NULL};
	struct stream st = {.channel = channel, .publish = msgs, .until = "\"last\""};
	const char *first, *second, *last;

	finished_job(token, channel, id);
	publish_as_host_a(NULL);
	read_stream('a', token, id, &st);
	cr_assert_eq(occurrences(st.body, "\"first\""), 1, "%s", st.body);
	cr_assert_eq(occurrences(st.body, "\"second\""), 1, "%s", st.body);
	first = strstr(st.body, "\"first\"");
	second = strstr(st.body, "\"second\"");
	last = strstr(st.body, "\"last\"");
	cr_assert(first != NULL && second != NULL && last != NULL && first < second &&
	                  second < last,
	          "events out of order: %s", st.body);
}

/* Live events are best effort and never depend on Redis for the host's own streams: with
 * Redis unreachable the publisher hands the event to its own nginx. */
Test(cluster, without_redis_an_event_still_reaches_a_stream_on_its_own_host)
{
	char token[4096], channel[64], id[40];
	const char *const msgs[] = {"{\"status\":\"no-redis\"}", NULL};
	struct stream st = {.channel = channel, .publish = msgs, .until = "no-redis"};
	char url[512];
	const char *port;

	/* The cluster's Redis URL with port 1, where nothing listens: connections are refused. */
	snprintf(url, sizeof(url), "%s", t_env("MENHIR_TEST_REDIS_URL"));
	port = strrchr(url, ':');
	cr_assert(port != NULL, "no port in %s", url);
	snprintf(url + (port - url), sizeof(url) - (size_t)(port - url), ":1");
	finished_job(token, channel, id);
	publish_as_host_a(url);
	read_stream('a', token, id, &st);
	cr_assert(strstr(st.body, "no-redis") != NULL,
	          "the stream on host a never got the event published without Redis: %s", st.body);
}
