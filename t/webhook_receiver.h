/* webhook_receiver.h - a local HTTP receiver for the webhook suites: a thread with a
 * listening socket on 127.0.0.1 that records each request and answers from a script.
 * Bounded: at most T_RECEIVER_MAX requests, 1 MiB each, two seconds to send one. */
#ifndef T_WEBHOOK_RECEIVER_H
#define T_WEBHOOK_RECEIVER_H

#include <pthread.h>
#include <stddef.h>

#define T_RECEIVER_MAX 16

struct t_received {
	char *head;  /* request line and headers, NUL-terminated */
	char *body;  /* NUL-terminated */
	size_t body_len;
};

struct t_receiver {
	int fd;
	unsigned short port;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int stop;
	/* The answer to request i is script[min(i, nscript - 1)], a complete raw HTTP
	 * response; NULL there means: keep the connection open without answering. */
	const char *script[T_RECEIVER_MAX];
	int nscript;
	int connections;
	int nreceived;
	struct t_received received[T_RECEIVER_MAX];
};

/* Listens on 127.0.0.1 (a free port) and serves in a thread. Returns 0 or -1. */
int t_receiver_start(struct t_receiver *r, const char *const *script, int nscript);
/* The same on a given port (the stack's configured address of a service it calls). */
int t_receiver_start_on(struct t_receiver *r, unsigned short port, const char *const *script,
                        int nscript);
/* Stops the thread, closes the socket and frees what was recorded. */
void t_receiver_stop(struct t_receiver *r);
/* Waits until at least n requests arrived, for up to timeout_ms; returns how many did. */
int t_receiver_wait(struct t_receiver *r, int n, int timeout_ms);
/* Connections accepted so far (including ones that sent nothing). */
int t_receiver_connections(struct t_receiver *r);
/* The value of header name (case-insensitive) in request i, malloc'd, or NULL. */
char *t_received_header(const struct t_received *q, const char *name);

/* Canned answers. */
#define T_HTTP_200 "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
#define T_HTTP_204 "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
#define T_HTTP_500                                                                             \
	"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfail"

#endif
