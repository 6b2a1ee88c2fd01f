/* redis.c - one hiredis connection per worker, with timeouts and reconnect. */
#include "core/redis.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/scoreboard.h"

#define RECONNECT_BACKOFF_US 250000

static struct {
	struct mh_redis_url url;
	struct timeval timeout;
} settings;

static redisContext *ctx;
static int64_t next_attempt_us;
static char last_error[256];

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into out (size bytes, NUL-terminated). Returns 0, or -1 on
 * a malformed escape, a decoded NUL or no room. */
static int percent_decode(const char *s, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				return -1;
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		}
		if (c == 0 || n + 1 >= size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/* The userinfo before '@': "user:password" or ":password", each percent-decoded. */
static const char *parse_userinfo(const char *s, size_t len, struct mh_redis_url *out)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL)
		return "a user name needs a password (redis://user:password@host)";
	if (percent_decode(s, (size_t)(colon - s), out->user, sizeof(out->user)) < 0 ||
	    percent_decode(colon + 1, len - (size_t)(colon + 1 - s), out->password,
	                   sizeof(out->password)) < 0)
		return "the user name or password has a malformed %-escape, a NUL or is too long";
	if (out->user[0] != '\0' && out->password[0] == '\0')
		return "a user name needs a password (redis://user:password@host)";
	return NULL;
}

/* host, [v6 host], then :port and /db. */
static const char *parse_hostport(const char *p, struct mh_redis_url *out)
{
	const char *host = p, *end;
	size_t hlen;
	char *num_end;

	if (*p == '[') {
		host = p + 1;
		end = strchr(host, ']');
		if (end == NULL)
			return "an IPv6 address needs its closing ']'";
		hlen = (size_t)(end - host);
		p = end + 1;
	} else {
		hlen = strcspn(p, ":/");
		p += hlen;
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return "the host is missing or too long";
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = 6379;
	if (*p == ':') {
		long port = strtol(p + 1, &num_end, 10);

		if (num_end == p + 1 || (*num_end != '\0' && *num_end != '/') || port < 1 ||
		    port > 65535)
			return "the port must be a number from 1 to 65535";
		out->port = (int)port;
		p = num_end;
	}
	if (*p == '/' && p[1] != '\0') {
		long db = strtol(p + 1, &num_end, 10);

		if (num_end == p + 1 || *num_end != '\0' || db < 0 || db > 15)
			return "the database must be a number from 0 to 15";
		out->db = (int)db;
	} else if (*p != '\0' && strcmp(p, "/") != 0) {
		return "unexpected characters after the host";
	}
	return NULL;
}

int mh_redis_url_parse(const char *url, struct mh_redis_url *out, char *err, size_t errlen)
{
	const char *p, *authority_end, *at = NULL, *why;

	memset(out, 0, sizeof(*out));
	if (strncmp(url, "unix:", 5) == 0) {
		if (snprintf(out->unix_path, sizeof(out->unix_path), "%s", url + 5) >=
		            (int)sizeof(out->unix_path) ||
		    out->unix_path[0] != '/') {
			why = "a unix socket needs an absolute path that fits";
			goto bad;
		}
		return 0;
	}
	if (strncmp(url, "redis://", 8) != 0) {
		why = "it must start with redis:// or unix:";
		goto bad;
	}
	p = url + 8;
	/* The userinfo ends at the last '@' of the authority: a password's reserved
	 * characters are percent-encoded, but a raw '@' is still read right. */
	authority_end = p + strcspn(p, "/");
	for (const char *q = p; q < authority_end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		if ((why = parse_userinfo(p, (size_t)(at - p), out)) != NULL)
			goto bad;
		p = at + 1;
	}
	if ((why = parse_hostport(p, out)) != NULL)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	snprintf(err, errlen,
	         "redis_url must look like redis://[[user]:password@]host[:port][/db] or "
	         "unix:/path: %s",
	         why);
	return -1;
}

int mh_redis_configure(const struct mh_config *cfg, char *err, size_t errlen)
{
	memset(&settings, 0, sizeof(settings));
	settings.timeout.tv_sec = cfg->redis_timeout / 1000;
	settings.timeout.tv_usec = (cfg->redis_timeout % 1000) * 1000;
	if (mh_redis_url_parse(cfg->redis_url, &settings.url, err, errlen) < 0)
		return -1;
	/* redis_password_file's password (core/credentials.h; the URL then has none), for the
	 * default user, over a unix socket too. */
	if (cfg->redis_password[0] != '\0')
		snprintf(settings.url.password, sizeof(settings.url.password), "%s",
		         cfg->redis_password);
	return 0;
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

	if (settings.url.unix_path[0] != '\0')
		c = redisConnectUnixWithTimeout(settings.url.unix_path, settings.timeout);
	else
		c = redisConnectWithTimeout(settings.url.host, settings.url.port, settings.timeout);
	if (c == NULL || c->err) {
		snprintf(last_error, sizeof(last_error), "%s", c ? c->errstr : "out of memory");
		mh_log(MH_LOG_WARN, "redis_connect_failed", "%s", last_error);
		goto fail;
	}
	/* The connect timeout does not cover later commands; this one does. */
	if (redisSetTimeout(c, settings.timeout) != REDIS_OK)
		goto fail;
	/* An ACL user (Redis 6+) authenticates with both names; the default user with the
	 * password alone. */
	if (settings.url.user[0] != '\0' &&
	    setup_on(c, "AUTH",
	             redisCommand(c, "AUTH %s %s", settings.url.user, settings.url.password)) < 0)
		goto fail;
	if (settings.url.user[0] == '\0' && settings.url.password[0] != '\0' &&
	    setup_on(c, "AUTH", redisCommand(c, "AUTH %s", settings.url.password)) < 0)
		goto fail;
	if (settings.url.db != 0 &&
	    setup_on(c, "SELECT", redisCommand(c, "SELECT %d", settings.url.db)) < 0)
		goto fail;
	return c;
fail:
	if (c != NULL)
		redisFree(c);
	mh_metrics_redis_error();
	return NULL;
}

/* 1 when the idle connection has something to read: Redis closed it (a restart, a timeout)
 * while the worker waited. Sending on it would fail the request that happens to be next. */
static int closed_while_idle(void)
{
	struct pollfd pfd = {.fd = ctx->fd, .events = POLLIN};

	return poll(&pfd, 1, 0) != 0;
}

int mh_redis_connect(void)
{
	if (ctx != NULL && closed_while_idle()) {
		mh_log(MH_LOG_INFO, "redis_reconnect", "the connection was closed while idle");
		mh_redis_disconnect();
		next_attempt_us = 0;
	}
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

/*
 * A command found the connection unusable (no answer within redis_timeout, or an I/O
 * error): drop it, and skip Redis in this worker until the back-off has passed. A hung
 * Redis still accepts connections, so reconnecting at once would make every request (and
 * every call within one) wait a full redis_timeout again; this way a worker waits on it once
 * per back-off. A connection Redis closed (a restart) is retried at once: that is cheap,
 * and it is usually back.
 */
static void connection_failed(void)
{
	int closed = ctx->err == REDIS_ERR_EOF;

	mh_log(MH_LOG_WARN, "redis_error", "%s", ctx->errstr);
	mh_metrics_redis_error();
	mh_redis_disconnect();
	if (!closed)
		next_attempt_us = mh_now_us() + RECONNECT_BACKOFF_US;
}

/* The reply r (NULL: the connection failed) into slot; NULL for a failure or an error reply,
 * each counted and logged. */
static redisReply *checked_reply(struct mh_arena_defer *slot, redisReply *r)
{
	if (r == NULL) {
		connection_failed();
		return NULL;
	}
	mh_arena_defer_set(slot, free_reply, r);
	if (r->type == REDIS_REPLY_ERROR) {
		mh_metrics_redis_error();
		mh_log(MH_LOG_WARN, "redis_error", "%s", r->str);
		return NULL;
	}
	return r;
}

redisReply *mh_redis_command(struct mh_request *req, const char *fmt, ...)
{
	struct mh_arena_defer *slot;
	redisReply *r;
	va_list ap;

	if (mh_redis_connect() < 0)
		return NULL;
	/* The reply's cleanup slot first: out of memory, the command is never sent. */
	if ((slot = mh_arena_defer_reserve(req->arena)) == NULL)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	return checked_reply(slot, r);
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
	struct mh_arena_defer *slot;
	void *reply = NULL;

	if (ctx == NULL)
		return NULL;
	/* The reply's cleanup slot first. Without one the pipeline's remaining replies can
	 * no longer be read in order, so the connection goes, as after an I/O error. */
	if ((slot = mh_arena_defer_reserve(req->arena)) == NULL) {
		mh_redis_disconnect();
		return NULL;
	}
	if (redisGetReply(ctx, &reply) != REDIS_OK)
		reply = NULL; /* I/O error or timeout: the context is unusable from now on */
	return checked_reply(slot, reply);
}

/* SCRIPT LOAD, once per worker: the hash Redis answers is the one EVALSHA needs. */
static int script_load(struct mh_redis_script *s)
{
	redisReply *r = redisCommand(ctx, "SCRIPT LOAD %s", s->source);
	int ok = r != NULL && r->type == REDIS_REPLY_STRING && r->len == 40;

	if (r == NULL) {
		connection_failed();
		return -1;
	}
	if (ok)
		memcpy(s->sha, r->str, 41);
	else {
		mh_log(MH_LOG_WARN, "redis_error", "SCRIPT LOAD: %s",
		       r->str ? r->str : "unexpected reply");
		mh_metrics_redis_error();
	}
	freeReplyObject(r);
	return ok ? 0 : -1;
}

redisReply *mh_redis_script_run(struct mh_request *req, struct mh_redis_script *s, int nargs,
                                const char *const *args)
{
	struct mh_arena_defer *slot;
	const char **argv;
	redisReply *r;

	if (nargs < 1 || mh_redis_connect() < 0)
		return NULL;
	if ((slot = mh_arena_defer_reserve(req->arena)) == NULL ||
	    (argv = mh_arena_alloc(req->arena, sizeof(*argv) * (size_t)(nargs + 2))) == NULL)
		return NULL;
	if (s->sha[0] == '\0' && script_load(s) < 0)
		return NULL;
	argv[0] = "EVALSHA";
	argv[1] = s->sha;
	memcpy(argv + 2, args, sizeof(*argv) * (size_t)nargs);
	r = redisCommandArgv(ctx, nargs + 2, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		/* Redis lost its scripts; EVAL both runs and caches it again under the same
		 * hash, so the next call is an EVALSHA again. */
		freeReplyObject(r);
		mh_log(MH_LOG_INFO, "redis_script_reload", "Redis lost the script %.12s", s->sha);
		argv[0] = "EVAL";
		argv[1] = s->source;
		r = redisCommandArgv(ctx, nargs + 2, argv, NULL);
	}
	return checked_reply(slot, r);
}

int mh_redis_publish(const char *channel, const char *head, const char *body, size_t len)
{
	redisReply *r;
	int receivers = -1;

	if (mh_redis_connect() < 0)
		return -1;
	r = redisCommand(ctx, "PUBLISH %s %s%b", channel, head, body, len);
	if (r == NULL) {
		connection_failed();
		return -1;
	}
	if (r->type == REDIS_REPLY_INTEGER)
		receivers = (int)r->integer;
	else
		mh_metrics_redis_error();
	freeReplyObject(r);
	return receivers;
}

int mh_redis_ping(struct mh_request *req)
{
	redisReply *r = mh_redis_command(req, "PING");

	return r != NULL && r->type == REDIS_REPLY_STATUS ? 0 : -1;
}
