/* webhook_receiver.c - a local HTTP receiver for the webhook suites (see the header). */
#include "webhook_receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX (1024 * 1024)

static int stopped(struct t_receiver *r)
{
	int s;

	pthread_mutex_lock(&r->lock);
	s = r->stop;
	pthread_mutex_unlock(&r->lock);
	return s;
}

/* Reads one request (headers, then Content-Length bytes of body). Returns 0 or -1. */
static int read_request(int c, struct t_received *q)
{
	char *buf = malloc(REQUEST_MAX + 1), *end = NULL;
	size_t len = 0, want = 0;

	if (buf == NULL)
		return -1;
	while (len < REQUEST_MAX) {
		ssize_t n = recv(c, buf + len, REQUEST_MAX - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (end == NULL && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(buf, "\r\ncontent-length:");
			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end != NULL && len >= want)
			break;
	}
	if (end == NULL || len < want) {
		free(buf);
		return -1;
	}
	end[2] = '\0'; /* the head keeps its last CRLF */
	q->head = buf;
	q->body = end + 4;
	q->body_len = want - (size_t)(end + 4 - buf);
	q->body[q->body_len] = '\0';
	return 0;
}

static void *serve(void *arg)
{
	struct t_receiver *r = arg;

	while (!stopped(r)) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		struct timeval tv = { .tv_sec = 2 };
		struct t_received q;
		const char *answer;
		int c, i;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		c = accept(r->fd, NULL, NULL);
		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		pthread_mutex_lock(&r->lock);
		r->connections++;
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
		if (read_request(c, &q) < 0) {
			close(c);
			continue;
		}
		pthread_mutex_lock(&r->lock);
		i = r->nreceived;
		if (i < T_RECEIVER_MAX)
			r->received[r->nreceived++] = q;
		else
			free(q.head);
		answer = r->nscript > 0 ? r->script[i < r->nscript ? i : r->nscript - 1] : T_HTTP_200;
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->lock);
		if (answer == NULL) {
			/* Silent: hold the connection until the sender gives up or we stop. */
			for (int k = 0; k < 100 && !stopped(r); k++) {
				struct pollfd cp = { .fd = c, .events = POLLIN };
				char sink[256];
				if (poll(&cp, 1, 50) > 0 && recv(c, sink, sizeof(sink), 0) <= 0)
					break;
			}
		} else {
			size_t off = 0, n = strlen(answer);
			while (off < n) {
				ssize_t w = send(c, answer + off, n - off, MSG_NOSIGNAL);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
		close(c);
	}
	return NULL;
}

int t_receiver_start(struct t_receiver *r, const char *const *script, int nscript)
{
	return t_receiver_start_on(r, 0, script, nscript);
}

int t_receiver_start_on(struct t_receiver *r, unsigned short port, const char *const *script,
                        int nscript)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(r, 0, sizeof(*r));
	if (nscript > T_RECEIVER_MAX)
		return -1;
	for (int i = 0; i < nscript; i++)
		r->script[i] = script[i];
	r->nscript = nscript;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(r->fd, 16) < 0 ||
	    getsockname(r->fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(r->fd);
		return -1;
	}
	r->port = ntohs(sa.sin_port);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	if (pthread_create(&r->thread, NULL, serve, r) != 0) {
		close(r->fd);
		return -1;
	}
	return 0;
}

void t_receiver_stop(struct t_receiver *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	close(r->fd);
	for (int i = 0; i < r->nreceived; i++)
		free(r->received[i].head);
	r->nreceived = 0;
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
}

static int wait_for(struct t_receiver *r, const int *counter, int n, int timeout_ms)
{
	struct timespec deadline;
	int got;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	while (*counter < n &&
	       pthread_cond_timedwait(&r->changed, &r->lock, &deadline) != ETIMEDOUT)
		;
	got = *counter;
	pthread_mutex_unlock(&r->lock);
	return got;
}

int t_receiver_wait(struct t_receiver *r, int n, int timeout_ms)
{
	return wait_for(r, &r->nreceived, n, timeout_ms);
}

int t_receiver_connections(struct t_receiver *r)
{
	return wait_for(r, &r->connections, 0, 0);
}

char *t_received_header(const struct t_received *q, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = strstr(q->head, "\r\n"); line != NULL && line[2] != '\0';
	     line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2, *v, *e;
		if (strncasecmp(h, name, n) != 0 || h[n] != ':')
			continue;
		v = h + n + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = strstr(v, "\r\n");
		return strndup(v, e ? (size_t)(e - v) : strlen(v));
	}
	return NULL;
}
