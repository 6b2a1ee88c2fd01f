/* events_relay.c - the `menhir serve` master passes live events relayed through Redis to
 * this host's nginx (core/events_relay.h). */
#include "core/events_relay.h"

#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "core/events.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/redis.h"
#include "core/scoreboard.h"

#define RECONNECT_INTERVAL_US 1000000LL
/* Silence proves nothing (no job may be running anywhere), so the master pings through the
 * subscription and gives up on one that stays silent, as the revocation subscriber does. */
#define HEARTBEAT_INTERVAL_US (2 * 1000000LL)
#define HEARTBEAT_TIMEOUT_US  (6 * 1000000LL)
/* After nginx failed to take a message, the following ones are dropped for this long: a
 * hung nginx would otherwise hold the master (which supervises the workers) for
 * events_timeout per message. */
#define PAUSE_US 1000000LL

static redisContext *sub;
static int64_t next_connect_us, next_ping_us, last_heard_us, paused_until_us;

static void disconnect(const char *why)
{
	if (sub != NULL) {
		if (why != NULL)
			mh_log(MH_LOG_WARN, "events_relay_down",
			       "%s: streams get only this host's events until Redis is back", why);
		redisFree(sub);
	}
	sub = NULL;
	next_connect_us = mh_now_us() + RECONNECT_INTERVAL_US;
}

static void connect_subscriber(void)
{
	redisReply *r;

	sub = mh_redis_open();
	if (sub == NULL) {
		next_connect_us = mh_now_us() + RECONNECT_INTERVAL_US;
		return;
	}
	r = redisCommand(sub, "SUBSCRIBE " MH_EVENTS_RELAY_CHANNEL);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		disconnect("cannot subscribe to relayed events");
		return;
	}
	freeReplyObject(r);
	last_heard_us = mh_now_us();
	next_ping_us = last_heard_us + HEARTBEAT_INTERVAL_US;
	mh_log(MH_LOG_INFO, "events_relay_up", "relaying live events from Redis to this host");
}

/* "<channel> <json>": to this host's nginx, unless it just failed (then dropped, counted). */
static void relay(const char *msg, size_t len)
{
	char channel[128];
	const char *space = memchr(msg, ' ', len);
	size_t n = space != NULL ? (size_t)(space - msg) : 0;

	if (n == 0 || n >= sizeof(channel)) {
		mh_log(MH_LOG_WARN, "events_relay_malformed",
		       "ignoring a message without a channel");
		return;
	}
	memcpy(channel, msg, n);
	channel[n] = '\0';
	if (!mh_events_channel_ok(channel)) {
		mh_log(MH_LOG_WARN, "events_relay_malformed",
		       "ignoring a message to a bad channel");
		return;
	}
	if (mh_now_us() < paused_until_us) {
		mh_metrics_events_error();
		return;
	}
	if (mh_events_publish_local(channel, space + 1, len - n - 1) < 0)
		paused_until_us = mh_now_us() + PAUSE_US;
}

int mh_events_relay_fd(void)
{
	return sub != NULL ? sub->fd : -1;
}

void mh_events_relay_readable(void)
{
	void *reply;

	if (sub == NULL)
		return;
	if (redisBufferRead(sub) != REDIS_OK) {
		disconnect("relay subscription lost");
		return;
	}
	while (sub != NULL && redisGetReplyFromReader(sub, &reply) == REDIS_OK && reply != NULL) {
		redisReply *r = reply;

		last_heard_us = mh_now_us(); /* messages and heartbeat pongs alike */
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
		    r->element[0]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[0]->str, "message") == 0 &&
		    r->element[2]->type == REDIS_REPLY_STRING)
			relay(r->element[2]->str, r->element[2]->len);
		freeReplyObject(r);
	}
}

void mh_events_relay_tick(void)
{
	int64_t now = mh_now_us();
	int done = 0;

	if (!mh_events_relayed()) {
		if (sub != NULL) {
			mh_log(MH_LOG_INFO, "events_relay_off", "events_relay is off");
			disconnect(NULL);
		}
		return;
	}
	if (sub == NULL) {
		if (now >= next_connect_us)
			connect_subscriber();
		return;
	}
	if (now - last_heard_us > HEARTBEAT_TIMEOUT_US) {
		disconnect("relay subscription silent");
		return;
	}
	if (now < next_ping_us)
		return;
	/* PING is allowed on a subscribed connection; its pong is read by readable(). */
	if (redisAppendCommand(sub, "PING") != REDIS_OK ||
	    redisBufferWrite(sub, &done) != REDIS_OK) {
		disconnect("relay subscription broken");
		return;
	}
	next_ping_us = now + HEARTBEAT_INTERVAL_US;
}

void mh_events_relay_stop(void)
{
	if (sub != NULL)
		redisFree(sub);
	sub = NULL;
}
