/* events.c - live events: publishing to nginx's nchan over a unix socket, and handing a
 * subscription to nginx by X-Accel-Redirect (core/events.h). */
#include "core/events.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/redis.h"

/* nginx/menhir.conf: the publisher location on the events socket, and the internal
 * subscriber location of the TLS server. */
#define PUBLISH_PREFIX   "/pub/"
#define SUBSCRIBE_PREFIX "/_events/sub/"
#define CHANNEL_MAX      100
/* While publishing keeps failing, one reminder per this many seconds. */
#define REMIND_US (60LL * 1000000)

static struct {
	char socket[sizeof(((struct mh_config *)0)->events_socket)];
	int timeout_ms;
	int relay;
} settings;

/* Failures of the current burst; the first is logged, the rest are counted until a
 * publish succeeds again (a stopped nginx must not flood the log once per job event). */
struct burst {
	long long failures;
	long long last_logged_us;
};
static struct burst burst, relay_burst;

void mh_events_configure(const struct mh_config *cfg)
{
	snprintf(settings.socket, sizeof(settings.socket), "%s", cfg->events_socket);
	settings.timeout_ms = cfg->events_timeout;
	settings.relay = cfg->events_relay;
}

int mh_events_relayed(void)
{
	return settings.relay && settings.socket[0] != '\0';
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* [A-Za-z0-9_-]{1,100}: the channel becomes a path segment of two nginx locations that
 * accept exactly these characters, so anything else could never be delivered. */
int mh_events_channel_ok(const char *channel)
{
	size_t n = 0;

	if (channel == NULL)
		return 0;
	for (const char *p = channel; *p != '\0'; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return n >= 1 && n <= CHANNEL_MAX;
}

static void failed(const char *channel, const char *why)
{
	long long now = now_us();

	mh_metrics_events_error();
	if (burst.failures++ == 0 || now - burst.last_logged_us >= REMIND_US) {
		struct mh_logline l;

		mh_logline_begin(&l, MH_LOG_WARN, "events_publish_failed");
		mh_logline_str(&l, "channel", channel);
		mh_logline_str(&l, "error", why);
		mh_logline_str(&l, "socket", settings.socket);
		mh_logline_int(&l, "failures", burst.failures);
		mh_logline_end(&l);
		burst.last_logged_us = now;
	}
}

static void succeeded(void)
{
	if (burst.failures > 0)
		mh_log(MH_LOG_INFO, "events_publish_recovered",
		       "publishing works again after %lld failed publishes", burst.failures);
	burst.failures = 0;
}

/* Waits until fd is ready for events or the deadline passes; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline_us)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		long long left = deadline_us - now_us();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)((left + 999) / 1000));
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static const char *connect_socket(int fd, long long deadline_us)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int err = 0;
	socklen_t len = sizeof(err);

	if (strlen(settings.socket) >= sizeof(sa.sun_path))
		return "events_socket path too long";
	memcpy(sa.sun_path, settings.socket, strlen(settings.socket) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return NULL;
	/* A unix socket connects at once or not at all; EAGAIN is nginx's full backlog. */
	if (errno != EINPROGRESS)
		return strerror(errno);
	if (wait_fd(fd, POLLOUT, deadline_us) <= 0)
		return "connect timed out";
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		return strerror(err != 0 ? err : errno);
	return NULL;
}

/* Sends the request head and body (MSG_NOSIGNAL: a closed socket is an error, not SIGPIPE). */
static const char *send_all(int fd, struct iovec *iov, int niov, long long deadline_us)
{
	while (niov > 0) {
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return strerror(errno);
			if (wait_fd(fd, POLLOUT, deadline_us) <= 0)
				return "send timed out";
			continue;
		}
		while (niov > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			niov--;
		}
		if (niov > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return NULL;
}

/* Reads the status line ("HTTP/1.1 201 Created") and returns its code in *status. */
static const char *read_status(int fd, long long deadline_us, int *status)
{
	char line[128];
	size_t got = 0;

	while (got < sizeof(line) - 1) {
		ssize_t n = read(fd, line + got, sizeof(line) - 1 - got);

		if (n > 0) {
			got += (size_t)n;
			line[got] = '\0';
			if (strchr(line, '\n') != NULL)
				break;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return strerror(errno);
		if (wait_fd(fd, POLLIN, deadline_us) <= 0)
			return "no answer in time";
	}
	line[got] = '\0';
	if (sscanf(line, "HTTP/1.%*[01] %3d", status) != 1)
		return "not an HTTP answer";
	return NULL;
}

int mh_events_publish_local(const char *channel, const char *json, size_t len)
{
	char head[512];
	struct iovec iov[2];
	const char *why;
	long long deadline_us;
	int fd, n, status = 0;

	if (settings.socket[0] == '\0')
		return 0; /* live events are switched off */
	if (!mh_events_channel_ok(channel) || (json == NULL && len > 0)) {
		failed(mh_events_channel_ok(channel) ? channel : "(invalid)",
		       "invalid channel or message");
		return -1;
	}
	n = snprintf(head, sizeof(head),
	             "POST " PUBLISH_PREFIX "%s HTTP/1.1\r\nHost: menhir-events\r\n"
	             "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	             "Connection: close\r\n\r\n",
	             channel, len);
	deadline_us = now_us() + (long long)settings.timeout_ms * 1000;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		failed(channel, strerror(errno));
		return -1;
	}
	iov[0] = (struct iovec){.iov_base = head, .iov_len = (size_t)n};
	iov[1] = (struct iovec){.iov_base = (void *)json, .iov_len = len};
	if ((why = connect_socket(fd, deadline_us)) == NULL &&
	    (why = send_all(fd, iov, len > 0 ? 2 : 1, deadline_us)) == NULL &&
	    (why = read_status(fd, deadline_us, &status)) == NULL && (status < 200 || status > 299))
		why = "nchan refused the message";
	close(fd);
	if (why != NULL) {
		char msg[96];

		if (status != 0)
			snprintf(msg, sizeof(msg), "%s (HTTP %d)", why, status);
		failed(channel, status != 0 ? msg : why);
		return -1;
	}
	succeeded();
	return 0;
}

/* Logs the first relay failure of a burst (then one a minute) and the recovery: the local
 * fallback still delivers on this host, so this is a warning about the other hosts. */
static void relay_failed(const char *why)
{
	long long now = now_us();

	if (relay_burst.failures++ == 0 || now - relay_burst.last_logged_us >= REMIND_US) {
		mh_log(MH_LOG_WARN, "events_relay_failed",
		       "%s: live events reach this host's streams only (%lld so far)", why,
		       relay_burst.failures);
		relay_burst.last_logged_us = now;
	}
}

int mh_events_publish(const char *channel, const char *json, size_t len)
{
	char head[CHANNEL_MAX + 2];
	int receivers;

	if (!mh_events_relayed() || !mh_events_channel_ok(channel) || (json == NULL && len > 0))
		return mh_events_publish_local(channel, json, len);
	snprintf(head, sizeof(head), "%s ", channel);
	receivers = mh_redis_publish(MH_EVENTS_RELAY_CHANNEL, head, json, len);
	if (receivers > 0) {
		if (relay_burst.failures > 0)
			mh_log(MH_LOG_INFO, "events_relay_recovered",
			       "the relay works again after %lld failures", relay_burst.failures);
		relay_burst.failures = 0;
		return 0;
	}
	relay_failed(receivers < 0 ? "Redis did not take the event"
	                           : "no menhir serve listens on Redis");
	return mh_events_publish_local(channel, json, len);
}

int mh_events_redirect(struct mh_request *req, struct mh_response *res, const char *channel)
{
	const char *target;

	if (!mh_events_channel_ok(channel))
		return -1;
	target = mh_arena_sprintf(req->arena, SUBSCRIBE_PREFIX "%s", channel);
	if (target == NULL)
		return -1;
	res->status = 200;
	res->body.len = 0;
	mh_response_header(res, "X-Accel-Redirect", target);
	/* nchan flushes every event itself; this keeps nginx from buffering the stream should
	 * the internal location ever hand it to something that does not. */
	mh_response_header(res, "X-Accel-Buffering", "no");
	mh_response_header(res, "Cache-Control", "no-store");
	return 0;
}
