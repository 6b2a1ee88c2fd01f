/* unit_events_relay.c - live events relayed through Redis (core/events.c with events_relay,
 * core/events_relay.c): a stand-in for nginx's nchan publisher on a unix socket, the
 * stack's Redis (MENHIR_TEST_REDIS_URL; skipped without it, as under script/test it is set). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <hiredis/hiredis.h>

#include "core/config.h"
#include "core/events.h"
#include "core/events_relay.h"
#include "core/metrics.h"
#include "core/redis.h"

/* The stand-in for nchan: answers 201 to every publish (or, silent, never answers) and
 * remembers what it was sent. */
static struct {
	char dir[32];
	char path[64];
	int fd;
	int silent;
	pthread_t thread;
	atomic_int stop;
	atomic_int requests;
	char last[512]; /* the last request, head and body */
	pthread_mutex_t lock;
} nchan = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *nchan_serve(void *arg)
{
	(void)arg;
	while (!atomic_load(&nchan.stop)) {
		struct pollfd p = {.fd = nchan.fd, .events = POLLIN};
		char buf[512];
		ssize_t n, got = 0;
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(nchan.fd, NULL, NULL);
		if (c < 0)
			continue;
		/* One request fits one short read loop: head and a small body. */
		while (got < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(c, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0) {
			got += n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL && buf[got - 1] == '}')
				break;
		}
		buf[got > 0 ? got : 0] = '\0';
		pthread_mutex_lock(&nchan.lock);
		snprintf(nchan.last, sizeof(nchan.last), "%s", buf);
		pthread_mutex_unlock(&nchan.lock);
		atomic_fetch_add(&nchan.requests, 1);
		if (write(c, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 44) < 0)
			cr_log_warn("write: %s", strerror(errno));
		close(c);
	}
	return NULL;
}

/* Starts the stand-in; silent: it accepts nothing (connections wait in its backlog). */
static void nchan_start(int silent)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(nchan.dir, sizeof(nchan.dir), "/tmp/mh-relay-XXXXXX");
	cr_assert(mkdtemp(nchan.dir) != NULL);
	snprintf(nchan.path, sizeof(nchan.path), "%s/events.sock", nchan.dir);
	nchan.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", nchan.path);
	cr_assert_eq(bind(nchan.fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(nchan.fd, 16), 0);
	nchan.silent = silent;
	if (!silent)
		cr_assert_eq(pthread_create(&nchan.thread, NULL, nchan_serve, NULL), 0);
}

/* Connections the silent stand-in holds unanswered (each a publish attempt). */
static int nchan_pending(void)
{
	int n = 0, c;

	while ((c = accept(nchan.fd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

static void nchan_stop(void)
{
	if (!nchan.silent) {
		atomic_store(&nchan.stop, 1);
		pthread_join(nchan.thread, NULL);
	}
	close(nchan.fd);
	unlink(nchan.path);
	rmdir(nchan.dir);
}

/* Configures events (relay on, to the stand-in) and Redis; redis_url NULL: the stack's. */
static void relay_config(const char *redis_url, int timeout_ms)
{
	const char *url = getenv("MENHIR_TEST_REDIS_URL");
	struct mh_config cfg;
	char err[256];

	if (url == NULL)
		cr_skip_test("no Redis (MENHIR_TEST_REDIS_URL): run under script/test");
	cr_assert_eq(mh_metrics_init(), 0);
	mh_config_defaults(&cfg);
	snprintf(cfg.redis_url, sizeof(cfg.redis_url), "%s", redis_url ? redis_url : url);
	snprintf(cfg.events_socket, sizeof(cfg.events_socket), "%s", nchan.path);
	cfg.events_timeout = timeout_ms;
	cfg.events_relay = 1;
	cr_assert_eq(mh_redis_configure(&cfg, err, sizeof(err)), 0, "%s", err);
	mh_events_configure(&cfg);
}

/* This process as a host's serve master: subscribed, then reading until nothing has come
 * for 300 ms (or 3 s in all). */
static void master_subscribe(void)
{
	mh_events_relay_tick();
	cr_assert_geq(mh_events_relay_fd(), 0, "the relay did not subscribe");
}

static void master_drain(void)
{
	for (int i = 0; i < 30; i++) {
		struct pollfd p = {.fd = mh_events_relay_fd(), .events = POLLIN};

		if (poll(&p, 1, i == 0 ? 1000 : 300) <= 0)
			return;
		mh_events_relay_readable();
	}
}

/* Publishes raw messages on the relay's Redis channel, as other hosts would. */
static void publish_raw(const char *const *messages)
{
	redisContext *c = mh_redis_open();

	cr_assert(c != NULL, "%s", mh_redis_last_error());
	for (const char *const *m = messages; *m != NULL; m++) {
		redisReply *r = redisCommand(c, "PUBLISH %s %s", MH_EVENTS_RELAY_CHANNEL, *m);

		cr_assert(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer >= 1,
		          "nobody received %s", *m);
		freeReplyObject(r);
	}
	redisFree(c);
}

Test(events_relay, an_event_goes_through_redis_and_reaches_this_hosts_nginx_once)
{
	const char *json = "{\"status\":\"relayed\"}";

	nchan_start(0);
	relay_config(NULL, 500);
	master_subscribe();
	cr_assert_eq(mh_events_publish("job-relay1", json, strlen(json)), 0);
	/* Nothing went to nginx directly: it is the master's to deliver. */
	cr_assert_eq(atomic_load(&nchan.requests), 0, "the publisher also posted directly");
	master_drain();
	cr_assert_eq(atomic_load(&nchan.requests), 1, "%d deliveries",
	             atomic_load(&nchan.requests));
	cr_assert(strncmp(nchan.last, "POST /pub/job-relay1 HTTP/1.1\r\n", 31) == 0, "%s",
	          nchan.last);
	cr_assert(strstr(nchan.last, "\r\n\r\n{\"status\":\"relayed\"}") != NULL, "%s", nchan.last);
	mh_events_relay_stop();
	nchan_stop();
}

Test(events_relay, without_a_listening_master_the_publisher_posts_to_its_own_nginx)
{
	nchan_start(0);
	relay_config(NULL, 500);
	/* No master subscribed: Redis delivers to nobody, so the publisher posts itself. */
	cr_assert_eq(mh_events_publish("job-relay2", "{}", 2), 0);
	cr_assert_eq(atomic_load(&nchan.requests), 1);
	cr_assert(strncmp(nchan.last, "POST /pub/job-relay2 ", 21) == 0, "%s", nchan.last);
	nchan_stop();
}

Test(events_relay, without_redis_the_publisher_posts_to_its_own_nginx)
{
	nchan_start(0);
	relay_config("redis://127.0.0.1:1", 500); /* nothing listens on port 1 */
	cr_assert_eq(mh_events_publish("job-relay3", "{}", 2), 0);
	cr_assert_eq(atomic_load(&nchan.requests), 1);
	cr_assert(strncmp(nchan.last, "POST /pub/job-relay3 ", 21) == 0, "%s", nchan.last);
	nchan_stop();
}

/* A hung nginx must not hold the master (which supervises the workers) for events_timeout
 * per message: after one timeout the rest of the second's messages are dropped, counted. */
Test(events_relay, a_hung_nginx_costs_the_master_one_timeout_not_one_per_event)
{
	const char *const burst[] = {"job-h1 {}", "job-h2 {}", "job-h3 {}", "job-h4 {}", NULL};
	uint64_t errors;

	nchan_start(1);
	relay_config(NULL, 100);
	master_subscribe();
	errors = atomic_load(&mh_metrics()->events_errors);
	publish_raw(burst);
	master_drain();
	cr_assert_eq(nchan_pending(), 1, "the master tried nginx more than once in the pause");
	cr_assert_eq(atomic_load(&mh_metrics()->events_errors) - errors, 4,
	             "every undelivered event is counted");
	mh_events_relay_stop();
	nchan_stop();
}

Test(events_relay, a_malformed_relayed_message_is_ignored)
{
	const char *const bad[] = {"nochannel", "job/x {}", " {}", "job-ok {}", NULL};

	nchan_start(0);
	relay_config(NULL, 500);
	master_subscribe();
	publish_raw(bad);
	master_drain();
	cr_assert_eq(atomic_load(&nchan.requests), 1, "%d deliveries",
	             atomic_load(&nchan.requests));
	cr_assert(strncmp(nchan.last, "POST /pub/job-ok ", 17) == 0, "%s", nchan.last);
	mh_events_relay_stop();
	nchan_stop();
}
