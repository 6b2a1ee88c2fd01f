/* redis.c - one hiredis connection per worker, with timeouts and reconnect. */
#include "core/redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/scoreboard.h"

#define RECONNECT_BACKOFF_US 250000

static struct {
	char host[256];
	int port;
	char unix_path[256];
	char password[256];
	int db;
	struct timeval timeout;
} settings;

static redisContext *ctx;
static int64_t next_attempt_us;
static char last_error[256];

int mh_redis_configure(const struct mh_config *cfg, char *err, size_t errlen)
{
	const char *url = cfg->redis_url;
	const char *p, *at, *colon, *slash;
	char *end;

	memset(&settings, 0, sizeof(settings));
	settings.timeout.tv_sec = cfg->redis_timeout / 1000;
	settings.timeout.tv_usec = (cfg->redis_timeout % 1000) * 1000;
	/* redis_password_file's password (core/credentials.h), over a unix socket too. */
	snprintf(settings.password, sizeof(settings.password), "%s", cfg->redis_password);
	if (strncmp(url, "unix:", 5) == 0) {
		if (snprintf(settings.unix_path, sizeof(settings.unix_path), "%s", url + 5) >=
			    (int)sizeof(settings.unix_path) ||
		    settings.unix_path[0] != '/')
			goto bad;
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0)
		goto bad;
	p = url + 8;
	at = strchr(p, '@');
	if (at != NULL) {
		/* Only the password part of userinfo is used (":secret@"). */
		const char *pw = memchr(p, ':', (size_t)(at - p));
		pw = pw ? pw + 1 : p;
		if ((size_t)(at - pw) >= sizeof(settings.password))
			goto bad;
		memcpy(settings.password, pw, (size_t)(at - pw));
		p = at + 1;
	}
	slash = strchr(p, '/');
	colon = strchr(p, ':');
	if (colon != NULL && slash != NULL && colon > slash)
		colon = NULL;
	{
		size_t hlen = colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
		if (hlen == 0 || hlen >= sizeof(settings.host))
			goto bad;
		memcpy(settings.host, p, hlen);
	}
	settings.port = 6379;
	if (colon != NULL) {
		long port = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || (*end != '\0' && *end != '/') || port < 1 || port > 65535)
			goto bad;
		settings.port = (int)port;
	}
	if (slash != NULL && slash[1] != '\0') {
		long db = strtol(slash + 1, &end, 10);
		if (*end != '\0' || db < 0 || db > 15)
			goto bad;
		settings.db = (int)db;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "redis_url must look like redis://[:password@]host[:port][/db] or unix:/path");
	return -1;
}

void mh_redis_disconnect(void)
{
	if (ctx != NULL)
		redisFree(ctx);
	ctx = NULL;
}

static int setup_on(redisContext *c, const char *what, redisReply *r)
{
	int ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (!ok) {
		snprintf(last_error, sizeof(last_error), "%s: %s", what, r ? r->str : c->errstr);
		mh_log(MH_LOG_WARN, "redis_setup_failed", "%s", last_error);
	}
	freeReplyObject(r);
	return ok ? 0 : -1;
}

const char *mh_redis_last_error(void)
{
	return last_error;
}

redisContext *mh_redis_open(void)
{
	redisContext *c;

	if (settings.unix_path[0] != '\0')
		c = redisConnectUnixWithTimeout(settings.unix_path, settings.timeout);
	else
		c = redisConnectWithTimeout(settings.host, settings.port, settings.timeout);
	if (c == NULL || c->err) {
		snprintf(last_error, sizeof(last_error), "%s", c ? c->errstr : "out of memory");
		mh_log(MH_LOG_WARN, "redis_connect_failed", "%s", last_error);
		goto fail;
	}
	/* The connect timeout does not cover later commands; this one does. */
	if (redisSetTimeout(c, settings.timeout) != REDIS_OK)
		goto fail;
	if (settings.password[0] != '\0' &&
	    setup_on(c, "AUTH", redisCommand(c, "AUTH %s", settings.password)) < 0)
		goto fail;
	if (settings.db != 0 && setup_on(c, "SELECT", redisCommand(c, "SELECT %d", settings.db)) < 0)
		goto fail;
	return c;
fail:
	if (c != NULL)
		redisFree(c);
	mh_metrics_redis_error();
	return NULL;
}

int mh_redis_connect(void)
{
	if (ctx != NULL)
		return 0;
	if (mh_now_us() < next_attempt_us)
		return -1;
	ctx = mh_redis_open();
	if (ctx == NULL) {
		next_attempt_us = mh_now_us() + RECONNECT_BACKOFF_US;
		return -1;
	}
	return 0;
}

static void free_reply(void *r)
{
	freeReplyObject(r);
}

redisReply *mh_redis_command(struct mh_request *req, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	if (mh_redis_connect() < 0)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	if (r == NULL) {
		/* I/O error or timeout: the context is unusable from now on. */
		mh_log(MH_LOG_WARN, "redis_error", "%s", ctx->errstr);
		mh_metrics_redis_error();
		mh_redis_disconnect();
		return NULL;
	}
	if (mh_arena_defer(req->arena, free_reply, r) < 0)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		mh_metrics_redis_error();
		mh_log(MH_LOG_WARN, "redis_error", "%s", r->str);
		return NULL;
	}
	return r;
}

int mh_redis_append(const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (mh_redis_connect() < 0)
		return -1;
	va_start(ap, fmt);
	rc = redisvAppendCommand(ctx, fmt, ap);
	va_end(ap);
	return rc == REDIS_OK ? 0 : -1;
}

redisReply *mh_redis_reply(struct mh_request *req)
{
	void *reply = NULL;

	if (ctx == NULL)
		return NULL;
	if (redisGetReply(ctx, &reply) != REDIS_OK || reply == NULL) {
		mh_log(MH_LOG_WARN, "redis_error", "%s", ctx->errstr);
		mh_metrics_redis_error();
		mh_redis_disconnect();
		return NULL;
	}
	if (mh_arena_defer(req->arena, free_reply, reply) < 0)
		return NULL;
	if (((redisReply *)reply)->type == REDIS_REPLY_ERROR) {
		mh_metrics_redis_error();
		mh_log(MH_LOG_WARN, "redis_error", "%s", ((redisReply *)reply)->str);
		return NULL;
	}
	return reply;
}

int mh_redis_ping(struct mh_request *req)
{
	redisReply *r = mh_redis_command(req, "PING");

	return r != NULL && r->type == REDIS_REPLY_STATUS ? 0 : -1;
}
