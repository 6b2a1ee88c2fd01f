/* events.h - live events (Server-Sent Events) without a FastCGI worker per client.
 *
 * Menhir only publishes and authorizes: nginx's nchan module holds the long-lived
 * connections. A process publishes a message to a channel by a short HTTP POST to nchan's
 * publisher location on a unix socket (events_socket); a client subscribes through a Menhir
 * route that checks it may see the channel and answers X-Accel-Redirect to nginx's internal
 * subscriber location (mh_events_redirect), so nginx, not a worker, keeps the stream open. */
#ifndef MH_EVENTS_H
#define MH_EVENTS_H

#include <stddef.h>

#include "core/config.h"
#include "core/http.h"

/* Remembers events_socket and events_timeout; called in the master and in `menhir work`. */
void mh_events_configure(const struct mh_config *cfg);

/* Publishes json (one message, len bytes) to channel ([A-Za-z0-9_-]{1,100}). Waits at most
 * events_timeout ms; returns 0, or -1 (logged, counted) when nginx could not take it: live
 * events are best effort, the database stays the truth (GET the resource). */
int mh_events_publish(const char *channel, const char *json, size_t len);

/* Answers a subscription the caller has authorized: an empty 200 with X-Accel-Redirect to
 * nginx's internal subscriber location for channel, which nginx turns into an
 * text/event-stream (earlier messages still buffered are replayed first, oldest first).
 * Returns 0. */
int mh_events_redirect(struct mh_request *req, struct mh_response *res, const char *channel);

#endif
