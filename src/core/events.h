/* events.h - live events (Server-Sent Events) without a FastCGI worker per client.
 *
 * Menhir only publishes and authorizes: nginx's nchan module holds the long-lived
 * connections. A process publishes a message to a channel by a short HTTP POST to nchan's
 * publisher location on a unix socket (events_socket); a client subscribes through a Menhir
 * route that checks it may see the channel and answers X-Accel-Redirect to nginx's internal
 * subscriber location (mh_events_redirect), so nginx, not a worker, keeps the stream open.
 *
 * On several hosts (events_relay), a stream open on host B must get what host A publishes.
 * A process then PUBLISHes the message on Redis (MH_EVENTS_RELAY_CHANNEL) instead, and
 * every host's `menhir serve` master, subscribed there (core/events_relay.h), passes it to
 * its own nginx. Every message, the local host's included, takes that one path, so every
 * host sees them in the one order Redis put them in. nchan itself keeps its channels in
 * memory: its Redis backend is not used (README "Scaling out" says why). */
#ifndef MH_EVENTS_H
#define MH_EVENTS_H

#include <stddef.h>

#include "core/config.h"
#include "core/http.h"

/* The Redis channel of relayed events; a message is "<channel> <json>". */
#define MH_EVENTS_RELAY_CHANNEL "mh:events"

/* Remembers events_socket, events_timeout and events_relay; called in the master and in
 * `menhir work` (which also need mh_redis_configure for the relay). */
void mh_events_configure(const struct mh_config *cfg);

/* 1 when events go through Redis to every host (events_relay and an events_socket). */
int mh_events_relayed(void);

/* Publishes json (one message, len bytes) to channel ([A-Za-z0-9_-]{1,100}): with the relay,
 * on Redis for every host's master to pass on, and to this host's nginx directly when Redis
 * cannot take it or no master listens (other hosts then miss it); without, to this host's
 * nginx. Waits at most redis_timeout plus events_timeout ms; returns 0, or -1 (logged,
 * counted) when neither took it: live events are best effort, the database stays the truth
 * (GET the resource). */
int mh_events_publish(const char *channel, const char *json, size_t len);

/* Publishes to this host's nginx only (the relay's last step). Returns 0 or -1 as above. */
int mh_events_publish_local(const char *channel, const char *json, size_t len);

/* 1 when channel can be published to: [A-Za-z0-9_-]{1,100}. */
int mh_events_channel_ok(const char *channel);

/* Answers a subscription the caller has authorized: an empty 200 with X-Accel-Redirect to
 * nginx's internal subscriber location for channel, which nginx turns into an
 * text/event-stream (earlier messages still buffered are replayed first, oldest first).
 * Returns 0. */
int mh_events_redirect(struct mh_request *req, struct mh_response *res, const char *channel);

#endif
