/* helpers.h - what the integration suites share: an HTTPS client, the stack's
 * description (MENHIR_TEST_* from the env file script/stack writes) and
 * PostgreSQL connections. */
#ifndef MH_T_HELPERS_H
#define MH_T_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

#include <libpq-fe.h>

struct http_response {
	long status;
	char *body;
	size_t body_len;
	char *headers; /* raw header block, CRLF separated */
	size_t headers_len;
};

/* Value of a MENHIR_TEST_* variable; fails the test when it is missing. */
const char *t_env(const char *name);

/*
 * Sends one request through nginx over TLS to base (MENHIR_TEST_BASE_URL when
 * NULL) + path. extra_header may be NULL ("Name: value"). Returns 0, or -1 on
 * a transport error (connection refused, TLS failure...).
 */
int t_http(const char *method, const char *path, const char *content_type, const char *body,
	   size_t body_len, struct http_response *out);
int t_http_ex(const char *base, const char *method, const char *path, const char *extra_header,
	      const char *content_type, const char *body, size_t body_len,
	      struct http_response *out);
/* The general form: headers is a NULL-terminated list of "Name: value" lines (may
 * be NULL); body (may be NULL) is sent as is. Returns 0 or -1 on a transport error. */
int t_http_request(const char *base, const char *method, const char *path,
		   const char *const *headers, const char *body, size_t body_len,
		   struct http_response *out);
/* Makes later requests of this test come from the loopback address addr (e.g.
 * "127.0.0.3"; nginx listens on 127.0.0.1 and sees addr as the client), or from the default
 * source again with NULL. Only 127.0.0.1 is exempt from nginx's rate limits on the test
 * stack; 127.0.0.2 is spent by the nginx checks. */
void t_http_source(const char *addr);
/* Shorthand for GET; fails the test on a transport error. */
void t_get(const char *path, struct http_response *out);
/* GET through nginx's internal listener (MENHIR_TEST_INTERNAL_URL, plain HTTP: /metrics);
 * fails the test on a transport error. */
void t_get_internal(const char *path, struct http_response *out);

/* Case-insensitive header lookup; returns a malloc'd value or NULL. */
char *t_header(const struct http_response *r, const char *name);
void t_http_free(struct http_response *r);

/* Asserts the body is the error envelope with this code, and that its
 * request_id equals the X-Request-Id header. */
void t_assert_error(const struct http_response *r, long status, const char *code);

/* Connects with the conninfo in the named variable; fails the test if it cannot. */
PGconn *t_pg(const char *env_name);
/* Runs sql, asserts it succeeded, returns the result (caller clears). */
PGresult *t_pg_ok(PGconn *c, const char *sql);
/* Runs sql and returns its SQLSTATE ("" when it succeeded). */
const char *t_pg_state(PGconn *c, const char *sql, char state[6]);

/* The master's PID and its current worker PIDs (at most max). */
pid_t t_menhir_pid(void);
int t_worker_pids(pid_t *pids, int max);

/* Runs `script/stack CMD STATE_DIR`; returns its exit status. */
int t_stack(const char *cmd);

/* Polls path until it answers want_status, for up to timeout_ms. Returns 1 on success. */
int t_wait_status(const char *path, long want_status, int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds: for tests that must tell whether a window had passed. */
long long t_now_ms(void);

/* Size of menhir's log (MENHIR_TEST_STATE/menhir.log) now: a later read starts there. */
long t_menhir_log_size(void);
/* duration_us of the access-log line of request_id in log (the line with its id and
 * "event":"request"; other lines may name the request too), or -1 when there is none. */
long t_access_log_duration(const char *log, const char *request_id);
/*
 * A worker writes a request's access-log line ("event":"request") after the client has its
 * answer, so a test that reads the log right away can miss the last lines on a slow machine.
 * Waits (up to timeout_ms, returning as soon as they are all there) until menhir's log past
 * offset holds the whole access-log line of each of the n request ids, and returns that part
 * of the log (malloc'd, NUL-terminated); fails the test naming a missing id otherwise.
 */
char *t_menhir_log_with_requests(long offset, const char (*ids)[64], int n, int timeout_ms);

#endif
