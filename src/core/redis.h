/* redis.h - one hiredis connection per worker, with timeouts and reconnect. */
#ifndef MH_REDIS_H
#define MH_REDIS_H

#include <hiredis/hiredis.h>

#include "core/config.h"
#include "core/http.h"

/* What a redis_url names. */
struct mh_redis_url {
	char host[256]; /* without the brackets of an IPv6 literal */
	int port;
	char unix_path[256]; /* set instead of host for unix:/path */
	char user[128];      /* an ACL user (AUTH user password); "" for the default user */
	char password[256];  /* "" for none */
	int db;
};

/*
 * Parses redis://[[user]:password@]host[:port][/db] (user and password percent-decoded;
 * a user without a password is refused; host may be [v6]) or unix:/path into out.
 * Returns 0, or -1 with a message for the operator in err (it never repeats the
 * password).
 */
int mh_redis_url_parse(const char *url, struct mh_redis_url *out, char *err, size_t errlen);

/* Parses cfg->redis_url (mh_redis_url_parse) and remembers it with the timeouts; called
 * in the master so a bad URL refuses to start. Returns 0 or -1 with a message in err. */
int mh_redis_configure(const struct mh_config *cfg, char *err, size_t errlen);

/* A new connection of its own with the configured address, timeouts,
 * password and database, for callers that need one besides the worker's
 * (the master's subscriber). Returns NULL on failure; free with redisFree. */
redisContext *mh_redis_open(void);

/* Why the last mh_redis_open failed (connect, AUTH or SELECT), for messages. */
const char *mh_redis_last_error(void);

/* Connects (authenticating and selecting the database). Returns 0, or -1 and
 * the worker retries on a later request. */
int mh_redis_connect(void);
void mh_redis_disconnect(void);

/*
 * Runs one command (hiredis format). The reply is freed with the request
 * arena. Returns NULL when Redis is unreachable or answered an error; the
 * connection is then dropped and re-established on the next call.
 */
redisReply *mh_redis_command(struct mh_request *req, const char *fmt, ...);

/*
 * Pipelining: queue commands with mh_redis_append(), then read each reply in
 * order with mh_redis_reply(); the commands cost one round trip together.
 * append returns 0, or -1 when Redis is unreachable; a NULL reply means the
 * connection failed (it is dropped and re-established on the next call) or
 * Redis answered an error.
 */
int mh_redis_append(const char *fmt, ...);
redisReply *mh_redis_reply(struct mh_request *req);

/*
 * PUBLISH to channel the message head (a C string) immediately followed by body (len
 * bytes), on this process's connection, outside any request (nothing is pipelined then).
 * Returns how many subscribers received it (0 or more), or -1 when Redis is unreachable or
 * refused; a refused connection is retried no sooner than the usual back-off, so an outage
 * costs a failed connect now and then, not one per call.
 */
int mh_redis_publish(const char *channel, const char *head, const char *body, size_t len);

/*
 * A Lua script that Redis keeps by its SHA1. Each worker loads it once (SCRIPT LOAD, on
 * its first use) and runs it with EVALSHA, so a call sends the hash, not the source; when
 * Redis no longer knows it (NOSCRIPT: restarted, SCRIPT FLUSH) the call is repeated once
 * with EVAL, which loads it again. A static with the source, zero sha.
 */
struct mh_redis_script {
	const char *source;
	char sha[41]; /* "" until loaded in this worker */
};

/*
 * Runs s with args (numkeys, the keys, then the arguments, as EVALSHA takes them after
 * the hash): one round trip, two the first time in a worker or after NOSCRIPT. The reply
 * is freed with the request arena. Returns NULL when Redis is unreachable (within the
 * connection's timeout) or answered an error, as mh_redis_command().
 */
redisReply *mh_redis_script_run(struct mh_request *req, struct mh_redis_script *s, int nargs,
                                const char *const *args);

/* 0 when Redis answers PING, -1 otherwise (for /readyz). */
int mh_redis_ping(struct mh_request *req);

#endif
