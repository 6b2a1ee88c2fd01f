/* redis.h - one hiredis connection per worker, with timeouts and reconnect. */
#ifndef MH_REDIS_H
#define MH_REDIS_H

#include <hiredis/hiredis.h>

#include "core/config.h"
#include "core/http.h"

/* Parses redis_url (redis://[:password@]host[:port][/db] or unix:/path) and
 * remembers it; called in the master so a bad URL refuses to start.
 * Returns 0 or -1 with a message in err. */
int mh_redis_configure(const struct mh_config *cfg, char *err, size_t errlen);

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

/* 0 when Redis answers PING, -1 otherwise (for /readyz). */
int mh_redis_ping(struct mh_request *req);

#endif
